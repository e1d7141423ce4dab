"""A memory estimate before a Projection is built, and a clear error when it won't fit.

Building a projection that needs more memory than the machine has makes the
system swap for minutes before anything fails. Before connecting, the number of
connections the connector will make is estimated (exactly for the connectors
that fix it, as an expectation for FixedProbability: the registry of
:mod:`.connectors` gives it), multiplied by what tinysim stores per synapse, and
compared with the memory the operating system says is available (Linux:
MemAvailable in /proc/meminfo; elsewhere no check).
"""

from pyNN import errors

from .connectors import expected_connections  # noqa: F401 (the registry's estimate)

#: bytes per static synapse while it is queued (presynaptic id 4, key 4, weight 8; see
#: engine/synapses.py), the most a synapse costs; 12 once merged into the store
BYTES_PER_SYNAPSE = 16
#: a plastic synapse: pre, post, weight, delay, key (5 x 8), plus 8 per parameter or
#: state variable of its rule (engine/plasticity.py)
BYTES_PER_PLASTIC_SYNAPSE = 40


def bytes_per_synapse(projection):
    """What one connection of ``projection`` costs tinysim, at most."""
    if not getattr(projection, "_plastic", False):
        return BYTES_PER_SYNAPSE
    names = projection.synapse_type.get_parameter_names()
    return BYTES_PER_PLASTIC_SYNAPSE + 8 * len(names)


class InsufficientMemoryError(errors.ConnectionError, MemoryError):
    """A Projection would need more memory than is available."""


def available_memory():
    """Bytes the OS says can be allocated without swapping, or None when unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_projection_fits(connector, projection):
    """Raise InsufficientMemoryError if building ``projection`` would not fit in memory."""
    n = expected_connections(connector, projection.pre.size, projection.post.size)
    available = available_memory()
    if n is None or available is None:
        return
    needed = n * bytes_per_synapse(projection)
    if needed > available:
        raise InsufficientMemoryError(
            f"Projection {projection.label!r} ({type(connector).__name__}, "
            f"{projection.pre.size} x {projection.post.size} cells) would make about "
            f"{n:,.0f} connections, needing ~{needed / 2**30:.1f} GiB, but only "
            f"{available / 2**30:.1f} GiB of memory is available; use fewer cells or "
            "connections (e.g. a scale factor)")
