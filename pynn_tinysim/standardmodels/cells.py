"""Standard cell types of pyNN.tinysim (PyNN-standard semantics, as pyNN.nest)."""

from copy import deepcopy

from pyNN import errors
from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import cells, receptors

from . import identity_translations

from .validation import normalized_values

from ..engine import (lif, izhikevich, sources, adex, hh, adaptive, renewal_sources,
                      multisynapse)


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = identity_translations(*cells.IF_curr_exp.default_parameters)
    engine_model = lif.LIFCurrExp


class IF_curr_alpha(cells.IF_curr_alpha):
    __doc__ = cells.IF_curr_alpha.__doc__
    translations = identity_translations(*cells.IF_curr_alpha.default_parameters)
    engine_model = lif.LIFCurrAlpha


class IF_curr_delta(cells.IF_curr_delta):
    __doc__ = cells.IF_curr_delta.__doc__
    translations = identity_translations(*cells.IF_curr_delta.default_parameters)
    engine_model = lif.LIFCurrDelta


class IF_cond_exp(cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    translations = identity_translations(*cells.IF_cond_exp.default_parameters)
    engine_model = lif.LIFCondExp


class IF_cond_alpha(cells.IF_cond_alpha):
    __doc__ = cells.IF_cond_alpha.__doc__
    translations = identity_translations(*cells.IF_cond_alpha.default_parameters)
    engine_model = lif.LIFCondAlpha


class Izhikevich(cells.Izhikevich):
    __doc__ = cells.Izhikevich.__doc__
    translations = identity_translations(*cells.Izhikevich.default_parameters)
    engine_model = izhikevich.Izhikevich


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = identity_translations(*cells.SpikeSourcePoisson.default_parameters)
    engine_model = sources.PoissonSource


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = identity_translations(*cells.SpikeSourceArray.default_parameters)
    engine_model = sources.SpikeArraySource


# --- adaptive, Hodgkin-Huxley and stochastic models (NEST's counterparts named) ----------

class EIF_cond_exp_isfa_ista(cells.EIF_cond_exp_isfa_ista):
    __doc__ = cells.EIF_cond_exp_isfa_ista.__doc__
    translations = identity_translations(*cells.EIF_cond_exp_isfa_ista.default_parameters)
    engine_model = adex.AdExCondExp


class EIF_cond_alpha_isfa_ista(cells.EIF_cond_alpha_isfa_ista):
    __doc__ = cells.EIF_cond_alpha_isfa_ista.__doc__
    translations = identity_translations(*cells.EIF_cond_alpha_isfa_ista.default_parameters)
    engine_model = adex.AdExCondAlpha


class HH_cond_exp(cells.HH_cond_exp):
    __doc__ = cells.HH_cond_exp.__doc__
    translations = identity_translations(*cells.HH_cond_exp.default_parameters)
    # the gating variables too (state variables of the PyNN model; pyNN.nest maps them)
    recordable = cells.HH_cond_exp.recordable + ["m", "h", "n"]
    engine_model = hh.HodgkinHuxley


class IF_cond_exp_gsfa_grr(cells.IF_cond_exp_gsfa_grr):
    __doc__ = cells.IF_cond_exp_gsfa_grr.__doc__
    translations = identity_translations(*cells.IF_cond_exp_gsfa_grr.default_parameters)
    engine_model = adaptive.LIFCondExpSfaRr


class GIF_cond_exp(cells.GIF_cond_exp):
    __doc__ = cells.GIF_cond_exp.__doc__
    translations = identity_translations(*cells.GIF_cond_exp.default_parameters)
    engine_model = adaptive.GIFCondExp


class SpikeSourceGamma(cells.SpikeSourceGamma):
    __doc__ = cells.SpikeSourceGamma.__doc__
    # PyNN's default alpha is the int 2, which makes alpha an integer parameter: a
    # float array (valid shapes such as [2.5, 3.0]) then fails inside lazyarray
    default_parameters = dict(cells.SpikeSourceGamma.default_parameters, alpha=2.0)
    translations = identity_translations(*default_parameters)
    engine_model = renewal_sources.GammaSource


class SpikeSourcePoissonRefractory(cells.SpikeSourcePoissonRefractory):
    __doc__ = cells.SpikeSourcePoissonRefractory.__doc__
    translations = identity_translations(
        *cells.SpikeSourcePoissonRefractory.default_parameters)
    engine_model = renewal_sources.PoissonRefractorySource


class SpikeSourceInhGamma(cells.SpikeSourceInhGamma):
    __doc__ = cells.SpikeSourceInhGamma.__doc__
    translations = identity_translations(*cells.SpikeSourceInhGamma.default_parameters)
    engine_model = renewal_sources.InhGammaSource


# --- composed models: PointNeuron(neuron, **receptors) (NEST's *_multisynapse) -----------

class LIF(cells.LIF):
    """The neuron component of a PointNeuron: leaky integrate-and-fire."""
    __doc__ = cells.LIF.__doc__
    translations = identity_translations(*cells.LIF.default_parameters)
    engine_kind = "lif"


class AdExp(cells.AdExp):
    """The neuron component of a PointNeuron: adaptive exponential integrate-and-fire."""
    __doc__ = cells.AdExp.__doc__
    translations = identity_translations(*cells.AdExp.default_parameters)
    engine_kind = "adexp"


class CurrExpPostSynapticResponse(receptors.CurrExpPostSynapticResponse):
    __doc__ = receptors.CurrExpPostSynapticResponse.__doc__
    translations = identity_translations(
        *receptors.CurrExpPostSynapticResponse.default_parameters)
    recordable = ["isyn"]
    engine_kind = "curr_exp"


class CondExpPostSynapticResponse(receptors.CondExpPostSynapticResponse):
    __doc__ = receptors.CondExpPostSynapticResponse.__doc__
    translations = identity_translations(
        *receptors.CondExpPostSynapticResponse.default_parameters)
    recordable = ["gsyn"]
    engine_kind = "cond_exp"


class CondAlphaPostSynapticResponse(receptors.CondAlphaPostSynapticResponse):
    __doc__ = receptors.CondAlphaPostSynapticResponse.__doc__
    translations = identity_translations(
        *receptors.CondAlphaPostSynapticResponse.default_parameters)
    recordable = ["gsyn"]
    engine_kind = "cond_alpha"


# the short names, as pyNN.nest defines them
ExpPSR = CondExpPostSynapticResponse
AlphaPSR = CondAlphaPostSynapticResponse


class PointNeuron(cells.PointNeuron):
    """A neuron (LIF or AdExp) with any number of named post-synaptic receptors.

    ``PointNeuron(LIF(...), AMPA=CurrExpPostSynapticResponse(tau_syn=2.0), ...)``;
    the receptor names are the projections' ``receptor_type``. Parameters and state
    variables of a receptor are named ``"<receptor>.<name>"`` (``"AMPA.tau_syn"``,
    ``"AMPA.isyn"``), for get()/set()/initialize()/record(). Available (as in
    pyNN.nest, plus LIF with conductance receptors): LIF with
    CurrExpPostSynapticResponse receptors, LIF or AdExp with
    CondExpPostSynapticResponse / CondAlphaPostSynapticResponse (ExpPSR /
    AlphaPSR) receptors. A receptor's ``locations`` parameter (for
    multicompartment cells) is ignored.
    """

    def __init__(self, neuron, **post_synaptic_receptors):
        for name, component in [("neuron", neuron)] + list(post_synaptic_receptors.items()):
            if not hasattr(component, "engine_kind"):
                raise errors.NoModelAvailableError(
                    f"PointNeuron: {name}={component.__class__.__name__} is not a pyNN.tinysim "
                    "component (use sim.LIF / sim.AdExp and sim.CurrExpPostSynapticResponse, "
                    "sim.CondExpPostSynapticResponse, sim.CondAlphaPostSynapticResponse)")
        super().__init__(neuron, **post_synaptic_receptors)
        try:
            self.engine_model = multisynapse.point_neuron_model(
                neuron.engine_kind,
                tuple((name, post_synaptic_receptors[name].engine_kind)
                      for name in self.receptor_types))
        except ValueError as err:
            raise errors.NoModelAvailableError(f"PointNeuron: {err}") from None

    def _receptor_parameter_names(self, name):
        return [p for p in self.post_synaptic_receptors[name].default_parameters
                if p != "locations"]

    def get_parameter_names(self):
        return list(self.neuron.default_parameters) + [
            f"{name}.{p}" for name in self.receptor_types
            for p in self._receptor_parameter_names(name)]

    @property
    def default_parameters(self):
        defaults = dict(self.neuron.default_parameters)
        for name in self.receptor_types:
            psr = self.post_synaptic_receptors[name]
            defaults.update({f"{name}.{p}": psr.default_parameters[p]
                             for p in self._receptor_parameter_names(name)})
        return defaults

    def has_parameter(self, name):
        return name in self.get_parameter_names()

    def get_schema(self):
        return {name: type(value) for name, value in self.default_parameters.items()}

    @property
    def native_parameters(self):
        """One flat ParameterSpace: the neuron's parameters and "<receptor>.<name>" ones."""
        values = dict(self.neuron.parameter_space.items())
        for name in self.receptor_types:
            psr_space = self.post_synaptic_receptors[name].parameter_space
            for p in self._receptor_parameter_names(name):
                values[f"{name}.{p}"] = psr_space[p]
        return ParameterSpace(values, shape=self.neuron.parameter_space.shape)

    def translate(self, parameters, copy=True):
        # identity: tinysim's names are PyNN's ("locations" has nothing to set)
        if copy:
            parameters = deepcopy(parameters)
        for name in list(parameters.keys()):
            if name == "locations" or name.endswith(".locations"):
                parameters.pop(name)
        return parameters

    def reverse_translate(self, native_parameters):
        return native_parameters

    def get_native_names(self, *names):
        names = names or self.get_parameter_names()
        return [name for name in names if not name.endswith(".locations")]

    def simple_parameters(self):
        return self.get_parameter_names()

    def scaled_parameters(self):
        return []

    def computed_parameters(self):
        return []

    def computed_parameters_include(self, parameter_names):
        return False


def _check_constructor_values(cls):
    """Wrap ``cls.__init__``: values of the wrong type name their parameter (see
    :func:`.validation.normalized_values`) instead of failing inside PyNN's lazy arrays."""
    base_init = cls.__init__

    def __init__(self, **parameters):
        base_init(self, **normalized_values(type(self), parameters, self.default_parameters))

    __init__.__doc__ = base_init.__doc__
    cls.__init__ = __init__


for _cls in list(globals().values()):
    if isinstance(_cls, type) and "engine_model" in vars(_cls):
        _check_constructor_values(_cls)
del _cls
