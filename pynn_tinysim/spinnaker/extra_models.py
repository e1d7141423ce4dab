"""sPyNNaker's ``extra_models``, as far as pyNN.tinysim.spinnaker implements them.

Simulated: the neuron models ``IF_curr_dual_exp``, ``Izhikevich_cond``,
``IFCurDelta``, ``IFCurrDeltaFixedProb``, ``IFTruncDelta``, ``IFCondExpStoc``,
``IFCurrExpCa2Adaptive``, ``IF_curr_exp_sEMD`` and ``SpikeSourcePoissonVariable``
(:mod:`.cells`); the plasticity rules ``Vogels2011Rule``, ``SpikeNearestPairRule``,
``PfisterSpikeTriplet`` with ``WeightDependenceAdditiveTriplet`` and
``RecurrentRule`` (on pyNN.tinysim's plasticity engine with sPyNNaker's timing,
trace arithmetic and 16-bit weights; see :mod:`.synapses`); ``Neuromodulation``
(:mod:`.neuromodulation`); and the group connectors ``AllButMeConnector`` and
``OneToOneOffsetConnector`` (:mod:`.connectors`). Every other name sPyNNaker 7.4
has here raises NotImplementedError naming it.
"""

from .cells import (
    IF_curr_dual_exp, Izhikevich_cond, IFCurDelta, SpikeSourcePoissonVariable,
    IFCurrDeltaFixedProb, IFTruncDelta, IFCondExpStoc, IFCurrExpCa2Adaptive, IF_curr_exp_sEMD)
from .synapses import (
    Vogels2011Rule, SpikeNearestPairRule, PfisterSpikeTriplet, WeightDependenceAdditiveTriplet,
    RecurrentRule)
from .neuromodulation import Neuromodulation
from .connectors import AllButMeConnector, OneToOneOffsetConnector

#: the rest of sPyNNaker 7.4's extra_models.__all__
NOT_IMPLEMENTED = (
    "Izhikevich_cond_dual", "IFCurrDeltaCa2Adaptive", "StocExp", "StocExpStable", "StocSigma",
    "WeightChangeable", "WeightChanger")

__all__ = ["IF_curr_dual_exp", "Izhikevich_cond", "IFCurDelta", "SpikeSourcePoissonVariable",
           "IFCurrDeltaFixedProb", "IFTruncDelta", "IFCondExpStoc", "IFCurrExpCa2Adaptive",
           "IF_curr_exp_sEMD",
           "Vogels2011Rule", "SpikeNearestPairRule", "PfisterSpikeTriplet",
           "WeightDependenceAdditiveTriplet", "RecurrentRule", "Neuromodulation",
           "AllButMeConnector", "OneToOneOffsetConnector"]


def __getattr__(name):
    if name in NOT_IMPLEMENTED:
        raise NotImplementedError(
            f"pyNN.tinysim.spinnaker does not implement sPyNNaker's extra_models.{name}; "
            f"implemented: {', '.join(__all__)}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
