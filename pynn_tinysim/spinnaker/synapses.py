"""Synapse types of the sPyNNaker flavour.

``StaticSynapse`` takes weight *magnitudes*, as sPyNNaker does: the receptor
type gives the sign (``numpy.abs(weights)``; the models subtract inhibitory
input), so a positive weight on an inhibitory current synapse is what a
SpiNNaker script means, not an error. Weights of one projection must not mix
signs (sPyNNaker: "Weights must be either all positive or all negative").
The default delay is the minimum delay, as in sPyNNaker.

Plasticity: ``STDPMechanism`` with ``SpikePairRule`` and ``AdditiveWeightDependence``
or ``MultiplicativeWeightDependence`` runs on pyNN.tinysim's plasticity engine
with sPyNNaker 7.4's semantics (engine ``SpinnakerSTDP``): weights change when
a presynaptic spike is processed, additive A_plus/A_minus are in weight units,
a post event of the tick of a pre spike in that spike's depression; in
fixed point (the default) the board's 11-bit look-up tables, 16-bit weights in
the target's ring-buffer scale and s16.15 updates, in float mode float64 with
exact exponentials.
sPyNNaker's extra_models rules run on the same engine, with sPyNNaker's
arguments: ``Vogels2011Rule`` (with ``AdditiveWeightDependence``; NEST's
vogels_sprekeler_synapse with eta = A_plus, in weight units),
``SpikeNearestPairRule`` (with Additive- or MultiplicativeWeightDependence;
sPyNNaker's nearest-pair timing) and ``PfisterSpikeTriplet`` with
``WeightDependenceAdditiveTriplet`` (Pfister & Gerstner 2006 minimal triplet
rule). Other combinations raise NotImplementedError when a Projection uses them.
"""

import logging

from pyNN import errors
from pyNN.standardmodels import synapses as pynn_synapses
from pyNN.standardmodels import build_translations, STDPTimingDependence, STDPWeightDependence

from .. import simulator
from ..engine import plasticity as engine_rules
from ..engine.spinnaker import plasticity as spinnaker_rules
from ..standardmodels import synapses as core

logger = logging.getLogger("pyNN.tinysim.spinnaker")


def _minimum_delay(self):
    return simulator.state.min_delay


class StaticSynapse(core.StaticSynapse):
    """Fixed weight and delay; the weight is a magnitude (the receptor type gives the sign).

    ``pad_to_length`` (sPyNNaker: room for structural plasticity) is accepted and ignored.
    """

    parameter_checks = {}
    _get_minimum_delay = _minimum_delay

    def __init__(self, weight=0.0, delay=None, pad_to_length=None):
        if pad_to_length is not None:
            logger.debug("StaticSynapse(pad_to_length=%r): board setting, ignored", pad_to_length)
        super().__init__(weight=weight, delay=delay)


_HAS_CORE_STDP = hasattr(core, "STDPMechanism")

if _HAS_CORE_STDP:
    class STDPMechanism(core.STDPMechanism):
        """sPyNNaker's STDPMechanism signature, on pyNN.tinysim's engine with sPyNNaker's rules."""

        parameter_checks = {}
        #: sPyNNaker checks no sign: a negative A_minus (depression turned into
        #: potentiation) is taken as given
        unchecked_parameters = ("A_minus",)
        _get_minimum_delay = _minimum_delay

        def __init__(self, timing_dependence=None, weight_dependence=None,
                     voltage_dependence=None, dendritic_delay_fraction=1.0,
                     weight=0.0, delay=None, pad_to_length=None, backprop_delay=True):
            if pad_to_length is not None or backprop_delay is not True:
                logger.debug("STDPMechanism(pad_to_length=%r, backprop_delay=%r): ignored",
                             pad_to_length, backprop_delay)
            self.timing_dependence = timing_dependence
            self.weight_dependence = weight_dependence
            super().__init__(timing_dependence, weight_dependence, voltage_dependence,
                             dendritic_delay_fraction, weight, delay)

        @property
        def engine_model(self):
            if "engine_model" in self.__dict__:
                return self.__dict__["engine_model"]
            try:
                self.possible_models
            except errors.NoModelAvailableError:
                return None      # a combination of rules that does not exist
            engine = getattr(self.timing_dependence, "spinnaker_engine_model", None)
            if engine:
                return engine
            engine = core.STDPMechanism.engine_model.fget(self)
            # SpikePairRule: sPyNNaker's parameter scaling and coincidence rule
            return spinnaker_rules.SpinnakerSTDP if engine is engine_rules.STDP else engine

        @engine_model.setter
        def engine_model(self, value):
            self.__dict__["engine_model"] = value

    SpikePairRule = core.SpikePairRule
    AdditiveWeightDependence = core.AdditiveWeightDependence
    MultiplicativeWeightDependence = core.MultiplicativeWeightDependence
