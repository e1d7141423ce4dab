"""Checks on parameter values of cell and synapse types: a PyNN error naming the
parameter and the bad value (one table, one checker).

Without them a negative time constant would surface as NaNs or a NumPy
warning deep inside a run; a user deserves to be told at the line that set it.
"""

import numpy as np

from pyNN import errors
from pyNN.parameters import LazyArray
from pyNN.random import RandomDistribution

from ..engine.sources import MAX_RATE_HZ


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
    "rate": (lambda x: (x >= 0) & (x <= MAX_RATE_HZ), f">= 0 Hz and <= {MAX_RATE_HZ:g} Hz"),
    "duration": (_non_negative, ">= 0 ms"),
    "start": (_non_negative, ">= 0 ms"),
    # adaptive, HH and stochastic models
    "tau_w": (_positive, "> 0 ms"),
    "delta_T": (_non_negative, ">= 0 mV"),
    "tau_sfa": (_positive, "> 0 ms"),
    "tau_rr": (_positive, "> 0 ms"),
    "delta_v": (_positive, "> 0 mV"),
    "lambda0": (_non_negative, ">= 0 Hz"),
    "tau_eta": (_positive, "> 0 ms"),
    "tau_gamma": (_positive, "> 0 ms"),
    "gbar_Na": (_non_negative, ">= 0 uS"),
    "gbar_K": (_non_negative, ">= 0 uS"),
    "g_leak": (_non_negative, ">= 0 uS"),
    "alpha": (_positive, "> 0"),
    "beta": (_non_negative, ">= 0 Hz"),
    # initial values of conductances (a negative one makes the membrane run away)
    "gsyn_exc": (_non_negative, ">= 0 uS"),
    "gsyn_inh": (_non_negative, ">= 0 uS"),
    # synapse types (short-term plasticity, stochastic release, STDP rules)
    "U": (lambda x: (x >= 0) & (x <= 1), "in [0, 1]"),
    "p": (lambda x: (x >= 0) & (x <= 1), "in [0, 1]"),
    "n": (lambda x: (x >= 1) & (x == np.round(x)), "a whole number >= 1"),
    "tau_rec": (lambda x: x > 0, "> 0 ms"),
    "tau_facil": (lambda x: x >= 0, ">= 0 ms"),
    "tau_plus": (lambda x: x > 0, "> 0 ms"),
    "tau_minus": (lambda x: x > 0, "> 0 ms"),
    "tau": (lambda x: x > 0, "> 0 ms"),
    "A_plus": (lambda x: x >= 0, ">= 0"),
    "A_minus": (lambda x: x >= 0, ">= 0"),
    "eta": (lambda x: x >= 0, ">= 0"),
    "rho": (lambda x: x >= 0, ">= 0 Hz"),
    "mu_plus": (lambda x: x >= 0, ">= 0"),
    "mu_minus": (lambda x: x >= 0, ">= 0"),
}


def check_values(owner, name, values):
    """Raise InvalidParameterValueError if ``values`` are not finite or break a constraint.

    ``owner``: the cell or synapse type (or its name), named in the message. The one
    checker of parameter values, for cell types, synapse types and the flavours.
    """
    celltype_name = owner if isinstance(owner, str) else type(owner).__name__
    array = np.asarray(values)
    if array.dtype == object or array.dtype.kind not in "biuf":
        return
    bad = ~np.isfinite(array)
    # a flavour may accept more (sPyNNaker takes a negative A_minus): a type lists such
    # parameters in ``unchecked_parameters``; they must still be finite
    rule = None if name in getattr(owner, "unchecked_parameters", ()) else CONSTRAINTS.get(name)
    if rule is not None:
        with np.errstate(invalid="ignore"):
            bad |= ~rule[0](array)
    if bad.any():
        bad_value = array.flat[int(np.flatnonzero(bad.ravel())[0])].item()  # -1.0, not np.float64(-1.0)
        requirement = f" (must be {rule[1]})" if rule else " (must be finite)"
        raise errors.InvalidParameterValueError(
            f"{celltype_name}: invalid value {name}={bad_value!r}{requirement}")


def check_spike_times(times):
    """Spike times of a SpikeSourceArray: finite, non-negative, in increasing order.

    Unordered times are an error, as in pyNN.nest, pyNN.neuron and pyNN.brian2.
    A single number (what PyNN hands over for a one-cell Population) is one spike.
    """
    times = np.atleast_1d(np.asarray(times, dtype=float)).ravel()
    if times.size and (not np.isfinite(times).all() or (times < 0).any()):
        bad = times[~np.isfinite(times) | (times < 0)][0]
        raise errors.InvalidParameterValueError(
            f"SpikeSourceArray: invalid spike time {float(bad)!r} in spike_times "
            "(must be finite and >= 0 ms)")
    if np.any(times[:-1] > times[1:]):
        i = int(np.flatnonzero(times[:-1] > times[1:])[0])
        raise errors.InvalidParameterValueError(
            "Spike times given to SpikeSourceArray must be in increasing order "
            f"({float(times[i])!r} ms is followed by {float(times[i + 1])!r} ms)")
    return times


def normalized_values(owner, values, defaults, what=""):
    """Values given for numeric parameters, checked for type before PyNN sees them.

    PyNN's lazy arrays fail on None, strings, complex numbers or object arrays with
    an assertion or a bare "invalid base value for array" that names nothing; here
    such a value is an InvalidParameterValueError naming the parameter. Object
    arrays of numbers are converted to float arrays (valid values: accepted).
    ``defaults``: the type's default values; only parameters whose default is a
    number are checked (sequences and arrays per cell have their own checks).
    """
    owner_name = (owner if isinstance(owner, str) else
                  owner.__name__ if isinstance(owner, type) else type(owner).__name__)
    out = dict(values)
    for name, value in values.items():
        default = defaults.get(name)
        if not isinstance(default, (int, float, np.integer, np.floating)):
            continue
        if isinstance(value, (RandomDistribution, LazyArray)) or callable(value):
            continue
        ok = True
        if isinstance(value, (int, float, np.integer, np.floating)):
            try:
                float(value)
            except OverflowError:
                ok = False
        elif isinstance(value, (list, tuple, np.ndarray)):
            try:
                array = np.asarray(value)
                ok = (not np.iscomplexobj(array) and array.dtype.kind in "biufO"
                      and array.size > 0)
                if ok:
                    converted = array.astype(float)
                    if array.dtype == object:
                        out[name] = converted
            except (TypeError, ValueError, OverflowError):
                ok = False
        else:
            ok = False
        if not ok:
            raise errors.InvalidParameterValueError(
                f"{owner_name}: {what}{name} must be a number, an array of numbers or a "
                f"RandomDistribution, not {value!r}")
    return out
