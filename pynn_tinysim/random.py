"""``NativeRNG`` for pyNN.tinysim: random numbers from the simulator's own generator.

PyNN lets a script ask for the backend's native random numbers
(``sim.NativeRNG(seed=...)``) wherever it would pass a ``NumpyRNG``: to
connectors, to ``RandomDistribution`` for weights, delays, cell parameters and
initial values. pyNN.tinysim's engine *is* NumPy, so its native generator is
NumPy's Mersenne Twister (``numpy.random.RandomState``), the generator that
``NumpyRNG`` wraps, and ``NativeRNG`` is a ``NumpyRNG`` in every respect
(connectors take their vectorized paths with it, ``RandomDistribution``
accepts it, ``parallel_safe`` means the same) except where its seed comes from:

- ``NativeRNG(seed=s)`` is seeded with ``s``: it draws exactly what
  ``NumpyRNG(seed=s)`` draws;
- ``NativeRNG()`` (no seed) is seeded from the simulation's seed, setup()'s
  ``rng_seed`` (42 unless given), and the number of NativeRNGs created
  since setup(): the k-th one gets the state of
  ``numpy.random.SeedSequence([rng_seed, k])``. A script that runs twice with
  the same rng_seed draws the same numbers, as with NEST's native generator,
  and two unseeded NativeRNGs draw different streams. Created before setup(),
  it is seeded by the operating system, as ``NumpyRNG()`` is.

Unlike NEST's native random numbers, these are the same on every platform and
with every number of processes.
"""

import weakref
from copy import deepcopy

import numpy as np
from pyNN import random as pynn_random
from pyNN.random import NumpyRNG, WrappedRNG

from . import simulator

# network -> how many unseeded NativeRNGs were created for it
_created = weakref.WeakKeyDictionary()


def _seed_from_simulation():
    network = simulator.state.network
    if network is None:
        return None
    k = _created.get(network, 0)
    _created[network] = k + 1
    state = np.random.SeedSequence([int(simulator.state.rng_seed), k])
    return int(state.generate_state(1, np.uint32)[0])


class NativeRNG(NumpyRNG, pynn_random.NativeRNG):
    """pyNN.tinysim's native generator: NumPy's Mersenne Twister (see the module docstring).

    `seed`: an integer; None seeds it from setup()'s rng_seed.
    `parallel_safe`: as for NumpyRNG.
    """

    def __init__(self, seed=None, parallel_safe=True):
        if seed is None:
            seed = _seed_from_simulation()
        NumpyRNG.__init__(self, seed=seed, parallel_safe=parallel_safe)

    def __deepcopy__(self, memo):
        # NumpyRNG's own __deepcopy__ would return a NumpyRNG; keep the class
        obj = NativeRNG.__new__(NativeRNG)
        WrappedRNG.__init__(obj, seed=deepcopy(self.seed, memo),
                            parallel_safe=deepcopy(self.parallel_safe, memo))
        obj.rng = deepcopy(self.rng, memo)
        return obj

    def __str__(self):
        return "NativeRNG(seed=%s)" % self.seed

    def __repr__(self):
        return "NativeRNG(seed=%r, parallel_safe=%r)" % (self.seed, self.parallel_safe)
