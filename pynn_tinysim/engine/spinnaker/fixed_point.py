"""SpiNNaker's fixed-point arithmetic, on NumPy arrays, for the sPyNNaker-flavour models.

sPyNNaker's neuron code computes in ISO C ``accum`` (s16.15: a signed 32-bit
integer counting 2**-15) and, for decay factors, ``unsigned long fract``
(u0.32: an unsigned 32-bit integer counting 2**-32). This module does the same
arithmetic on int64 arrays holding the raw bits, so the flavour models can run
"as the board would", one operation at a time:

==========================  =========================================================
operation                   how SpiNNaker does it (and so do we)
==========================  =========================================================
parameter -> s16.15         round to nearest (sPyNNaker's ``DataType.S1615`` encoder)
C literal -> s16.15         truncated toward zero (GCC, e.g. ``REAL_CONST(1.85)``)
``accum * accum``           exact 64-bit product shifted right 15: rounds toward -inf
                            (GCC's ARM back end expands it inline, arm-fixed.md
                            ``mulsa3``: ``smull`` and shifts; not libgcc's rounding
                            ``__mulsa3``)
``accum / accum``           ``(a << 15) / b`` in integers, truncated toward zero
                            (spinn_common's ``kdivk``)
``decay_s1615(x, d)``       ``(x * d) >> 32`` with ``d`` in u0.32: rounds toward -inf
``x >> n``                  arithmetic shift: rounds toward -inf
``+``, ``-``                exact (wrap-around at +-65536 is not emulated)
==========================  =========================================================

Transcendental functions (``expk``, ``expulr``) are evaluated in float64 and
rounded to the nearest representable value; the board's library may differ
from that by one least significant bit.

The :class:`FloatArith` and :class:`FixedArith` classes give the models one
vocabulary for both modes, so each update rule is written once.
"""

import numpy as np

FRACTION_BITS = 15
ONE = 1 << FRACTION_BITS                 # 1.0 in s16.15
U032_SCALE = float(1 << 32)
U032_MAX = (1 << 32) - 1                 # the largest u0.32 value; GCC's "1.0ulr"
S1615_MAX = (1 << 31) - 1
S1615_MIN = -(1 << 31)


def to_s1615(x):
    """Raw s16.15 bits of ``x``, rounded to nearest (halves to even, as numpy.rint)."""
    return np.rint(np.asarray(x, dtype=float) * ONE).astype(np.int64)


def literal_s1615(x):
    """Raw s16.15 bits of a decimal ``accum`` literal in the C code (``REAL_CONST(1.85)``).

    GCC converts such a literal by truncation toward zero (1.85 -> 60620 LSB),
    unlike the host's parameter encoder, which rounds (-> 60621).
    """
    return np.trunc(np.asarray(x, dtype=float) * ONE).astype(np.int64)


def from_s1615(bits):
    """The real value of raw s16.15 bits (exact in float64)."""
    return np.asarray(bits, dtype=np.int64) / float(ONE)


def quantize(x):
    """``x`` rounded to the nearest s16.15 value, as a float."""
    return from_s1615(to_s1615(x))


def to_u032(x):
    """Raw u0.32 bits of ``x`` in [0, 1), rounded to nearest and clamped to the type."""
    return np.clip(np.rint(np.asarray(x, dtype=float) * U032_SCALE), 0, U032_MAX).astype(np.int64)


def mul(a, b):
    """accum * accum as the ARM code does it: (a b) >> 15, rounding toward -inf."""
    return (np.asarray(a, np.int64) * np.asarray(b, np.int64)) >> FRACTION_BITS


def div(a, b):
    """accum / accum as spinn_common's kdivk: (a << 15) / b, truncated toward zero."""
    num = np.asarray(a, np.int64) << FRACTION_BITS
    den = np.asarray(b, np.int64)
    q = np.abs(num) // np.abs(den)
    return np.where((num < 0) != (den < 0), -q, q)


def decay(x, d):
    """sPyNNaker's decay_s1615: s16.15 ``x`` times u0.32 ``d``, ``(x * d) >> 32``.

    Done in two halves so the product cannot overflow int64:
    floor((x dh 2**16 + x dl) / 2**32) = floor((x dh + floor(x dl / 2**16)) / 2**16).
    """
    x = np.asarray(x, np.int64)
    d = np.asarray(d, np.int64)
    high, low = d >> 16, d & 0xFFFF
    return (x * high + ((x * low) >> 16)) >> 16