else:  # pragma: no cover - pyNN.tinysim without its plasticity engine
    class STDPMechanism(pynn_synapses.STDPMechanism):
        """Accepted so scripts import; a Projection using it raises NotImplementedError."""

        def __init__(self, timing_dependence=None, weight_dependence=None,
                     voltage_dependence=None, dendritic_delay_fraction=1.0,
                     weight=0.0, delay=None, pad_to_length=None, backprop_delay=True):
            self.timing_dependence = timing_dependence
            self.weight_dependence = weight_dependence
            self.weight, self.delay = weight, delay

    SpikePairRule = pynn_synapses.SpikePairRule
    AdditiveWeightDependence = pynn_synapses.AdditiveWeightDependence
    MultiplicativeWeightDependence = pynn_synapses.MultiplicativeWeightDependence


def is_simulated(synapse_type):
    """Whether a Projection with this synapse type can run in the flavour."""
    if isinstance(synapse_type, core.StaticSynapse):
        return True
    return _HAS_CORE_STDP and getattr(synapse_type, "engine_model", None) is not None


class _SpinnakerRule:
    """An sPyNNaker extra_models plasticity component simulated by pyNN.tinysim's engine.

    Takes sPyNNaker's arguments (positional in sPyNNaker's order, or by name);
    its parameters are readable as attributes (``rule.alpha``), as in sPyNNaker.
    The rules follow sPyNNaker's C sources (:mod:`pynn_tinysim.engine.spinnaker.plasticity`):
    its timing, its parameter scaling and, in fixed-point mode, its look-up-table
    decays, 11-bit traces and 16-bit weights updated in s16.15, as for
    SpikePairRule.
    """

    spinnaker_signature = ()
    spinnaker_defaults = {}

    def __init__(self, *args, **kwargs):
        names = self.spinnaker_signature
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__}() takes at most {len(names)} arguments")
        params = dict(self.spinnaker_defaults)
        given = dict(zip(names, args))
        twice = set(given) & set(kwargs)
        if twice:
            raise TypeError(f"{type(self).__name__}() got multiple values for {sorted(twice)}")
        unknown = set(kwargs) - set(names)
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected arguments {sorted(unknown)}")
        params.update(given)
        params.update(kwargs)
        missing = [n for n in names if n not in params]
        if missing:
            raise TypeError(f"{type(self).__name__}() missing arguments {missing}")
        super().__init__(**{name: float(params[name]) for name in names})

    def __getattr__(self, name):
        if name in type(self).spinnaker_signature:
            space = self.__dict__.get("parameter_space")
            if space is not None:
                return space[name].base_value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self):
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.spinnaker_signature)
        return f"{type(self).__name__}({args})"


def _spinnaker_rule(name, base, signature, defaults, models, engine, doc):
    return type(name, (_SpinnakerRule, base), {
        "__doc__": doc, "__module__": __name__,
        "spinnaker_signature": signature, "spinnaker_defaults": defaults,
        "default_parameters": {n: float(defaults.get(n, 1.0)) for n in signature},
        "translations": build_translations(*[(n, n) for n in signature]),
        "possible_models": set(models), "spinnaker_engine_model": engine})


Vogels2011Rule = _spinnaker_rule(
    "Vogels2011Rule", STDPTimingDependence, ("alpha", "tau", "A_plus", "A_minus"),
    {"tau": 20.0, "A_plus": 0.01, "A_minus": 0.01}, {"vogels"},
    spinnaker_rules.SpinnakerVogels,
    """sPyNNaker extra_models.Vogels2011Rule(alpha, tau=20.0, A_plus=0.01, A_minus=0.01).

    Inhibitory plasticity of Vogels et al. (2011), with AdditiveWeightDependence
    only: runs as NEST's vogels_sprekeler_synapse with eta = A_plus
    in weight units (sPyNNaker 7.4's additive weight dependence) and alpha as
    given (a presynaptic spike moves the weight by eta (o - alpha), a
    postsynaptic one by eta r; traces with time constant tau). A_minus is
    unused, as in sPyNNaker.
    """)

SpikeNearestPairRule = _spinnaker_rule(
    "SpikeNearestPairRule", STDPTimingDependence, ("tau_plus", "tau_minus", "A_plus", "A_minus"),
    {"tau_plus": 20.0, "tau_minus": 20.0, "A_plus": 0.01, "A_minus": 0.01}, {"stdp"},
    spinnaker_rules.NearestSTDP,
    """sPyNNaker extra_models.SpikeNearestPairRule (nearest-neighbour spike pairs).

    As SpikePairRule (same weight dependences and arithmetic), with sPyNNaker's
    nearest-pair timing: only the first postsynaptic spike after a presynaptic
    one potentiates (with that presynaptic spike), and each presynaptic spike
    is depressed by the most recent postsynaptic spike.
    """)

