"""sPyNNaker's cell types: its names, parameters, defaults and initial values.

Each class declares what ``pyNN.spiNNaker`` (sPyNNaker 7.4) declares for the
model of the same name, and points at the engine group with sPyNNaker's update
rules (:mod:`pynn_tinysim.engine.spinnaker.groups`). The differences from PyNN's
standard models that change results:

- ``Izhikevich`` has ``tau_syn_E``/``tau_syn_I`` (exponential current synapses,
  weights in nA) and takes ``i_offset`` as the current I itself (i_offset = 5
  means I = 5 in dv/dt = 0.04 v**2 + 5 v + 140 - u + I);
- ``IF_cond_exp`` has tau_syn_E = tau_syn_I = 5 ms (PyNN: 0.3 and 0.5);
- ``SpikeSourcePoisson`` defaults to rate 0 Hz and no end;
- recordables are sPyNNaker's: spikes, v, gsyn_exc, gsyn_inh.

Where sPyNNaker declares ``None`` as a default ("no end", "no spikes"), PyNN's
parameter machinery needs a value of the parameter's type: ``duration`` is then
``inf`` and ``spike_times`` an empty Sequence, which mean the same thing.
``SPINNAKER_DEFAULTS`` keeps sPyNNaker's declarations verbatim.

As in sPyNNaker, initial values may be given to the constructor
(``IF_curr_exp(v=-70.0)``, ``Izhikevich(u=0)``), and the board-steering class
methods (``set_model_max_atoms_per_dimension_per_core``...) are accepted.
"""

import logging

import numpy as np
from pyNN.parameters import Sequence
from pyNN.standardmodels import StandardCellType, build_translations

from ..engine.spinnaker import groups, sources

logger = logging.getLogger("pyNN.tinysim.spinnaker")

_INF = float("inf")

#: default_parameters as sPyNNaker 7.4 declares them (pyNN.spiNNaker.X.default_parameters)
SPINNAKER_DEFAULTS = {
    "IF_curr_exp": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                    "v_thresh": -50.0, "tau_syn_E": 5.0, "tau_syn_I": 5.0,
                    "tau_refrac": 0.1, "i_offset": 0.0},
    "IF_cond_exp": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                    "v_thresh": -50.0, "tau_syn_E": 5.0, "tau_syn_I": 5.0,
                    "tau_refrac": 0.1, "i_offset": 0.0, "e_rev_E": 0.0, "e_rev_I": -70.0},
    "IF_curr_alpha": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                      "v_thresh": -50.0, "tau_syn_E": 0.5, "tau_syn_I": 0.5,
                      "tau_refrac": 0.1, "i_offset": 0.0},
    "IF_curr_delta": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                      "v_thresh": -50.0, "tau_refrac": 0.1, "i_offset": 0.0},
    "Izhikevich": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 2.0, "i_offset": 0.0,
                   "tau_syn_E": 5.0, "tau_syn_I": 5.0},
    "SpikeSourceArray": {"spike_times": None},
    "SpikeSourcePoisson": {"rate": 0.0, "start": 0, "duration": None},
    # extra_models
    "IF_curr_dual_exp": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                         "v_thresh": -50.0, "tau_syn_E": 5.0, "tau_syn_E2": 5.0,
                         "tau_syn_I": 5.0, "tau_refrac": 0.1, "i_offset": 0.0},
    "Izhikevich_cond": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 2.0, "i_offset": 0.0,
                        "tau_syn_E": 5.0, "tau_syn_I": 5.0, "e_rev_E": 0.0, "e_rev_I": -70.0},
    "IFCurDelta": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                   "v_thresh": -50.0, "tau_refrac": 0.1, "i_offset": 0.0},
    "IFCurrDeltaFixedProb": {"tau_m": 0.0001, "cm": 0.0001, "v_rest": 0.0, "v_reset": 0.0,
                             "v_thresh": 1.0, "p_thresh": 1.0, "tau_refrac": 0.0,
                             "i_offset": 0.0},
    "IFTruncDelta": {"tau_m": 1.0, "cm": 1.0, "v_reset": 0.0, "v_thresh": 1.0,
                     "tau_refrac": 1.0, "i_offset": 0.0},
    # rates and starts are required arguments of SpikeSourcePoissonVariable
    "SpikeSourcePoissonVariable": {"durations": None},
}

