"""pyNN.tinysim: a PyNN backend over a vectorized NumPy engine.

Use it as any PyNN backend::

    import pyNN.tinysim as sim
    sim.setup(timestep=0.1, rng_seed=42)
    cells = sim.Population(100, sim.IF_curr_exp(i_offset=1.0))
    cells.record("spikes")
    sim.run(100.0)
    spiketrains = cells.get_data().segments[0].spiketrains

This module is the namespace users get (like pyNN/nest/__init__.py); the work
is done in :mod:`pynn_tinysim.engine`.
"""

#: the package's one version string (pyproject.toml reads it from here)
__version__ = "0.1.0"

# before PyNN: its optional csa import (matplotlib) waits for a CSAConnector, and
# others (see _deferred)
from ._deferred import defer_optional_imports, import_lazyarray
defer_optional_imports()
import_lazyarray()

from pyNN import errors, random, space                            # noqa: F401
from pyNN.network import Network                                  # noqa: F401
from pyNN.random import NumpyRNG, GSLRNG, RandomDistribution      # noqa: F401
from pyNN.space import Space                                      # noqa: F401
from pyNN.connectors import *                                     # noqa: F401, F403
from pyNN.recording import *                                      # noqa: F401, F403
from pyNN.standardmodels import StandardCellType
from ._deferred import bind_deferred_submodules
bind_deferred_submodules()      # (neo, imported by PyNN's recording, gets its neo.io)

from .standardmodels.cells import *                               # noqa: F401, F403
from .standardmodels.synapses import (                            # noqa: F401
    StaticSynapse, TsodyksMarkramSynapse, SimpleStochasticSynapse,
    StochasticTsodyksMarkramSynapse, MultiQuantalSynapse, STDPMechanism,
    AdditiveWeightDependence, MultiplicativeWeightDependence,
    AdditivePotentiationMultiplicativeDepression, GutigWeightDependence,
    SpikePairRule, Vogels2011Rule)
from .standardmodels.electrodes import (                           # noqa: F401
    DCSource, ACSource, StepCurrentSource, NoisyCurrentSource)
from .populations import Population, PopulationView, Assembly     # noqa: F401
from .projections import Projection                               # noqa: F401
from .control import (                                            # noqa: F401
    setup, end, run, run_until, run_for, reset, initialize,
    get_current_time, get_time_step, get_min_delay, get_max_delay,
    num_processes, rank,
)
from .procedural_api import create, connect, set, record, record_v, record_gsyn  # noqa: F401
from .random import NativeRNG                                       # noqa: F401
from .simulator import name as _simulator_name



def name():
    """The simulator's name, as other PyNN backends report theirs."""
    return _simulator_name


def list_standard_models():
    """Return a list of all the StandardCellType classes available for this simulator."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType)
            and obj is not StandardCellType]


# sPyNNaker-only API a script written for SpiNNaker calls: say where it lives instead of a
# bare AttributeError (PEP 562 module __getattr__; only reached for names not defined here)
_SPINNAKER_ONLY = frozenset((
    "set_number_of_neurons_per_core", "set_number_of_synapse_cores",
    "set_allow_delay_extensions", "get_machine", "extra_models", "external_devices",
    "SpiNNakerProjection", "NativeRNG", "ConvolutionConnector", "PoolDenseConnector",
    "KernelConnector", "RandomByWeightElimination", "StructuralMechanismSTDP",
    "StructuralMechanismStatic"))


def __getattr__(attr):
    if attr in _SPINNAKER_ONLY:
        raise AttributeError(
            f"module 'pyNN.tinysim' has no attribute {attr!r}: {attr} is sPyNNaker-only API "
            "(pyNN.spiNNaker), not PyNN standard. The script looks written for SpiNNaker: "
            "use pyNN.tinysim.spinnaker, which has it and follows sPyNNaker's semantics, or "
            f"remove the call for PyNN-standard backends (e.g. guard it with "
            f"hasattr(sim, {attr!r})).", name=attr, obj=None)
    raise AttributeError(f"module 'pyNN.tinysim' has no attribute {attr!r}", name=attr, obj=None)
