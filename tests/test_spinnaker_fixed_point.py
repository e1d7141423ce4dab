"""pyNN.tinysim.spinnaker: s16.15 arithmetic, 16-bit weights and ring-buffer saturation.

Expected values are worked out here by hand, in integers, from the operations
SpiNNaker performs (see pynn_tinysim/engine/spinnaker/fixed_point.py for the table).
"""

import math

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as sim
from pynn_tinysim.engine.spinnaker import fixed_point as fx
from pynn_tinysim.spinnaker import ring_buffers as rb

LSB = 2.0 ** -15


# --- the arithmetic -------------------------------------------------------------------

def test_parameters_round_to_the_nearest_s1615_value():
    assert fx.to_s1615(-65.0) == -65 * 32768
    assert fx.to_s1615(0.1) == 3277                 # 3276.8 -> 3277
    assert fx.to_s1615(-65.3) == -2139750           # -2139750.4 -> -2139750
    assert fx.quantize(0.040008544921875) == 0.040008544921875   # 1311 LSB exactly


def test_accum_multiplication_truncates_toward_minus_infinity():
    # GCC's ARM back end expands accum * accum inline (arm-fixed.md "mulsa3": smull, then
    # the 64-bit product shifted right by 15): the low bits are dropped, rounding toward
    # -inf, not libgcc's rounding __mulsa3. Evidence: the board's Izhikevich spike times
    # in test_spinnaker_board_recordings.py (set-between-runs test of sPyNNaker).
    assert fx.mul(1, 16384) == 0          # 0.5 LSB -> 0
    assert fx.mul(-1, 16384) == -1        # -0.5 LSB -> -1 (floor)
    assert fx.mul(3, 5461) == 0           # 0.49997 LSB -> 0
    assert fx.mul(1, 32767) == 0          # 0.99997 LSB -> 0
    assert fx.mul(-3, 5461) == -1
    assert fx.mul(fx.to_s1615(1.5), fx.to_s1615(2.25)) == fx.to_s1615(3.375)


def test_accum_division_truncates_toward_zero():
    assert fx.div(fx.to_s1615(1.0), fx.to_s1615(3.0)) == 10922       # 10922.67 -> 10922
    assert fx.div(fx.to_s1615(-1.0), fx.to_s1615(3.0)) == -10922
    assert fx.div(32768, 655360) == 1638                               # 1/20 -> 1638.4


def test_decay_rounds_toward_minus_infinity():
    half = 1 << 31                                    # 0.5 in u0.32
    assert fx.decay(3, half) == 1                     # 1.5 LSB -> 1
    assert fx.decay(-3, half) == -2                   # -1.5 LSB -> -2
    big = fx.to_s1615(30000.0)
    assert fx.decay(big, fx.U032_MAX) == big - 1      # no int64 overflow


def test_exponential_synapse_factors_as_decay_and_init():
    decay, init = fx.FixedArith.exp_synapse_factors(1.0, np.array([5.0]))
    ts_over_tau = (32768 << 15) // (5 * 32768)                        # 6553
    expected_decay = round(math.exp(-ts_over_tau / 32768) * 2 ** 32)
    tau_over_ts = (5 * 32768 << 15) // 32768                          # 163840
    expected_init = (tau_over_ts * ((2 ** 32 - 1) - expected_decay)) >> 15
    assert int(decay[0]) == expected_decay and int(init[0]) == expected_init
    # 7.5e-5 below tau/dt (1 - exp(-dt/tau)): kdivk truncated dt/tau to 6553 LSB
    assert init[0] / 2 ** 32 == pytest.approx(5 * (1 - math.exp(-0.2)), abs=1e-4)


def test_ceil_of_an_accum():
    assert fx.ceil_accum(fx.to_s1615(2.0)) == 2
    assert fx.ceil_accum(fx.to_s1615(2.0) + 1) == 3
    assert fx.FixedArith.steps_ceil(2.0, 0.1) == 20   # 65536 / 3277 LSB -> 19.9988 -> 20


# --- the models in fixed point -----------------------------------------------------------

def test_one_lif_step_in_integers():
    sim.setup(timestep=1.0)
    cell = sim.Population(1, sim.IF_curr_exp(i_offset=1.0))
    cell.record("v")
    sim.run(3)
    v = np.asarray(cell.get_data().segments[0].analogsignals[0])[:, 0]
    # R = kdivk(20, 1) = 20.0; exp_TC = expk(-kdivk(1, 20)) = exp(-1638 LSB) -> 31170 LSB
    exp_tc = round(math.exp(-1638 / 32768) * 32768)
    assert exp_tc == 31170
    alpha = ((32768 * 655360) >> 15) - 65 * 32768            # I R + v_rest = -45.0
    v1 = alpha - ((exp_tc * (alpha + 65 * 32768)) >> 15)      # (truncating multiply)
    assert v1 == -2097960
    assert v[1] == v1 * LSB == -64.024658203125
    v2 = alpha - ((exp_tc * (alpha - v1)) >> 15)
    assert v[2] == v2 * LSB


def test_state_stays_on_the_s1615_grid():
    sim.setup(timestep=1.0)
    cells = sim.Population(5, sim.Izhikevich(i_offset=5.0))
    cells.initialize(v=[-70.1234567, -65.0, -60.3, -55.5, -70.0])
    cells.record("v")
    sim.run(50)
    v = np.asarray(cells.get_data().segments[0].analogsignals[0])
    assert np.all(v * 32768 == np.round(v * 32768))