PfisterSpikeTriplet = _spinnaker_rule(
    "PfisterSpikeTriplet", STDPTimingDependence,
    ("tau_plus", "tau_minus", "tau_x", "tau_y", "A_plus", "A_minus"), {}, {"triplet"},
    spinnaker_rules.PfisterTriplet,
    """sPyNNaker extra_models.PfisterSpikeTriplet(tau_plus, tau_minus, tau_x, tau_y, A_plus, A_minus).

    Pfister & Gerstner (2006) minimal all-to-all triplet rule, with
    WeightDependenceAdditiveTriplet only: traces r1 (tau_plus), r2
    (tau_x) of the presynaptic spikes, o1 (tau_minus), o2 (tau_y) of the
    postsynaptic ones; a presynaptic spike moves the weight by
    ``-(w_max - w_min) o1 (A_minus + A3_minus r2)``, a postsynaptic one by
    ``+(w_max - w_min) r1 (A_plus + A3_plus o2)`` (r2, o2 before the spike's own
    increment), clipped to [w_min, w_max].
    """)

WeightDependenceAdditiveTriplet = _spinnaker_rule(
    "WeightDependenceAdditiveTriplet", STDPWeightDependence,
    ("w_min", "w_max", "A3_plus", "A3_minus"),
    {"w_min": 0.0, "w_max": 1.0, "A3_plus": 0.01, "A3_minus": 0.01}, {"triplet"}, None,
    """sPyNNaker extra_models.WeightDependenceAdditiveTriplet(w_min=0.0, w_max=1.0, A3_plus=0.01, A3_minus=0.01).

    The weight dependence of PfisterSpikeTriplet (simulated only with it): additive
    pair and triplet terms, weights clipped to [w_min, w_max].
    """)


def check_synapse_type(synapse_type):
    """NotImplementedError naming the rule if a Projection cannot simulate ``synapse_type``."""
    if synapse_type is None or is_simulated(synapse_type):
        return
    td = getattr(synapse_type, "timing_dependence", None)
    wd = getattr(synapse_type, "weight_dependence", None)
    if td is not None and wd is not None:
        raise NotImplementedError(
            f"pyNN.tinysim.spinnaker: {type(td).__name__} cannot be combined with "
            f"{type(wd).__name__} (simulated: SpikePairRule or SpikeNearestPairRule with "
            "Additive- or MultiplicativeWeightDependence, Vogels2011Rule with "
            "AdditiveWeightDependence, PfisterSpikeTriplet with "
            "WeightDependenceAdditiveTriplet)")
    raise NotImplementedError(
        f"pyNN.tinysim.spinnaker does not simulate synapse type "
        f"{type(synapse_type).__name__} (StaticSynapse and STDPMechanism run; run this "
        "script on sPyNNaker for the others)")


def check_not_mixed_signs(projection, weights):
    """sPyNNaker's rule: one projection's weights are all >= 0 or all <= 0."""
    import numpy as np
    weights = np.asarray(weights, dtype=float)
    signs = projection._spinnaker_weight_signs
    if (weights > 0).any():
        signs.add(1)
    if (weights < 0).any():
        signs.add(-1)
    if len(signs) > 1:
        raise errors.ConnectionError(
            "Weights must be either all positive or all negative in projection "
            f"{projection.pre.label}->{projection.post.label} (sPyNNaker takes magnitudes: "
            "the receptor type gives the sign)")


# --- issue 17: extra_models.RecurrentRule -----------------------------------------------

from ..engine.spinnaker import recurrent as _recurrent_rules   # noqa: E402

RecurrentRule = _spinnaker_rule(
    "RecurrentRule", STDPTimingDependence,
    ("accumulator_depression", "accumulator_potentiation", "mean_pre_window",
     "mean_post_window", "dual_fsm", "A_plus", "A_minus"),
    {"accumulator_depression": -6, "accumulator_potentiation": 6, "mean_pre_window": 35.0,
     "mean_post_window": 35.0, "dual_fsm": True, "A_plus": 0.01, "A_minus": 0.01}, {"stdp"},
    _recurrent_rules.RecurrentSTDP,
    """sPyNNaker extra_models.RecurrentRule(accumulator_depression=-6, accumulator_potentiation=6,
    mean_pre_window=35.0, mean_post_window=35.0, dual_fsm=True, A_plus=0.01, A_minus=0.01).

    Potentiation or depression once an accumulator, stepped by post events inside
    a presynaptic window and pre spikes inside a postsynaptic window (exponentially
    distributed lengths, means in ms), reaches accumulator_potentiation or
    accumulator_depression; dual_fsm=False is sPyNNaker's "pre_stochastic" state
    machine. With Multiplicative- or AdditiveWeightDependence (the board's 16-bit
    weights in fixed point, float64 with ``setup(fixed_point=False)``);
    see :mod:`pynn_tinysim.engine.spinnaker.recurrent`.
    """)
