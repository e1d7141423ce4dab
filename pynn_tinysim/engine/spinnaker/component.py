"""The base of the components a sPyNNaker-flavour neuron group is composed of.

sPyNNaker builds each neuron model from four parts (``neuron_impl_standard.h``):
a neuron model (:mod:`.neuron_models`), a synapse type (:mod:`.synapse_types`),
an input type (:mod:`.input_types`) and a threshold type (:mod:`.thresholds`).
Each part here declares the group parameters it reads, the state variables and
internal arrays it owns, and computes its constants from the group's parameters
(:meth:`Component.prepare`); :class:`~.groups.SpiNNakerNeuronGroup` collects the
declarations and calls the parts in the C code's order every tick.
"""


class Component:
    """One part of a sPyNNaker neuron group; one object per group.

    ``parameter_names``
        the group parameters (PyNN names and units) this part reads;
    ``state_names``
        the state variables it owns (initialize()/reset() apply to them);
    ``internal_state``
        other per-neuron arrays it owns, as :attr:`~..groups.NeuronGroup.internal_state`
        declares them (attributes of the group, grown and reset by it).
    """

    parameter_names = ()
    state_names = ()
    internal_state = {}

    def __init__(self, group):
        self.group = group
        self.A = None

    def prepare(self, A, dt):
        """Compute this part's constants from the group's parameters, in arithmetic ``A``.

        ``A`` is :class:`~.fixed_point.FixedArith` or :class:`~.fixed_point.FloatArith`.
        """
        self.A = A

    def start_run(self, dt):
        """Called before each run, after any state set between runs."""
