"""sPyNNaker's input types: how a receptor's synaptic value becomes a current.

``input_type_get_input_value`` then ``input_type_convert_excitatory/inhibitory_input_to_current``:

- :class:`CurrentInput` (``input_type_current.h``): the value is the current (nA);
- :class:`ConductanceInput` (``input_type_conductance.h``): conductances are kept
  times 1024 (the population's global weight scale, so that small uS weights
  survive the 16-bit ring buffer), read back with ``g >> 10`` and turned into
  ``g (E_rev - v)`` with the ``v`` at the start of the tick;
- :class:`DeltaInput` (``input_type_delta.h``): the value, times ``1/dt``, is a
  current for one tick.

The returned currents are magnitudes: the neuron model subtracts the inhibitory
total (``total_exc - total_inh``), as the C code does.
"""

from .component import Component

#: global weight scale of sPyNNaker's conductance input type (conductances x 1024)
CONDUCTANCE_WEIGHT_SCALE = 1024.0
CONDUCTANCE_SHIFT = 10


class InputType(Component):
    """Base: the identity (current input)."""

    #: factor between PyNN weights and the synaptic state (sPyNNaker's global weight scale)
    weight_scale = 1.0

    def values(self, values):
        """Per-receptor input values from the synapse type's (input_type_get_input_value)."""
        return values

    def currents(self, excitatory, inhibitory, v):
        """(excitatory currents, inhibitory currents) of the receptors' values."""
        return excitatory, inhibitory


class CurrentInput(InputType):
    """The synaptic value is the current."""


class ConductanceInput(InputType):
    """Conductances times 1024, ``g >> 10`` into ``g (E_rev - v)``."""

    parameter_names = ("e_rev_E", "e_rev_I")
    weight_scale = CONDUCTANCE_WEIGHT_SCALE

    def prepare(self, A, dt):
        super().prepare(A, dt)
        p = self.group.params
        self.e_rev_E = A.param(p["e_rev_E"])
        self.e_rev_I = A.param(p["e_rev_I"])

    def values(self, values):
        A = self.A
        return [A.shift_right(x, CONDUCTANCE_SHIFT) for x in values]

    def currents(self, excitatory, inhibitory, v):
        A = self.A
        return ([A.mul(g, self.e_rev_E - v) for g in excitatory],
                [A.mul(-g, self.e_rev_I - v) for g in inhibitory])


class DeltaInput(InputType):
    """The value of one tick, times 1/dt, as a current."""

    def prepare(self, A, dt):
        super().prepare(A, dt)
        self.scale = A.div(A.param(1.0), A.param(dt))

    def currents(self, excitatory, inhibitory, v):
        A = self.A
        return ([A.mul(x, self.scale) for x in excitatory],
                [A.mul(x, self.scale) for x in inhibitory])
