"""``get_machine()`` of the sPyNNaker flavour: a described, virtual SpiNN-5 board.

sPyNNaker's ``get_machine()`` returns the ``spinn_machine.Machine`` it was
allocated (after asking for a board). Here there is no board: the flavour
returns a :class:`VirtualMachine` describing the one a 48-chip SpiNN-5 board
has, with the attributes scripts read (``width``, ``height``, ``n_chips``,
``chips``, ``ethernet_connected_chips``, ``total_cores``,
``total_available_user_cores``, ``max_cores_per_chip``, ``get_chip_at``,
``is_chip_at``...). It is a description only: nothing in the simulation
depends on it.
"""

from dataclasses import dataclass, field

#: chip coordinates of a SpiNN-5 board: an 8 x 8 hexagonal board with 16 corners cut,
#: as spinn_machine lists them (per row y, the x range present)
_SPINN5_ROWS = {0: range(0, 5), 1: range(0, 6), 2: range(0, 7), 3: range(0, 8),
                4: range(1, 8), 5: range(2, 8), 6: range(3, 8), 7: range(4, 8)}
CORES_PER_CHIP = 18
#: one core of each chip runs the monitor (SCAMP); the rest are for applications
MONITOR_CORES_PER_CHIP = 1
SDRAM_PER_CHIP = 123_469_792        # bytes free for applications on a SpiNN-5 chip
ROUTER_ENTRIES = 1023


@dataclass(frozen=True)
class VirtualChip:
    """One chip: its coordinates, cores and memory (spinn_machine's Chip, read-only)."""

    x: int
    y: int
    n_processors: int = CORES_PER_CHIP
    sdram: int = SDRAM_PER_CHIP
    router_entries: int = ROUTER_ENTRIES
    ip_address: str = None

    @property
    def n_placable_processors(self):
        return self.n_processors - MONITOR_CORES_PER_CHIP

    @property
    def n_user_processors(self):       # older spinn_machine name
        return self.n_placable_processors

    @property
    def nearest_ethernet_x(self):
        return 0

    @property
    def nearest_ethernet_y(self):
        return 0

    def __str__(self):
        return f"[Chip: x={self.x}, y={self.y}, cores={self.n_processors}]"


@dataclass
class VirtualMachine:
    """A SpiNN-5 board (48 chips, 18 cores each), as described to scripts; no hardware."""

    version: int = 5
    width: int = 8
    height: int = 8
    chips: tuple = field(default_factory=lambda: tuple(
        VirtualChip(x, y, ip_address="127.0.0.1" if (x, y) == (0, 0) else None)
        for y, xs in _SPINN5_ROWS.items() for x in xs))

    @property
    def n_chips(self):
        return len(self.chips)

    @property
    def ethernet_connected_chips(self):
        return [chip for chip in self.chips if chip.ip_address is not None]

    @property
    def boot_chip(self):
        return self.get_chip_at(0, 0)

    @property
    def max_cores_per_chip(self):
        return CORES_PER_CHIP

    @property
    def total_cores(self):
        return sum(chip.n_processors for chip in self.chips)

    @property
    def total_available_user_cores(self):
        return sum(chip.n_placable_processors for chip in self.chips)

    def get_chip_at(self, x, y):
        """The chip at (x, y), or None where the board has none."""
        for chip in self.chips:
            if chip.x == x and chip.y == y:
                return chip
        return None

    def is_chip_at(self, x, y):
        return self.get_chip_at(x, y) is not None

    def __iter__(self):
        return iter(self.chips)

    def __len__(self):
        return self.n_chips

    def __str__(self):
        return (f"VirtualMachine(SpiNN-{self.version} board, {self.n_chips} chips, "
                f"{self.max_cores_per_chip} cores each: {self.total_cores} cores, "
                f"{self.total_available_user_cores} for applications; emulated by "
                "pyNN.tinysim.spinnaker, no hardware)")

    __repr__ = __str__


def get_machine():
    """The virtual SpiNN-5 board (sPyNNaker: the machine allocated for the simulation)."""
    return VirtualMachine()
