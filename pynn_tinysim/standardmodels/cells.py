"""Standard cell types of pyNN.tinysim (PyNN-standard semantics, as pyNN.nest)."""

from pyNN.standardmodels import cells, build_translations

from ..engine import lif, izhikevich, sources


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
