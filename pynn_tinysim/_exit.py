"""A quicker interpreter exit for processes that imported pyNN.tinysim.

At exit, CPython clears every module and runs its garbage collector's full passes
over every object still tracked: after PyNN's imports (neo, quantities, scipy) and
Numba's (its typing and lowering registries: ~140 000 objects), those passes took
~0.3 s of a short script's whole process (HH_cond_exp2 at 0.8-1.1 s; ~0.1 s where
Numba was never started), the largest part of the exit (benchmarks/RESULTS.md).

:func:`freeze_at_exit` registers :func:`gc.freeze` to run at exit, before the
interpreter's own finalisation: the passes then skip every object alive at that
point. What that forgoes: reference cycles still alive at exit are left to the
operating system rather than finalised, which Python does not promise anyway
("It is not guaranteed that __del__() methods are called for objects that still exist
when the interpreter exits", the data model's object.__del__). Exit handlers
(``atexit``, ``weakref.finalize``: tempfile, multiprocessing, MPI's finalisation) run
as before; objects freed by reference counting (most: a module's globals) are freed as
before. PyNN's ``end()`` writes its files explicitly, so nothing recorded waits for a
collection.
"""

import atexit
import gc

_registered = False


def freeze_at_exit():
    """Register (once per process) :func:`gc.freeze` to run at interpreter exit."""
    global _registered
    if not _registered:
        _registered = True
        atexit.register(gc.freeze)
