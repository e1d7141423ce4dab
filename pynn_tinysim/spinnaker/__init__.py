"""pyNN.tinysim.spinnaker: run sPyNNaker scripts unchanged and predict what the board would do.

Change one line of a script written for SpiNNaker::

    import pyNN.spiNNaker as sim          # before
    import pyNN.tinysim.spinnaker as sim  # after

and it runs on pyNN.tinysim's engine (NumPy, or compiled kernels for the common
models, ``setup(engine=...)``) with sPyNNaker 7.4's semantics rather than
PyNN-standard ones (those are ``pyNN.tinysim``):

- sPyNNaker's cell types, parameters and defaults (e.g. ``Izhikevich`` with
  exponential current synapses and ``i_offset`` used as I itself);
- weights are magnitudes, the receptor type gives the sign;
- delays in whole time steps (rint), clipped up to one step, bounded as on the board;
- sPyNNaker's update rules (LIF closed form with the input held over a tick,
  exponential synapses with its decay/init factors, refractoriness in whole
  ticks, Izhikevich RK2 midpoint, Poisson sources tick by tick);
- by default (``setup(fixed_point=True)``) its s16.15 arithmetic, 16-bit weights
  scaled per receptor and saturating ring buffers;
- board-steering calls (``set_number_of_neurons_per_core``...) accepted as no-ops.

It is an emulation written from sPyNNaker's published sources and Python
package, not verified bit for bit against a board: see ``tinysim
spinnaker-check SCRIPT`` (:mod:`.check`) to find out whether sPyNNaker itself
maps a script, and the README's SpiNNaker section for the limits.
"""

import logging

from pyNN import errors, random, space                            # noqa: F401
from pyNN.random import NumpyRNG, GSLRNG, RandomDistribution      # noqa: F401
from pyNN.space import (                                          # noqa: F401
    Space, Line, Grid2D, Grid3D, Cuboid, Sphere, RandomStructure, distance)
from pyNN.connectors import *                                     # noqa: F401, F403
from pyNN.connectors import FixedProbabilityConnector
from pyNN.recording import *                                      # noqa: F401, F403
from pyNN import common as _common

from .. import simulator as _core_simulator
from ..populations import Assembly                                # noqa: F401
from .cells import (                                              # noqa: F401
    IF_curr_exp, IF_cond_exp, IF_curr_alpha, IF_curr_delta, Izhikevich,
    SpikeSourceArray, SpikeSourcePoisson, SpiNNakerCellType, STANDARD_CELL_TYPES)
from .synapses import (                                           # noqa: F401
    StaticSynapse, STDPMechanism, SpikePairRule, AdditiveWeightDependence,
    MultiplicativeWeightDependence)
from .structural import (                                         # noqa: F401
    StructuralMechanismStatic, StructuralMechanismSTDP, LastNeuronSelection, RandomSelection,
    DistanceDependentFormation, RandomByWeightElimination)
from .connectors import OneToOneConnector, ArrayConnector       # noqa: F401, F811
from .populations import Population, PopulationView               # noqa: F401
from .projections import Projection                               # noqa: F401
from .control import (                                            # noqa: F401
    setup, end, run, run_until, run_for, reset, initialize,
    get_current_time, get_time_step, get_min_delay, get_max_delay,
    num_processes, rank, set_number_of_neurons_per_core, set_number_of_synapse_cores,
    set_allow_delay_extensions, get_machine, NativeRNG)
from . import extra_models, external_devices                      # noqa: F401

try:  # current sources, where pyNN.tinysim has them
    from ..standardmodels.electrodes import (                      # noqa: F401
        DCSource, ACSource, StepCurrentSource, NoisyCurrentSource)
except ImportError:  # pragma: no cover
    pass

from .. import __version__                                         # noqa: F401, E402

#: sPyNNaker calls its Projection class SpiNNakerProjection
SpiNNakerProjection = Projection

logger = logging.getLogger("pyNN.tinysim.spinnaker")

create = _common.build_create(Population)
connect = _common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)
set = _common.set
record = _common.build_record(_core_simulator)


def name():
    """What this simulator is: an emulation of sPyNNaker, not a SpiNNaker machine."""
    from .simulator import settings
    try:
        fixed = settings().fixed_point
    except errors.InvalidModelError:
        fixed = True
    arithmetic = "s16.15 fixed point" if fixed else "float64"
    return f"pyNN.tinysim.spinnaker (sPyNNaker 7.4 semantics emulated, {arithmetic})"


def list_standard_models():
    """The standard cell types, as sPyNNaker lists them."""
    return [cls.__name__ for cls in STANDARD_CELL_TYPES]


def _unsupported(what):
    def unsupported(*args, **kwargs):
        raise NotImplementedError(
            f"pyNN.tinysim.spinnaker does not implement sPyNNaker's {what}")
    unsupported.__name__ = what
    return unsupported


# sPyNNaker-specific connectors and local-only synapse types
KernelConnector = _unsupported("KernelConnector")
ConvolutionConnector = _unsupported("ConvolutionConnector")
PoolDenseConnector = _unsupported("PoolDenseConnector")
Convolution = _unsupported("Convolution")
PoolDense = _unsupported("PoolDense")

# --- sPyNNaker's helper modules, live I/O and the virtual machine (issue 17) -------------
# Scripts import sPyNNaker's own helper modules (neo_convertor, spynnaker_plotting,
# external_devices, spike_injector, splitters): served only where sPyNNaker itself is
# not installed (see .compat), never in its place.
from .compat import install as _install_compat                    # noqa: E402
_install_compat()
