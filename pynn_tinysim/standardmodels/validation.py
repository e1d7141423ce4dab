"""Checks on parameter values: a PyNN error naming the parameter and the bad value.

Without them a negative time constant would surface as NaNs or a NumPy
warning deep inside a run; a user deserves to be told at the line that set it.
"""

import numpy as np

from pyNN import errors


def _positive(x):
    return x > 0


def _non_negative(x):
    return x >= 0


#: parameter name -> (test applied elementwise, what the value must be)
CONSTRAINTS = {
    "cm": (_positive, "> 0 nF"),
    "tau_m": (_positive, "> 0 ms"),
    "tau_syn_E": (_positive, "> 0 ms"),
    "tau_syn_I": (_positive, "> 0 ms"),
    "tau_refrac": (_non_negative, ">= 0 ms"),
    "rate": (_non_negative, ">= 0 Hz"),
    "duration": (_non_negative, ">= 0 ms"),
    "start": (_non_negative, ">= 0 ms"),
}


def check_values(celltype_name, name, values):
    """Raise InvalidParameterValueError if ``values`` are not finite or break a constraint."""
    array = np.asarray(values)
    if array.dtype == object or array.dtype.kind not in "biuf":
        return
    bad = ~np.isfinite(array)
    rule = CONSTRAINTS.get(name)
    if rule is not None:
        with np.errstate(invalid="ignore"):
            bad |= ~rule[0](array)
    if bad.any():
        bad_value = array.flat[int(np.flatnonzero(bad.ravel())[0])]
        requirement = f" (must be {rule[1]})" if rule else " (must be finite)"
        raise errors.InvalidParameterValueError(
            f"{celltype_name}: invalid value {name}={bad_value!r}{requirement}")


def check_spike_times(times):
    """Spike times of a SpikeSourceArray: finite, non-negative; returned sorted."""
    times = np.asarray(times, dtype=float)
    if times.size and (not np.isfinite(times).all() or (times < 0).any()):
        bad = times[~np.isfinite(times) | (times < 0)][0]
        raise errors.InvalidParameterValueError(
            f"SpikeSourceArray: invalid spike time {bad!r} in spike_times "
            "(must be finite and >= 0 ms)")
    return np.sort(times)
