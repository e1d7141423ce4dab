"""Standard synapse types of pyNN.tinysim.

Each class subclasses PyNN's standard synapse type (names, defaults, units are
PyNN's) with identity translations, and names the engine class that simulates
it (``engine_model``): :class:`StaticSynapse` goes to the static fast path of
:mod:`..engine.synapses`, every other type to its own
:class:`~..engine.plasticity.PlasticSynapses` (see that module for the update
equations; they are NEST's, the models pyNN.nest uses).

STDPMechanism composes a timing dependence and a weight dependence, as in
PyNN: SpikePairRule with any of the four weight dependences (their exponents
mu_plus/mu_minus are extra parameters, as in pyNN.nest), or Vogels2011Rule with
AdditiveWeightDependence. Delays count as dendritic (dendritic_delay_fraction
= 1, as pyNN.nest): other fractions raise an error.
"""

from pyNN import errors
from pyNN.standardmodels import synapses, check_weights

from .. import simulator
from . import identity_translations
from .validation import normalized_values
from ..engine import plasticity

SPINNAKER_HINT = (
    " This script looks written for SpiNNaker (sPyNNaker takes weight magnitudes and "
    "lets the receptor type give the sign). Use negative weights for inhibitory "
    "current-based synapses, or run it unchanged with `import pyNN.tinysim.spinnaker as sim`.")


def check_weights_with_hint(weights, projection):
    """PyNN's weight-sign check; a positive inhibitory current weight gets the SpiNNaker hint."""
    try:
        check_weights(weights, projection)
    except errors.ConnectionError as err:
        if "negative for current-based, inhibitory" in str(err):
            raise errors.ConnectionError(str(err) + "." + SPINNAKER_HINT) from None
        raise


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = identity_translations("weight", "delay")
    parameter_checks = {"weight": check_weights_with_hint}

    def _get_minimum_delay(self):
        return simulator.state.min_delay




def _minimum_delay(self):
    return simulator.state.min_delay


class _DynamicSynapseMixin:
    """What every non-static synapse type shares."""

    parameter_checks = {"weight": check_weights_with_hint}
    _get_minimum_delay = _minimum_delay


