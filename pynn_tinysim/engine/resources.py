"""What the engine may allocate: the memory the operating system says is available.

Used to refuse a run whose recording buffers cannot fit before allocating them
(the front's Population and Projection estimates use the same figure).
"""


class AllocationTooLargeError(MemoryError, ValueError):
    """An allocation the engine was asked for would not fit in the available memory."""


def available_memory():
    """Bytes that can be allocated without swapping (Linux: MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def gib(n_bytes):
    return f"{n_bytes / 2**30:.3g} GiB"
