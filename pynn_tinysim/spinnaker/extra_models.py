"""sPyNNaker's ``extra_models``, as far as pyNN.tinysim.spinnaker implements them.

Simulated: ``IF_curr_dual_exp``, ``Izhikevich_cond``, ``IFCurDelta``,
``IFCurrDeltaFixedProb``, ``IFTruncDelta``, ``SpikeSourcePoissonVariable``, and
the plasticity rules ``Vogels2011Rule``, ``SpikeNearestPairRule``,
``PfisterSpikeTriplet`` with ``WeightDependenceAdditiveTriplet`` (on
pyNN.tinysim's plasticity engine with sPyNNaker's timing, trace arithmetic and
16-bit weights; see :mod:`.synapses`), and the group
connectors ``AllButMeConnector`` and ``OneToOneOffsetConnector`` (:mod:`.connectors`).
Every other name sPyNNaker 7.4 has here raises NotImplementedError naming it.
"""

from .cells import (  # noqa: F401
    IF_curr_dual_exp, Izhikevich_cond, IFCurDelta, SpikeSourcePoissonVariable,
    IFCurrDeltaFixedProb, IFTruncDelta)
from .synapses import (  # noqa: F401
    Vogels2011Rule, SpikeNearestPairRule, PfisterSpikeTriplet, WeightDependenceAdditiveTriplet)
from .connectors import AllButMeConnector, OneToOneOffsetConnector  # noqa: F401

#: the rest of sPyNNaker 7.4's extra_models.__all__
NOT_IMPLEMENTED = (
    "IFCurrExpCa2Adaptive", "IFCondExpStoc", "IF_curr_exp_sEMD", "Izhikevich_cond_dual",
    "IFCurrDeltaCa2Adaptive", "Neuromodulation", "RecurrentRule", "StocExp", "StocExpStable",
    "StocSigma", "WeightChangeable", "WeightChanger")

__all__ = ["IF_curr_dual_exp", "Izhikevich_cond", "IFCurDelta", "SpikeSourcePoissonVariable",
           "IFCurrDeltaFixedProb", "IFTruncDelta",
           "Vogels2011Rule", "SpikeNearestPairRule", "PfisterSpikeTriplet",
           "WeightDependenceAdditiveTriplet", "AllButMeConnector", "OneToOneOffsetConnector"]


def __getattr__(name):
    if name in NOT_IMPLEMENTED:
        raise NotImplementedError(
            f"pyNN.tinysim.spinnaker does not implement sPyNNaker's extra_models.{name}; "
            f"implemented: {', '.join(__all__)}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# --- issue 17: the stochastic, Ca2+-adaptive and sEMD neuron models, simulated ----------
from .cells import IFCondExpStoc, IFCurrExpCa2Adaptive, IF_curr_exp_sEMD  # noqa: F401, E402

_SIMULATED_17 = ("IFCondExpStoc", "IFCurrExpCa2Adaptive", "IF_curr_exp_sEMD")
NOT_IMPLEMENTED = tuple(n for n in NOT_IMPLEMENTED if n not in _SIMULATED_17)
__all__ = __all__ + list(_SIMULATED_17)

# --- issue 17: RecurrentRule, simulated -------------------------------------------------
from .synapses import RecurrentRule  # noqa: F401, E402

NOT_IMPLEMENTED = tuple(n for n in NOT_IMPLEMENTED if n != "RecurrentRule")
__all__ = __all__ + ["RecurrentRule"]

# --- neuromodulation (issue 17): extra_models.Neuromodulation is simulated ----------------
from .neuromodulation import Neuromodulation  # noqa: E402, F401

NOT_IMPLEMENTED = tuple(name for name in NOT_IMPLEMENTED if name != "Neuromodulation")
__all__.append("Neuromodulation")
