"""sPyNNaker's threshold types: which neurons spike, given the membrane after the update.

- :class:`StaticThreshold` (``threshold_type_static.h``): ``v >= v_thresh``;
- :class:`IzhikevichThreshold`: the same at sPyNNaker's fixed 30 mV (its
  Izhikevich model has no ``v_thresh`` parameter);
- :class:`FixedProbabilityThreshold` (``threshold_type_fixed_prob.h``): at or
  above ``v_thresh``, a spike with probability ``p_thresh`` each tick (a draw
  keyed on the cell and tick from the network's seed, :mod:`..keyed`, not the
  board's mars_kiss64).
"""

from .component import Component

#: sPyNNaker's Izhikevich threshold (mV)
IZK_V_THRESH = 30.0


class StaticThreshold(Component):
    """A spike where ``v >= v_thresh``."""

    parameter_names = ("v_thresh",)

    def prepare(self, A, dt):
        super().prepare(A, dt)
        self.v_thresh = A.param(self.group.params["v_thresh"])

    def crossed(self, v):
        """Boolean mask of the neurons that spike with membrane ``v``."""
        return v >= self.v_thresh


class IzhikevichThreshold(StaticThreshold):
    """``v >= 30`` mV."""

    parameter_names = ()

    def prepare(self, A, dt):
        self.A = A
        self.v_thresh = A.const(IZK_V_THRESH)


class FixedProbabilityThreshold(StaticThreshold):
    """Above ``v_thresh``, a spike with probability ``p_thresh``."""

    parameter_names = ("v_thresh", "p_thresh")

    def crossed(self, v):
        above = super().crossed(v)
        if above.any():
            # keyed per cell and tick, not the next numbers of a stream: the number of
            # crossing cells would otherwise decide which cell gets which draw, and
            # under MPI a rank sees only its own cells' crossings (engine/exchange.py)
            draws = self.group.keyed_uniform(above)
            above[above] = draws < self.group.params["p_thresh"][above]
        return above
