"""MPI for pyNN.tinysim's front: is this process one of several ranks, and which?

Owns the decision to distribute (the engine's side, the spike exchange and which
rank owns which cells, is :mod:`.engine.exchange`). A script started by
``mpiexec -n N`` (``N > 1``) is distributed; any other is not, and then mpi4py is
not even imported: the launcher's environment variables are looked at first, so
the one-process path costs nothing (PyNN itself imports mpi4py only to gather).

Under MPI each rank runs Numba with one thread (``NUMBA_NUM_THREADS=1``) unless
the user chose a number: ranks are meant to be one per core.
"""

import os

#: environment variables that MPI launchers set in the processes they start
#: (MPICH/Hydra and Intel MPI: PMI_*; Open MPI: OMPI_*; PMIx launchers and Slurm's srun:
#: PMI_* or PMIX_*)
LAUNCHER_VARIABLES = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                      "MPI_LOCALNRANKS", "MV2_COMM_WORLD_SIZE")

_comm = False       # not looked up yet; None: not distributed


def launched_by_mpi():
    """True when an MPI launcher started this process (even with one rank)."""
    return any(name in os.environ for name in LAUNCHER_VARIABLES)


def communicator():
    """mpi4py's COMM_WORLD when this process is one of several ranks, else None."""
    global _comm
    if _comm is False:
        _comm = None
        if launched_by_mpi():
            try:
                from mpi4py import MPI
            except ImportError:
                MPI = None
            if MPI is None:
                import warnings
                warnings.warn(
                    "pyNN.tinysim: started by an MPI launcher but mpi4py is not installed "
                    "(pip install 'pynn-tinysim[mpi]'); every rank runs the whole network "
                    "on its own", stacklevel=3)
            elif MPI.COMM_WORLD.Get_size() > 1:
                _comm = MPI.COMM_WORLD
                _one_thread_per_rank()
    return _comm


def rank_and_size():
    """(rank, number of processes) of this process: (0, 1) when not distributed."""
    comm = communicator()
    return (0, 1) if comm is None else (comm.Get_rank(), comm.Get_size())


def broadcast(value):
    """Rank 0's ``value`` on every rank (the value itself when not distributed)."""
    comm = communicator()
    return value if comm is None else comm.bcast(value, root=0)


def barrier():
    comm = communicator()
    if comm is not None:
        comm.Barrier()


def new_exchange():
    """The engine's SpikeExchange for this process's ranks, or None (one process)."""
    comm = communicator()
    if comm is None:
        return None
    from .engine.exchange import SpikeExchange
    return SpikeExchange(comm)


def _one_thread_per_rank():
    """Numba on one thread per rank, unless the user set NUMBA_NUM_THREADS."""
    if "NUMBA_NUM_THREADS" in os.environ:
        return
    os.environ["NUMBA_NUM_THREADS"] = "1"   # read by Numba when it is first imported
    import sys
    numba = sys.modules.get("numba")
    if numba is not None:                   # already imported: tell it directly
        try:
            numba.set_num_threads(1)
        except Exception:   # (no threading layer loaded yet: the variable is enough)
            pass
