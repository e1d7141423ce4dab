"""Memory estimates for Populations (and later recordings): a clear error before a
large allocation that cannot fit, instead of a NumPy MemoryError or minutes of swap.

The per-cell cost is measured, not guessed (see tests/test_memory_estimates.py):
every float parameter, state variable and initial value of the engine group
(8 bytes each), the id arrays, and above all one Python ``ID`` object per cell
(what PyNN's ``all_cells`` holds: about 200 bytes with its attribute dict).
"""

from pyNN import errors

from .memory import InsufficientMemoryError, available_memory

#: bytes per cell besides the group's float arrays: the ID object and its dict, the
#: object array of IDs, the int64 id arrays, masks and counters (measured, rounded up)
BYTES_PER_CELL_OVERHEAD = 260


def population_bytes(celltype, size):
    """Estimated peak bytes of creating a Population of ``size`` cells of ``celltype``."""
    model = getattr(celltype, "engine_model", None)
    n_params = len(getattr(model, "parameter_names", ())) or 8
    n_state = len(getattr(model, "state_names", ()))
    # parameters are built as arrays, then concatenated into the group's (x2 at the peak)
    return size * (8 * (2 * n_params + 3 * n_state) + BYTES_PER_CELL_OVERHEAD)


def check_population_fits(population):
    """InsufficientMemoryError if ``population`` would not fit in the available memory."""
    available = available_memory()
    if available is None:
        return
    needed = population_bytes(population.celltype, population.size)
    if needed > available:
        raise PopulationTooLargeError(
            f"Population {population.label!r} of {population.size:,} "
            f"{type(population.celltype).__name__} cells would need ~{needed / 2**30:.1f} GiB, "
            f"but only {available / 2**30:.1f} GiB of memory is available")


class PopulationTooLargeError(InsufficientMemoryError, errors.InvalidParameterValueError):
    """A Population would need more memory than is available."""
