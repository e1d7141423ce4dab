"""Seeds per repetition: what makes N runs of one script N samples of one backend.

In a child process, ``install(policy, backend_module)`` patches:

* ``pyNN.random.NumpyRNG`` (and ``GSLRNG``): ``seed=None`` becomes a derived seed,
  a different one for each NumpyRNG the script creates, in creation order (PyNN's
  own unseeded RandomDistribution RNGs included);
* the backend's ``setup()``: without ``rng_seed`` it gets a derived one (on the
  backends whose setup takes it: tinysim, nest, spinnaker-emu); on Brian2
  ``brian2.seed()`` is called after setup;
* the global NumPy and ``random`` generators are seeded before the script starts.

Explicit seeds (``NumpyRNG(seed=98765)``, ``setup(rng_seed=42)``, PyNN's fixed
default connector RNG, and ``numpy.random.seed``/``default_rng``/``random.seed``
called by the script itself) are kept in repetition 0, so the first repetition
is the script as written. In later repetitions they are replaced by
``derive(base, rep, seed)``, because a script with fixed seeds would otherwise
build the same network every time and the within-backend spread would measure only
the simulator's own RNG. ``keep_script_seeds=True`` keeps them in every repetition.

Derived seeds depend on (base seed, repetition, what is seeded) only, never on the
backend, so repetition k builds the same network on every backend that draws
PyNN's random numbers (NEST, tinysim, Brian2 all do for connectors).
"""

import dataclasses
import functools
import hashlib
import itertools
import random
import sys

MAX_SEED = 2**31 - 2      # NEST takes rng_seed in [1, 2**31 - 1]


def derive(base, rep, key):
    """A seed in [1, 2**31 - 1] from (base, repetition, key); same inputs, same seed."""
    digest = hashlib.sha256(f"{base}:{rep}:{key}".encode()).digest()
    return 1 + int.from_bytes(digest[:8], "little") % MAX_SEED


@dataclasses.dataclass
class SeedPolicy:
    base: int = 12345
    rep: int = 0
    keep_script_seeds: bool = False
    rep0_as_written: bool = True     # repetition 0 keeps explicit seeds (compare)
    log: list = dataclasses.field(default_factory=list)   # (what, given, used)

    def explicit(self, what, seed):
        """The seed to use for an explicit seed ``seed`` the script gave."""
        if self.keep_script_seeds or (self.rep == 0 and self.rep0_as_written):
            used = seed
        else:
            used = derive(self.base, self.rep, f"{what}:{seed}")
        self.log.append((what, seed, used))
        return used

    def default(self, what):
        """The seed to use where the script gave none."""
        used = derive(self.base, self.rep, what)
        self.log.append((what, None, used))
        return used


def _from_script(depth=2):
    """Is the caller's caller the user's script (run as ``__main__``)?"""
    try:
        return sys._getframe(depth).f_globals.get("__name__") == "__main__"
    except ValueError:
        return False


def install(policy, backend_module=None, backend_accepts_rng_seed=True, brian2_backend=False):
    """Patch the RNGs of this process according to ``policy`` (see the module doc)."""
    import numpy as np
    import pyNN.random

    counter = itertools.count()

    def patch_rng_class(cls):
        original = cls.__dict__.get("__init__")
        if original is None or getattr(original, "_pynn_tinysim_seeds", False):
            return

        @functools.wraps(original)
        def __init__(self, seed=None, *args, **kwargs):
            n = next(counter)
            if seed is None:
                seed = policy.default(f"{cls.__name__}#{n}")
            else:
                seed = policy.explicit(cls.__name__, seed)
            original(self, seed, *args, **kwargs)

        __init__._pynn_tinysim_seeds = True
        cls.__init__ = __init__

    for name in ("NumpyRNG", "GSLRNG"):
        cls = getattr(pyNN.random, name, None)
        if cls is not None:
            patch_rng_class(cls)

    # global generators, before the script starts
    np.random.seed(policy.default("numpy.random") % 2**32)
    random.seed(policy.default("random"))

    original_np_seed = np.random.seed
    original_default_rng = np.random.default_rng
    original_random_seed = random.seed

    def np_seed(seed=None):
        if seed is not None and _from_script():
            seed = policy.explicit("numpy.random.seed", seed) % 2**32
        return original_np_seed(seed)

    def default_rng(seed=None):
        if seed is not None and _from_script() and isinstance(seed, (int, np.integer)):
            seed = policy.explicit("numpy.random.default_rng", int(seed))
        return original_default_rng(seed)

    def random_seed(a=None, version=2):
        if a is not None and _from_script() and isinstance(a, int):
            a = policy.explicit("random.seed", a)
        return original_random_seed(a, version)

    np.random.seed = np_seed
    np.random.default_rng = default_rng
    random.seed = random_seed

    if backend_module is not None:
        _patch_setup(policy, backend_module, backend_accepts_rng_seed, brian2_backend)


def _patch_setup(policy, module, accepts_rng_seed, brian2_backend):
    original = getattr(module, "setup", None)
    if original is None or getattr(original, "_pynn_tinysim_seeds", False):
        return
    calls = itertools.count()

    @functools.wraps(original)
    def setup(*args, **kwargs):
        n = next(calls)
        key = "rng_seed" if "rng_seed" in kwargs else ("grng_seed" if "grng_seed" in kwargs else None)
        if key is not None:
            kwargs[key] = policy.explicit(f"setup.{key}", int(kwargs[key]))
            seed = kwargs[key]
        else:
            seed = policy.default(f"setup#{n}")
            if accepts_rng_seed:
                kwargs["rng_seed"] = seed
        result = original(*args, **kwargs)
        if brian2_backend:
            import brian2
            brian2.seed(seed)
        return result

    setup._pynn_tinysim_seeds = True
    module.setup = setup
