"""The parts of ``spynnaker.pyNN.utilities.utility_calls`` scripts use (served where
sPyNNaker is absent): ``get_n_bits``."""

import math


def get_n_bits(n_values):
    """Bits needed to tell ``n_values`` values apart (0 for none, 1 for one)."""
    if n_values <= 0:
        return 0
    if n_values == 1:
        return 1
    return int(math.ceil(math.log2(n_values)))
