"""The sPyNNaker flavour's settings, as the engine reads them: ``Network.spinnaker``.

:class:`FlavourSettings` is what the engine needs from the flavour (the
arithmetic); the flavour's front end stores its own per-setup bookkeeping in a
subclass of it (``pynn_tinysim.spinnaker.simulator.SpiNNakerSettings``), in the
same declared field of :class:`~..network.Network`. A network the flavour has
not set up has ``spinnaker = None``.
"""

from dataclasses import dataclass


@dataclass(eq=False)
class FlavourSettings:
    """The flavour's engine settings (one object per network, set by the flavour's setup())."""

    #: True: the board's s16.15 arithmetic, ring-buffer saturation and STDP look-up
    #: tables; False: the same rules in float64
    fixed_point: bool = True


def configure(network, settings):
    """Give ``network`` the flavour settings ``settings``.

    Every group recomputes its constants before the next run (those of the flavour
    depend on the arithmetic; the others come out the same).
    """
    network.spinnaker = settings
    for group in network.groups.values():
        group.invalidate()


def neurons_in_fixed_point(network):
    """Whether the flavour's neuron groups compute in fixed point.

    Without settings (an engine network the flavour did not set up), yes: the
    groups model the board.
    """
    settings = network.spinnaker
    return True if settings is None else bool(settings.fixed_point)


def traces_in_fixed_point(network):
    """Whether the flavour's STDP rules use the board's trace arithmetic.

    Without settings, no: exact exponentials.
    """
    settings = network.spinnaker
    return settings is not None and bool(settings.fixed_point)
