"""Standard cell types of pyNN.tinysim (PyNN-standard semantics, as pyNN.nest)."""

from pyNN.standardmodels import cells, build_translations

from ..engine import lif, izhikevich, sources, adex, hh, adaptive, renewal_sources


def _identity_translations(pynn_class):
    return build_translations(*[(name, name) for name in pynn_class.default_parameters])


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = _identity_translations(cells.IF_curr_exp)
    engine_model = lif.LIFCurrExp


class IF_curr_alpha(cells.IF_curr_alpha):
    __doc__ = cells.IF_curr_alpha.__doc__
    translations = _identity_translations(cells.IF_curr_alpha)
    engine_model = lif.LIFCurrAlpha


class IF_curr_delta(cells.IF_curr_delta):
    __doc__ = cells.IF_curr_delta.__doc__
    translations = _identity_translations(cells.IF_curr_delta)
    engine_model = lif.LIFCurrDelta


class IF_cond_exp(cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    translations = _identity_translations(cells.IF_cond_exp)
    engine_model = lif.LIFCondExp


class IF_cond_alpha(cells.IF_cond_alpha):
    __doc__ = cells.IF_cond_alpha.__doc__
    translations = _identity_translations(cells.IF_cond_alpha)
    engine_model = lif.LIFCondAlpha


class Izhikevich(cells.Izhikevich):
    __doc__ = cells.Izhikevich.__doc__
    translations = _identity_translations(cells.Izhikevich)
    engine_model = izhikevich.Izhikevich


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = _identity_translations(cells.SpikeSourcePoisson)
    engine_model = sources.PoissonSource


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = _identity_translations(cells.SpikeSourceArray)
    engine_model = sources.SpikeArraySource


# --- adaptive, Hodgkin-Huxley and stochastic models (NEST's counterparts named) ----------

class EIF_cond_exp_isfa_ista(cells.EIF_cond_exp_isfa_ista):
    __doc__ = cells.EIF_cond_exp_isfa_ista.__doc__
    translations = _identity_translations(cells.EIF_cond_exp_isfa_ista)
    engine_model = adex.AdExCondExp


class EIF_cond_alpha_isfa_ista(cells.EIF_cond_alpha_isfa_ista):
    __doc__ = cells.EIF_cond_alpha_isfa_ista.__doc__
    translations = _identity_translations(cells.EIF_cond_alpha_isfa_ista)
    engine_model = adex.AdExCondAlpha


class HH_cond_exp(cells.HH_cond_exp):
    __doc__ = cells.HH_cond_exp.__doc__
    translations = _identity_translations(cells.HH_cond_exp)
    # the gating variables too (state variables of the PyNN model; pyNN.nest maps them)
    recordable = cells.HH_cond_exp.recordable + ["m", "h", "n"]
    engine_model = hh.HodgkinHuxley


class IF_cond_exp_gsfa_grr(cells.IF_cond_exp_gsfa_grr):
    __doc__ = cells.IF_cond_exp_gsfa_grr.__doc__
    translations = _identity_translations(cells.IF_cond_exp_gsfa_grr)
    engine_model = adaptive.LIFCondExpSfaRr


class GIF_cond_exp(cells.GIF_cond_exp):
    __doc__ = cells.GIF_cond_exp.__doc__
    translations = _identity_translations(cells.GIF_cond_exp)
    engine_model = adaptive.GIFCondExp


class SpikeSourceGamma(cells.SpikeSourceGamma):
    __doc__ = cells.SpikeSourceGamma.__doc__
    translations = _identity_translations(cells.SpikeSourceGamma)
    engine_model = renewal_sources.GammaSource


class SpikeSourcePoissonRefractory(cells.SpikeSourcePoissonRefractory):
    __doc__ = cells.SpikeSourcePoissonRefractory.__doc__
    translations = _identity_translations(cells.SpikeSourcePoissonRefractory)
    engine_model = renewal_sources.PoissonRefractorySource


class SpikeSourceInhGamma(cells.SpikeSourceInhGamma):
    __doc__ = cells.SpikeSourceInhGamma.__doc__
    translations = _identity_translations(cells.SpikeSourceInhGamma)
    engine_model = renewal_sources.InhGammaSource