def test_fixed_and_float_agree_closely_but_not_exactly():
    def trace(fixed):
        sim.setup(timestep=1.0, fixed_point=fixed)
        cell = sim.Population(1, sim.IF_curr_exp(i_offset=0.7))
        cell.record("v")
        sim.run(100)
        return np.asarray(cell.get_data().segments[0].analogsignals[0])[:, 0]
    fixed, floating = trace(True), trace(False)
    assert not np.array_equal(fixed, floating)
    assert np.max(np.abs(fixed - floating)) < 0.01


# --- 16-bit weights and ring buffers --------------------------------------------------------

@pytest.mark.parametrize("bound, shift", [(0.0, 0), (0.5, 0), (1.0, 1), (1.5, 1), (2.0, 2),
                                          (3.0, 2), (4.0, 3), (43.0, 6), (64.0, 7)])
def test_ring_buffer_shift(bound, shift):
    # ceil(log2(bound)), one more when bound is a power of two (range is [0, 2**shift))
    assert rb.weight_shift(bound) == shift


def test_binomial_quantile_matches_brute_force():
    n, p, q = 30, 0.1, 0.999
    pmf = [math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n + 1)]
    cdf = np.cumsum(pmf)
    assert rb.binomial_ppf(q, n, p) == int(np.flatnonzero(cdf >= q)[0])
    assert rb.binomial_ppf(0.5, 10, 0.0) == 0 and rb.binomial_ppf(0.5, 10, 1.0) == 10


def _one_to_one(weight, celltype=None, rate=None, fixed=True, t=5.0):
    sim.setup(timestep=1.0, fixed_point=fixed, rng_seed=11)
    if rate is None:
        src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    else:
        src = sim.Population(1, sim.SpikeSourcePoisson(rate=rate))
    cell = sim.Population(1, celltype or sim.IF_curr_exp(v_thresh=1000.0))
    proj = sim.Projection(src, cell, sim.OneToOneConnector(), sim.StaticSynapse(weight=weight))
    cell.record(["gsyn_exc"])
    sim.run(t)
    gsyn = np.asarray(cell.get_data().segments[0].filter(name="gsyn_exc")[0])[:, 0]
    return proj, cell, gsyn


def test_weights_become_16_bit_integers_scaled_per_receptor():
    proj, cell, _ = _one_to_one(0.3)
    # one connection of 0.3 nA, one spike per tick at most: bound 0.3 -> shift 0,
    # scale 2**(16 - 1) = 32768: 0.3 -> rint(9830.4) = 9830
    assert proj.get("weight", format="list", with_address=False) == [9830 / 32768]
    assert cell._group._saturation[0, 0] == 65535 / 32768
    proj, _, _ = _one_to_one(1.0)
    # bound 1.0 -> shift 1 (a power of two needs one more bit), scale 16384
    assert proj.get("weight", format="list", with_address=False) == [1.0]


def test_conductance_weights_are_scaled_by_1024():
    proj, cell, _ = _one_to_one(0.004, celltype=sim.IF_cond_exp())
    # biggest scaled weight 0.004 * 1024 = 4.096 -> shift 3, scale 2**12 * 1024
    scale = 2 ** 12 * 1024
    assert proj.get("weight", format="list", with_address=False) == [
        round(0.004 * scale) / scale]
    assert cell._group._saturation[0, 0] == 65535 / scale


def test_seed004_ring_buffer_scaling_by_hand():
    # exc -> exc: FixedProbability(0.02), 1200 x 1200: probable maximum in-degree
    # (scipy.stats.binom.ppf(1 - 1e-4 / (1200 * 1200), 1200, 0.02) == 61.0)
    n = rb.binomial_ppf(1 - 1e-4 / (1200 * 1200), 1200, 0.02)
    assert n == 61
    # thalamus -> exc: FixedProbability(0.01), 20 x 1200, weight 0.1 (scipy: 6.0)
    m = rb.binomial_ppf(1 - 1e-4 / (20 * 1200), 20, 0.01)
    assert m == 6
    bound = 1.0 * n + 0.1 * m           # spikes per tick 1 (30 Hz default rate), no delay variance
    assert rb.weight_shift(bound) == 6 and rb.weight_scale(6) == 512.0


def test_ring_buffer_saturates_at_0xffff():
    # a 20 kHz Poisson source sends ~20 spikes per 1 ms tick; the scaling expects 1
    _, _, fixed = _one_to_one(1.0, rate=20000.0, t=100.0)
    _, _, floating = _one_to_one(1.0, rate=20000.0, fixed=False, t=100.0)
    init = 5.0 * (1 - math.exp(-0.2))
    saturation = 65535 / 16384                       # ~4 nA per entry
    gain = init / (1 - math.exp(-0.2))               # steady state of x += s init; x *= decay
    assert fixed.max() <= saturation * gain * 1.001
    assert fixed[-10:].mean() == pytest.approx(saturation * gain, rel=0.01)
    assert floating[-10:].mean() > 3 * fixed[-10:].mean()


def test_weights_rescaled_when_the_network_changes():
    sim.setup(timestep=1.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    cell = sim.Population(1, sim.IF_curr_exp())
    p1 = sim.Projection(src, cell, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.3))
    sim.run(1)
    assert p1.get("weight", format="list", with_address=False) == [9830 / 32768]
    src2 = sim.Population(10, sim.SpikeSourceArray(spike_times=[1.0]))
    sim.Projection(src2, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.3))
    sim.run(1)
    # bound now 0.3 * 11 = 3.3 -> shift 2, scale 8192: rescaled from the value given, 0.3
    assert p1.get("weight", format="list", with_address=False) == [round(0.3 * 8192) / 8192]


def test_float_mode_keeps_weights_as_given():
    proj, cell, _ = _one_to_one(0.3, fixed=False)
    assert proj.get("weight", format="list", with_address=False) == [0.3]
    assert np.isinf(cell._group._saturation).all()
