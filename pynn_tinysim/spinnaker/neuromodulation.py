"""``extra_models.Neuromodulation`` and the neuromodulated STDP it turns on (front end).

In sPyNNaker a Projection with ``synapse_type=Neuromodulation(weight, tau_c,
tau_d, w_min, w_max)`` and ``receptor_type="reward"`` or ``"punishment"``
makes the target Population's STDP neuromodulated: the STDP synapse
dynamics merge with it (``SynapseDynamicsSTDP.merge``), and every
SpikePairRule projection onto that Population then learns through
eligibility and dopamine traces (the rule: :mod:`..engine.spinnaker.neuromodulation`).
Here:

- :class:`Neuromodulation` is the synapse type (sPyNNaker's arguments and
  defaults; weights are dopamine concentrations, w_min/w_max the bounds of
  the neuromodulated weights, both >= 0);
- :func:`receptor_for` and :func:`attach` let the flavour's Projection accept
  the receptor types "reward" and "punishment" for it (only for it), and, as
  sPyNNaker, only where an STDP projection onto the Population already exists;
- :func:`prepare` (before each run, when the network changed) gives every
  SpikePairRule projection onto a neuromodulated Population the neuromodulated
  rule, its weights, delays and parameters carried over (sPyNNaker merges
  them when it maps the network).
"""

import numpy as np

from pyNN import errors
from pyNN.standardmodels import StandardSynapseType

from .. import simulator as core_simulator
from ..engine.spinnaker import neuromodulation as engine
from ..engine.spinnaker import plasticity as spinnaker_rules
from ..engine.spinnaker import structural as structural_engine
from ..standardmodels import identity_translations

TARGETS = tuple(engine.TARGETS)


class Neuromodulation(StandardSynapseType):
    """sPyNNaker's extra_models.Neuromodulation(weight=0.0, tau_c=1000.0, tau_d=200.0,
    w_min=0.0, w_max=1.0).

    Synapses onto receptor type "reward" (or "punishment") whose spikes add
    ``weight`` to (subtract it from) the target neuron's dopamine trace, which
    decays with ``tau_d`` (ms); the target's SpikePairRule synapses keep an
    eligibility trace decaying with ``tau_c`` (ms), and their weight, kept in
    [w_min, w_max], grows by eligibility times dopamine. Delay: one step, fixed.
    """

    default_parameters = {"weight": 0.0, "delay": None, "tau_c": 1000.0, "tau_d": 200.0,
                          "w_min": 0.0, "w_max": 1.0}
    translations = identity_translations("weight", "delay", "tau_c", "tau_d", "w_min", "w_max")
    engine_model = engine.NeuromodulationSynapses
    parameter_checks = {}

    def __init__(self, weight=0.0, tau_c=1000.0, tau_d=200.0, w_min=0.0, w_max=1.0):
        for name, value in (("tau_c", tau_c), ("tau_d", tau_d)):
            if not (np.isscalar(value) and np.isfinite(value) and value > 0):
                raise errors.InvalidParameterValueError(
                    f"Neuromodulation: {name}={value!r} must be a time constant > 0 ms")
        if w_min < 0 or w_max < 0:
            raise errors.InvalidParameterValueError(
                f"Neuromodulation: Minimum and maximum weights must be >= 0 (as sPyNNaker "
                f"requires), got w_min={w_min!r}, w_max={w_max!r}")
        super().__init__(weight=weight, delay=None, tau_c=tau_c, tau_d=tau_d, w_min=w_min,
                         w_max=w_max)

    def _get_minimum_delay(self):
        return core_simulator.state.dt


def _populations(cells):
    """The Populations a Population, PopulationView or Assembly is made of."""
    if hasattr(cells, "populations"):
        return [p for part in cells.populations for p in _populations(part)]
    return [getattr(cells, "grandparent", None) or cells]


def _is_pair_stdp(block):
    return type(block) is spinnaker_rules.SpinnakerSTDP


def _is_structural_pair_stdp(block):
    """A StructuralMechanismSTDP block whose slots follow SpikePairRule (not yet modulated)."""
    inner = getattr(block, "inner", None)
    return isinstance(block, structural_engine.StructuralSynapses) and inner is not None \
        and type(inner).__bases__[-1] is spinnaker_rules.SpinnakerSTDP