#: default_initial_values as sPyNNaker 7.4 declares them
SPINNAKER_INITIAL_VALUES = {
    "IF_curr_exp": {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
    "IF_cond_exp": {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
    "IF_curr_alpha": {"v": -65.0, "exc_response": 0.0, "exc_exp_response": 0.0,
                      "inh_response": 0.0, "inh_exp_response": 0.0},
    "IF_curr_delta": {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
    "Izhikevich": {"u": -14.0, "v": -70.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
    "IF_curr_dual_exp": {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0, "isyn_exc2": 0.0},
    "Izhikevich_cond": {"u": -14.0, "v": -70.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
    "IFCurDelta": {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
    # (sPyNNaker also declares a "seed" initial value: the board's random seed, which
    # has no meaning here; accepted and ignored, see SpiNNakerCellType)
    "IFCurrDeltaFixedProb": {"v": 0.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
    "IFTruncDelta": {"v": 0.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
}

_NEURON_UNITS = {"v": "mV", "gsyn_exc": "uS", "gsyn_inh": "uS"}


def _pynn_defaults(name):
    """sPyNNaker's defaults with its ``None``s replaced by PyNN-typed equivalents."""
    defaults = {}
    for key, value in SPINNAKER_DEFAULTS[name].items():
        if value is None:
            value = Sequence([]) if key in ("spike_times", "rates", "starts", "durations") \
                else _INF
        elif isinstance(value, int):
            value = float(value)
        defaults[key] = value
    return defaults


_SEQUENCE_PARAMETERS = ("spike_times", "rates", "starts", "durations")


def _as_sequences(value):
    """sPyNNaker's list forms -> PyNN's: a flat list is one Sequence for every cell,
    a list of lists one Sequence per cell; None is an empty Sequence."""
    if value is None:
        return Sequence([])
    if isinstance(value, Sequence) or np.isscalar(value):
        return value
    items = list(value)
    if items and all(isinstance(item, Sequence) or np.ndim(item) >= 1 for item in items):
        sequences = [item if isinstance(item, Sequence)
                     else Sequence(np.asarray(item, dtype=float).ravel()) for item in items]
        if len(sequences) == 1:      # one list for the (one-cell) Population
            return sequences[0]
        array = np.empty(len(sequences), dtype=object)
        array[:] = sequences
        return array
    return Sequence(np.asarray(items, dtype=float).ravel())


class SpiNNakerCellType(StandardCellType):
    """A cell type of the sPyNNaker flavour (see the module docstring)."""

    #: parameters sPyNNaker's constructor takes positionally (its spike sources:
    #: ``SpikeSourceArray(times)``, ``SpikeSourcePoisson(rate, start, duration)``);
    #: its neuron models take keywords only
    positional = ()

    def __init__(self, *args, **parameters):
        if len(args) > len(self.positional):
            raise TypeError(
                f"{type(self).__name__}() takes {len(self.positional)} positional "
                f"argument{'' if len(self.positional) == 1 else 's'} "
                f"({', '.join(self.positional) or 'keywords only'}) but {len(args)} were given")
        for name, value in zip(self.positional, args):
            if name in parameters:
                raise TypeError(f"{type(self).__name__}() got multiple values for {name!r}")
            parameters[name] = value
        if "seed" in parameters and "seed" not in self.default_parameters:
            # IFCurrDeltaFixedProb(seed=...): the board's RNG seed; the flavour draws from
            # the network's seeded generator (setup's rng_seed)
            logger.debug("%s(seed=%r): board random seed, ignored", type(self).__name__,
                         parameters.pop("seed"))
        initial = {name: parameters.pop(name) for name in list(parameters)
                   if name in self.default_initial_values and name not in self.default_parameters}
        for name in _SEQUENCE_PARAMETERS:
            if name in parameters:
                parameters[name] = _as_sequences(parameters[name])
        super().__init__(**parameters)
        if initial:
            self.default_initial_values = dict(type(self).default_initial_values, **initial)

    # sPyNNaker's model-level board settings (cleared by setup(), and only allowed
    # before the first Population, as in sPyNNaker); only the neurons-per-core and
    # delay-extension settings matter here: they bound the longest delay
    _max_atoms_per_core = {}
    _allow_delay_extensions = {}

    @classmethod
    def _verify_may_set(cls, param):
        from .simulator import settings, SpinnakerException
        if settings().populations:
            raise SpinnakerException(
                "Global set is not supported after a Population has been created. Either "
                "move it above the creation of all Populations or provide "
                f"{param} during the creation of each Population it applies to.")

    @classmethod
    def set_model_max_atoms_per_dimension_per_core(cls, n_atoms=None):
        from .simulator import SpinnakerException
        cls._verify_may_set("neurons_per_core")
        if n_atoms is not None and np.prod(n_atoms) > cls.absolute_max_atoms_per_core:
            raise SpinnakerException(
                f"The absolute maximum neurons per core for this model is "
                f"{cls.absolute_max_atoms_per_core}")
        logger.debug("%s.set_model_max_atoms_per_dimension_per_core(%r): board setting",
                     cls.__name__, n_atoms)
        if n_atoms is not None and np.isscalar(n_atoms):
            n_atoms = (int(n_atoms),)
        SpiNNakerCellType._max_atoms_per_core[cls] = n_atoms

    @classmethod
    def get_model_max_atoms_per_dimension_per_core(cls):
        n = SpiNNakerCellType._max_atoms_per_core.get(cls)
        return (cls.absolute_max_atoms_per_core,) if n is None else n

    @classmethod
    def set_model_n_synapse_cores(cls, n_synapse_cores):
        cls._verify_may_set("n_synapse_cores")
        logger.debug("%s.set_model_n_synapse_cores(%r): board setting, ignored",
                     cls.__name__, n_synapse_cores)

    @classmethod
    def set_model_allow_delay_extensions(cls, allow):
        cls._verify_may_set("allow_delay_extensions")
        logger.debug("%s.set_model_allow_delay_extensions(%r)", cls.__name__, allow)
        SpiNNakerCellType._allow_delay_extensions[cls] = bool(allow)

    @classmethod
    def model_allows_delay_extensions(cls):
        return SpiNNakerCellType._allow_delay_extensions.get(cls, True)

    @staticmethod
    def reset_all():
        """Forget every model-level board setting (sPyNNaker does this in setup())."""
        SpiNNakerCellType._max_atoms_per_core.clear()
        SpiNNakerCellType._allow_delay_extensions.clear()

    #: sPyNNaker's DEFAULT_MAX_ATOMS_PER_CORE (= POP_TABLE_MAX_ROW_LENGTH)
    absolute_max_atoms_per_core = 256


def _make(name, engine_model, doc, conductance_based=False, receptor_types=None,
          recordable=("spikes", "v", "gsyn_exc", "gsyn_inh"), injectable=True,
          base=SpiNNakerCellType):
    defaults = _pynn_defaults(name)
    attributes = {
        "__doc__": doc,
        "default_parameters": defaults,
        "default_initial_values": dict(SPINNAKER_INITIAL_VALUES.get(name, {})),
        "recordable": list(recordable),
        "units": {k: v for k, v in _NEURON_UNITS.items() if k in recordable},
        "translations": build_translations(*[(key, key) for key in defaults]),
        "engine_model": engine_model,
        "conductance_based": conductance_based,
        "injectable": injectable,
        "spinnaker_name": name,
    }
    if receptor_types is not None:
        attributes["receptor_types"] = tuple(receptor_types)
    return type(name, (base,), attributes)


IF_curr_exp = _make(
    "IF_curr_exp", groups.LIFCurrExp,
    "Leaky integrate-and-fire with exponential current synapses (sPyNNaker's IF_curr_exp).")
IF_cond_exp = _make(
    "IF_cond_exp", groups.LIFCondExp,
    "Leaky integrate-and-fire with exponential conductance synapses (sPyNNaker's "
    "IF_cond_exp).", conductance_based=True)
IF_curr_alpha = _make(
    "IF_curr_alpha", groups.LIFCurrAlpha,
    "Leaky integrate-and-fire with alpha-shaped current synapses (sPyNNaker's IF_curr_alpha).")
IF_curr_delta = _make(
    "IF_curr_delta", groups.LIFCurrDelta,
    "Leaky integrate-and-fire with delta current synapses (sPyNNaker's IF_curr_delta): "
    "each input is a current of weight/dt nA for one tick.")
Izhikevich = _make(
    "Izhikevich", groups.IzhikevichCurrExp,
    "Izhikevich neuron with exponential current synapses (sPyNNaker's Izhikevich): "
    "i_offset is the current I of the model, tau_syn_E/I shape the synaptic current.")


class _SpikeSource(SpiNNakerCellType):
    """Spike sources: no receptors, nothing to inject into."""
    receptor_types = ()
    injectable = False


SpikeSourceArray = _make(
    "SpikeSourceArray", sources.SpiNNakerSpikeArray,
    "Spikes at given times, each sent on tick ceil(floor(t us) / timestep) as sPyNNaker does.",
    recordable=("spikes",), injectable=False, base=_SpikeSource)
SpikeSourcePoisson = _make(
    "SpikeSourcePoisson", sources.SpiNNakerPoissonSource,
    "Poisson spike source generated tick by tick as sPyNNaker's spike_source_poisson.c does.",
    recordable=("spikes",), injectable=False, base=_SpikeSource)

# --- extra_models ---------------------------------------------------------------------

IF_curr_dual_exp = _make(
    "IF_curr_dual_exp", groups.LIFCurrDualExp,
    "LIF with two excitatory exponential current synapses (receptor types 'excitatory' "
    "and 'excitatory2') and one inhibitory (sPyNNaker extra_models.IF_curr_dual_exp).",
    receptor_types=("excitatory", "excitatory2", "inhibitory"))
Izhikevich_cond = _make(
    "Izhikevich_cond", groups.IzhikevichCondExp,
    "Izhikevich neuron with exponential conductance synapses "
    "(sPyNNaker extra_models.Izhikevich_cond).", conductance_based=True)
IFCurDelta = _make(
    "IFCurDelta", groups.LIFCurrDelta,
    "sPyNNaker extra_models.IFCurDelta: the same model as IF_curr_delta.")
IFCurrDeltaFixedProb = _make(
    "IFCurrDeltaFixedProb", groups.LIFCurrDeltaFixedProb,
    "sPyNNaker extra_models.IFCurrDeltaFixedProb: IF_curr_delta that, at or above "
    "v_thresh, spikes with probability p_thresh each tick (threshold_type_fixed_prob.h; "
    "numpy's seeded generator, not the board's).")
IFTruncDelta = _make(
    "IFTruncDelta", groups.IFTruncDelta,
    "sPyNNaker extra_models.IFTruncDelta: non-leaky integrate-and-fire, delta input "
    "(v += I R each tick), the membrane never below v_reset (neuron_model_if_trunc.h).")
SpikeSourcePoissonVariable = _make(
    "SpikeSourcePoissonVariable", sources.SpiNNakerPoissonVariable,
    "Poisson source whose rate changes at given times "
    "(sPyNNaker extra_models.SpikeSourcePoissonVariable): ``rates`` and ``starts`` "
    "(ms), optionally ``durations`` (ms; default: until the next start).",
    recordable=("spikes",), injectable=False, base=_SpikeSource)
SpikeSourceArray.positional = ("spike_times",)
SpikeSourcePoisson.positional = ("rate", "start", "duration")
SpikeSourcePoissonVariable.positional = ("rates", "starts", "durations")
SpikeSourcePoissonVariable.default_parameters = {
    "rates": Sequence([]), "starts": Sequence([]), "durations": Sequence([])}
SpikeSourcePoissonVariable.translations = build_translations(
    ("rates", "rates"), ("starts", "starts"), ("durations", "durations"))

STANDARD_CELL_TYPES = (IF_curr_exp, IF_cond_exp, IF_curr_alpha, IF_curr_delta, Izhikevich,
                       SpikeSourceArray, SpikeSourcePoisson)
EXTRA_CELL_TYPES = (IF_curr_dual_exp, Izhikevich_cond, IFCurDelta, SpikeSourcePoissonVariable,
                    IFCurrDeltaFixedProb, IFTruncDelta)

# --- extra_models: stochastic threshold, Ca2+ adaptation, sEMD (issue 17) ---------------

from ..engine.spinnaker import extra_neurons as _extra_neurons   # noqa: E402

SPINNAKER_DEFAULTS.update({
    "IFCondExpStoc": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                      "v_thresh": -50.0, "tau_syn_E": 5.0, "tau_syn_I": 5.0,
                      "tau_refrac": 0.1, "i_offset": 0.0, "e_rev_E": 0.0, "e_rev_I": -70.0,
                      "du_th": 0.5, "tau_th": 20.0},
    "IFCurrExpCa2Adaptive": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                             "v_thresh": -50.0, "tau_syn_E": 5.0, "tau_syn_I": 5.0,
                             "tau_refrac": 0.1, "i_offset": 0.0, "tau_ca2": 50.0,
                             "i_alpha": 0.1},
    "IF_curr_exp_sEMD": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                         "v_thresh": -50.0, "tau_syn_E": 5.0, "tau_syn_E2": 5.0,
                         "tau_syn_I": 5.0, "tau_refrac": 0.1, "i_offset": 0.0,
                         "scaling_factor": 1.0},
})
SPINNAKER_INITIAL_VALUES.update({
    "IFCondExpStoc": {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
    "IFCurrExpCa2Adaptive": {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0, "i_ca2": 0.0},
    "IF_curr_exp_sEMD": {"v": -65.0, "isyn_exc": 0.0, "isyn_exc2": 0.0, "isyn_inh": 0.0,
                         "exc2_old": 0.0, "multiplicator": 0.0},
})

IFCondExpStoc = _make(
    "IFCondExpStoc", _extra_neurons.LIFCondExpStoc,
    "sPyNNaker extra_models.IFCondExpStoc: IF_cond_exp with the stochastic threshold of "
    "Habenschuss, Jonke & Maass (2013), du_th (mV) and tau_th (ms), as the board computes "
    "it (threshold_type_maass_stochastic.h; see engine.spinnaker.extra_neurons).",
    conductance_based=True)
IFCurrExpCa2Adaptive = _make(
    "IFCurrExpCa2Adaptive", _extra_neurons.LIFCurrExpCa2Adaptive,
    "sPyNNaker extra_models.IFCurrExpCa2Adaptive: IF_curr_exp with the Ca2+-activated "
    "adaptation current of Liu & Wang (2001): i_ca2 decays with tau_ca2 (ms), is "
    "subtracted from the input, and grows by i_alpha (nA) at each spike.")
IF_curr_exp_sEMD = _make(
    "IF_curr_exp_sEMD", _extra_neurons.LIFCurrExpSEMD,
    "sPyNNaker extra_models.IF_curr_exp_sEMD: spiking elementary motion detector; the "
    "'excitatory2' input, times the 'excitatory' current at its onset, times "
    "scaling_factor, drives the LIF membrane.",
    receptor_types=("excitatory", "excitatory2", "inhibitory"))
EXTRA_CELL_TYPES = EXTRA_CELL_TYPES + (IFCondExpStoc, IFCurrExpCa2Adaptive, IF_curr_exp_sEMD)