def s1615_times_u032_to_u032(x, d):
    """sPyNNaker's decay_s1615_to_u032: (x * d) >> 15, an u0.32 result (x >= 0)."""
    x = np.asarray(x, np.int64)
    d = np.asarray(d, np.int64)
    high, low = d >> 16, d & 0xFFFF
    # (x d) >> 15 = (x high) << 1 + (x low) >> 15, exact for x >= 0
    return np.minimum(((x * high) << 1) + ((x * low) >> 15), U032_MAX)


def ceil_accum(bits):
    """lif_ceil_accum: the smallest integer >= an s16.15 value."""
    bits = np.asarray(bits, np.int64)
    return (bits >> FRACTION_BITS) + ((bits & (ONE - 1)) > 0)


class FloatArith:
    """The vocabulary of :class:`FixedArith`, in plain float64 (``fixed_point=False``)."""

    fixed = False

    @staticmethod
    def param(x):
        return np.asarray(x, dtype=float).copy()

    @staticmethod
    def const(x):
        return float(x)

    @staticmethod
    def load(x, scale=1.0):
        return x * scale if scale != 1.0 else x.copy()

    @staticmethod
    def store(dst, value, scale=1.0):
        dst[...] = value / scale if scale != 1.0 else value

    @staticmethod
    def value(x):
        return np.asarray(x, dtype=float)

    mul = staticmethod(np.multiply)

    @staticmethod
    def div(a, b):
        return np.divide(a, b)

    @staticmethod
    def half(x):
        return x * 0.5

    @staticmethod
    def shift_right(x, n):
        return x / float(1 << n)

    @staticmethod
    def decay_factor(x):
        return np.asarray(x, dtype=float)

    @staticmethod
    def decay(x, d):
        return x * d

    @staticmethod
    def exp_synapse_factors(dt, tau):
        """(decay, init) of an exponential synapse: exp(-dt/tau), tau/dt (1 - exp(-dt/tau))."""
        decay = np.exp(-dt / tau)
        return decay, tau / dt * (1.0 - decay)

    @staticmethod
    def steps_ceil(duration, dt):
        return np.ceil(np.asarray(duration) / dt - 1e-9).astype(np.int64)

    @staticmethod
    def exp_of(x):
        """exp(x) of a real ``x``, as the model stores it."""
        return np.exp(x)

    @staticmethod
    def input(ring_values, scale=1.0):
        return ring_values * scale if scale != 1.0 else ring_values


class FixedArith:
    """s16.15 / u0.32 arithmetic on raw bits, as the SpiNNaker ARM code does it."""

    fixed = True

    @staticmethod
    def param(x):
        return to_s1615(x)

    @staticmethod
    def const(x):
        return int(to_s1615(x))

    @staticmethod
    def load(x, scale=1.0):
        return to_s1615(x * scale) if scale != 1.0 else to_s1615(x)

    @staticmethod
    def store(dst, value, scale=1.0):
        dst[...] = from_s1615(value) / scale if scale != 1.0 else from_s1615(value)

    value = staticmethod(from_s1615)
    mul = staticmethod(mul)
    div = staticmethod(div)

    @staticmethod
    def half(x):
        return x >> 1

    @staticmethod
    def shift_right(x, n):
        return x >> n

    @staticmethod
    def decay_factor(x):
        return to_u032(x)

    decay = staticmethod(decay)

    @staticmethod
    def exp_synapse_factors(dt, tau):
        """As sPyNNaker's decay_and_init, from the s16.15 time step and time constant."""
        ts, tau = to_s1615(dt), to_s1615(tau)
        ts_over_tau = div(ts, tau)
        decay_bits = to_u032(np.exp(-from_s1615(ts_over_tau)))
        inv_decay = U032_MAX - decay_bits          # 1.0ulr - decay
        tau_over_ts = div(tau, ts)
        return decay_bits, s1615_times_u032_to_u032(tau_over_ts, inv_decay)

    @staticmethod
    def steps_ceil(duration, dt):
        return ceil_accum(div(to_s1615(duration), to_s1615(dt)))

    @staticmethod
    def exp_of(x):
        """exp(x) of a real ``x``, as the accum the model stores (expk)."""
        return to_s1615(np.exp(x))

    @staticmethod
    def input(ring_values, scale=1.0):
        # ring values are sums of weights already quantized to (a power of two) * 2**-15:
        # exact in float64, so this is the board's "ring buffer entry << shift"
        return to_s1615(ring_values * scale) if scale != 1.0 else to_s1615(ring_values)


def arith(fixed_point):
    """The arithmetic of one mode: :class:`FixedArith` or :class:`FloatArith`."""
    return FixedArith if fixed_point else FloatArith