class TsodyksMarkramSynapse(_DynamicSynapseMixin, synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    # 'u' is the state variable (default_initial_values): listed so that get('u') reads it
    translations = identity_translations("weight", "delay", "U", "tau_rec", "tau_facil", "u")
    engine_model = plasticity.TsodyksMarkram


class SimpleStochasticSynapse(_DynamicSynapseMixin, synapses.SimpleStochasticSynapse):
    __doc__ = synapses.SimpleStochasticSynapse.__doc__
    translations = identity_translations("weight", "delay", "p")
    engine_model = plasticity.SimpleStochastic


class StochasticTsodyksMarkramSynapse(_DynamicSynapseMixin,
                                      synapses.StochasticTsodyksMarkramSynapse):
    __doc__ = synapses.StochasticTsodyksMarkramSynapse.__doc__
    translations = identity_translations("weight", "delay", "U", "tau_rec", "tau_facil")
    engine_model = plasticity.StochasticTsodyksMarkram


class MultiQuantalSynapse(_DynamicSynapseMixin, synapses.MultiQuantalSynapse):
    """Stochastic release from `n` sites with Tsodyks-Markram depression and facilitation.

    At each presynaptic spike every depleted site has recovered with probability
    1 - exp(-h/tau_rec) (h: time since the previous spike), then every available
    site releases with probability u (u = U without facilitation); the
    postsynaptic effect is weight times the number of sites released (NEST's
    quantal_stp_synapse, Fuhrmann et al. 2002; Loebel et al. 2009).
    """
    translations = identity_translations("weight", "delay", "U", "n", "tau_rec", "tau_facil")
    engine_model = plasticity.MultiQuantal


class STDPMechanism(_DynamicSynapseMixin, synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = identity_translations("weight", "delay", "dendritic_delay_fraction")

    def __init__(self, timing_dependence=None, weight_dependence=None,
                 voltage_dependence=None, dendritic_delay_fraction=1.0,
                 weight=0.0, delay=None):
        if timing_dependence is None or weight_dependence is None:
            raise errors.NoModelAvailableError(
                "pyNN.tinysim: STDPMechanism needs both a timing_dependence and a "
                "weight_dependence")
        if voltage_dependence is not None:
            raise errors.NoModelAvailableError(
                "pyNN.tinysim does not support voltage-dependent STDP")
        if dendritic_delay_fraction != 1:
            raise ValueError(
                f"pyNN.tinysim: dendritic_delay_fraction={dendritic_delay_fraction!r} is not "
                "supported; as in pyNN.nest, all of a plastic synapse's delay is dendritic "
                "(dendritic_delay_fraction=1: the synapse sees a presynaptic spike at once "
                "and a postsynaptic spike after the delay).")
        super().__init__(timing_dependence, weight_dependence, voltage_dependence,
                         dendritic_delay_fraction, weight, delay)

    def _build_translations(self):
        # PyNN updates base_translations in place, which mixes the translations of
        # every mechanism ever built; work on a copy
        self.translations = dict(self.base_translations)
        for component in (self.timing_dependence, self.weight_dependence):
            self.translations.update(component.translations)

    @property
    def engine_model(self):
        return _STDP_ENGINE_MODELS[self.model]


def _weight_dependence(pynn_class, mu_plus, mu_minus):
    extra = {} if mu_plus is None else {"mu_plus": float(mu_plus), "mu_minus": float(mu_minus)}
    names = list(pynn_class.default_parameters)
    return type(pynn_class.__name__, (pynn_class,), {
        "__doc__": pynn_class.__doc__,
        "__module__": __name__,
        "translations": identity_translations(*names, *extra),
        "extra_parameters": extra,
        "possible_models": {"stdp", "vogels"} if pynn_class is synapses.AdditiveWeightDependence
        else {"stdp"},
    })


AdditiveWeightDependence = _weight_dependence(synapses.AdditiveWeightDependence, 0, 0)
MultiplicativeWeightDependence = _weight_dependence(synapses.MultiplicativeWeightDependence,
                                                    1, 1)
AdditivePotentiationMultiplicativeDepression = _weight_dependence(
    synapses.AdditivePotentiationMultiplicativeDepression, 0, 1)
GutigWeightDependence = _weight_dependence(synapses.GutigWeightDependence, None, None)


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = identity_translations("tau_plus", "tau_minus", "A_plus", "A_minus")
    possible_models = {"stdp"}


class Vogels2011Rule(synapses.Vogels2011Rule):
    __doc__ = synapses.Vogels2011Rule.__doc__
    translations = identity_translations("tau", "eta", "rho")
    possible_models = {"vogels"}


_STDP_ENGINE_MODELS = {"stdp": plasticity.STDP, "vogels": plasticity.VogelsSprekeler}


def _check_constructor_values(cls):
    """Wrap ``cls.__init__``: weights, delays and parameters of the wrong type name
    their parameter (see :func:`.validation.normalized_values`) instead of failing
    inside PyNN's lazy arrays."""
    base_init = cls.__init__
    defaults = getattr(cls, "default_parameters", None)
    if not isinstance(defaults, dict):      # (STDPMechanism: built from its components)
        defaults = {}
    defaults = dict(defaults, weight=0.0, delay=0.0)    # (PyNN's default delay is None)

    def __init__(self, *args, **parameters):
        # delay=None is PyNN's "the minimum delay", a string a distance expression
        checked = {k: v for k, v in parameters.items()
                   if not (k == "delay" and v is None) and not isinstance(v, str)}
        parameters.update(normalized_values(type(self), checked, defaults))
        base_init(self, *args, **parameters)

    __init__.__doc__ = base_init.__doc__
    cls.__init__ = __init__


for _cls in list(globals().values()):
    if isinstance(_cls, type) and "engine_model" in vars(_cls) or _cls is StaticSynapse:
        _check_constructor_values(_cls)
del _cls
