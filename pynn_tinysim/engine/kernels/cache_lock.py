"""Numba's on-disk cache, saved by one process at a time.

Numba writes each cache file under a temporary name and renames it, but it numbers a
kernel's data files from the index it has just read: two processes saving two
different signatures of one kernel at the same moment (the ranks of an ``mpiexec``
run, jobs of a cluster sharing a home directory, test workers) can both pick the same
number, and the index then points one signature at the other's code. Every process
that loads the kernels therefore saves under an exclusive ``flock`` on the cache
directory (:func:`serialise_saves`); loading needs no lock, since each file is
replaced whole.
"""

import os


def serialise_saves():
    """Wrap Numba's cache save (read the index, name a data file, write both) in an
    exclusive flock on the cache directory, once per process. Where flock or the
    internal Numba class is missing (Windows, another Numba), saves stay as they are."""
    try:
        import fcntl
        from numba.core import caching
        save = caching.IndexDataCacheFile.save
        fcntl.flock         # (holding_lock's)
    except (ImportError, AttributeError):
        return
    if getattr(save, "tinysim_locked", False):
        return

    def locked_save(self, key, data):
        return holding_lock(getattr(self, "_cache_path", None), save, self, key, data)

    locked_save.tinysim_locked = True
    caching.IndexDataCacheFile.save = locked_save


def holding_lock(directory, function, *args):
    """``function(*args)`` under an exclusive flock on ``directory`` (where it can be
    opened; else without: the function reports a missing directory itself)."""
    import fcntl
    try:
        fd = os.open(directory, os.O_RDONLY)
    except (OSError, TypeError):
        return function(*args)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return function(*args)
    finally:
        os.close(fd)                         # (releases the lock)