def receptor_for(synapse_type, receptor_type, post, flavour):
    """The receptor type PyNN's Projection should check, for ``synapse_type``.

    A Neuromodulation needs "reward" or "punishment" and an STDP projection
    onto ``post`` made before it; what PyNN checks is then the Population's
    first receptor type (the synapses feed no receptor: see :func:`attach`).
    Any other synapse type: ``receptor_type`` unchanged.
    """
    if not isinstance(synapse_type, Neuromodulation):
        return receptor_type
    if receptor_type not in TARGETS:
        raise errors.ConnectionError(
            f"Neuromodulation synapses need receptor_type 'reward' or 'punishment', not "
            f"{receptor_type!r}")
    targets = set(map(id, _populations(post)))
    # (any STDP synapse dynamics merge a neuromodulation in sPyNNaker, structural ones
    # included; which of them can be neuromodulated here is decided in prepare())
    plastic = [p for p in flavour.projections
               if getattr(p.synapse_type, "timing_dependence", None) is not None
               and targets & set(map(id, _populations(p.post)))]
    if not plastic:
        raise errors.ConnectionError(
            "Neuromodulation synapses can only be added where an existing projection has "
            "already been added which supports neuromodulation (an STDPMechanism with "
            f"SpikePairRule onto {post.label!r}), as in sPyNNaker")
    receptors = post.receptor_types
    if not receptors:
        raise errors.ConnectionError(f"{post.label!r} has no synapses to neuromodulate")
    return receptors[0]


def attach(projection, receptor_type):
    """After PyNN built a Neuromodulation Projection: its real receptor type and sign."""
    projection.receptor_type = receptor_type
    projection._block.receptor = receptor_type
    projection._block.sign = engine.TARGETS[receptor_type]
    # sPyNNaker's neuromodulation parameters belong to the target Population's synapse
    # dynamics: every neuron of it takes them, those no synapse of this projection
    # reaches included (their dopamine trace stays 0, their weights are still bounded)
    space = projection.synapse_type.parameter_space
    ids = np.concatenate([np.asarray(p.all_cells, np.int64)
                          for p in _populations(projection.post)])
    projection._block.modulated = (ids, {name: float(space[name].base_value)
                                         for name in ("tau_c", "tau_d", "w_min", "w_max")})


def prepare(flavour):
    """Give the SpikePairRule projections onto neuromodulated Populations the
    neuromodulated rule (as sPyNNaker merges them); refuse other rules there."""
    modulated = {}
    for projection in flavour.projections:
        if isinstance(projection._block, engine.NeuromodulationSynapses):
            for population in _populations(projection.post):
                modulated.setdefault(id(population), (population, projection))
    if not modulated:
        return
    network = core_simulator.state.network
    for projection in flavour.projections:
        block = projection._block
        if isinstance(block, (engine.NeuromodulationSynapses, engine.NeuromodulatedSTDP)) \
                or isinstance(getattr(block, "inner", None), engine.NeuromodulatedSTDP) \
                or not projection._plastic:
            continue
        hit = [modulated[id(p)] for p in _populations(projection.post) if id(p) in modulated]
        if not hit:
            continue
        if _is_structural_pair_stdp(block):
            block.replace_rule(engine.structural_neuromodulated_model())
            network.synapses_changed()
            continue
        if not _is_pair_stdp(block):
            rule = type(getattr(projection.synapse_type, "timing_dependence", None)
                        or projection.synapse_type).__name__
            raise NotImplementedError(
                f"pyNN.tinysim.spinnaker: {rule} ({type(projection.synapse_type).__name__})"
                f" onto the neuromodulated Population {hit[0][0].label!r}: only "
                "STDPMechanism or StructuralMechanismSTDP with SpikePairRule and Additive- "
                "or MultiplicativeWeightDependence is neuromodulated here (not other rules)")
        _swap(projection, block, network)


def _swap(projection, old, network):
    old.consolidate()
    new = engine.NeuromodulatedSTDP(old.receptor, network)
    new.add(old.pre, old.post, old.weight.copy(), old.delay_steps.copy(),
            **{name: old.params[name] for name in new.parameter_names})
    new.consolidate()
    new.initial_weight[:] = old.initial_weight
    network.deliveries[network.deliveries.index(old)] = new
    projection._block = new
    network.synapses_changed()
