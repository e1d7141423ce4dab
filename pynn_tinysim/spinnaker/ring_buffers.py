"""16-bit weights and ring-buffer saturation, scaled per receptor as sPyNNaker 7.4 does.

On the board a synaptic word holds the weight as a 16-bit unsigned integer and
a ring-buffer entry accumulates such integers, saturating at 0xFFFF. Going from
the entry to the s16.15 synaptic input is a left shift, chosen per target
Population and receptor type (population_vertex.get_ring_buffer_shifts):

1. for each receptor, an upper bound of what one entry may have to hold
   (weights times the global weight scale: 1 for current and delta inputs,
   1024 for conductances):

   - per incoming projection: ``n`` = the probable maximum number of
     connections onto one neuron (FixedProbability: the binomial quantile
     ``1 - 1e-4 / (n_pre n_post)``; AllToAll: n_pre; OneToOne: 1; other
     connectors: the largest in-degree actually built), the weights' mean,
     variance and maximum, and the delays' variance;
   - all delays equal: ``max(sum(spikes_per_tick * w_max * n), biggest scaled
     weight)``; otherwise an upper bound mean + 5 sd of the Poisson-summed input
     at 30 spikes/s (spynnaker.cfg ``spikes_per_second``, ``ring_buffer_sigma``),
     capped by that sum and floored by the biggest weight. (The sum is not
     multiplied by the global weight scale: sPyNNaker 7.4 adds it unscaled, and
     so do we.) The 30 spikes/s (and one spike per tick) hold for every source,
     Poisson sources included: 7.4 asks a projection's pre-vertex for its maximum
     rate only where that application vertex is an ``AbstractMaxSpikes``, and
     only the Poisson *machine* vertex is one (SpikeSourcePoissonVertex is not:
     sPyNNaker issue 1435), so the default always applies.

2. ``shift = ceil(log2(bound))`` (one more if the bound is an exact power of
   two), weight scale ``s = 2**(15 - shift) * global scale``;
3. each weight becomes ``rint(|w| s) & 0xFFFF`` (so reads back as that / s),
   and an entry saturates at ``65535 / s``.

Plastic projections count too, as sPyNNaker counts them (synapse_dynamics_stdp.py):
their weights may grow to the weight dependence's w_max, so mean and maximum are
``max(largest initial weight, w_max)`` and the variance 0. Their weights are not
quantized here: the plastic rule is told the scale (``set_board_weights``) and
keeps its weights as those 16-bit integers itself (:mod:`..engine.spinnaker.plasticity`).

A Population given ``max_expected_summed_weight=[exc, inh, ...]`` uses those
values (times the global weight scale) as the bounds instead, as sPyNNaker does.

Where sPyNNaker uses the statistics of a weight or delay *distribution*, we use
those of the values actually drawn (same mean, almost the same extremes).
"""

import math

import numpy as np

from pyNN import connectors

from ..engine.spinnaker.groups import SpiNNakerNeuronGroup
from .simulator import RING_BUFFER_SIGMA, SPIKES_PER_SECOND

RING_ENTRY_MAX = 0xFFFF
POISSON_SIGMA_SUMMATION_LIMIT = 3.0
_CHANCE = 1.0 / 10000.0


def weight_shift(bound):
    """sPyNNaker's left shift for a ring buffer that must hold up to ``bound``."""
    power = 0 if bound <= 0 else int(math.ceil(max(0.0, math.log2(bound))))
    if 2 ** power <= bound:
        power += 1
    return power


def weight_scale(shift, global_scale=1.0):
    """Multiplier turning a weight into its 16-bit integer: 2**(16 - (shift + 1)) * global."""
    return 2.0 ** (16 - (shift + 1)) * global_scale


def quantize_weights(weights, scale):
    """|w| as sPyNNaker writes it (rint(|w| s) & 0xFFFF), read back in PyNN units."""
    counts = np.rint(np.abs(np.asarray(weights, dtype=float)) * scale).astype(np.int64)
    return (counts & RING_ENTRY_MAX) / scale


def binomial_ppf(q, n, p):
    """Smallest k with P(Binomial(n, p) <= k) >= q (scipy.stats.binom.ppf), scipy-free."""
    n = int(n)
    if p <= 0 or n <= 0:
        return 0
    if p >= 1:
        return n
    k = np.arange(n + 1)
    lgamma = np.frompyfunc(math.lgamma, 1, 1)
    log_pmf = (lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0)).astype(float) \
        + k * math.log(p) + (n - k) * math.log1p(-p)
    pmf = np.exp(log_pmf - log_pmf.max())
    pmf /= pmf.sum()
    survival = np.cumsum(pmf[::-1])[::-1]          # P(X >= k)
    # P(X <= k) >= q  <=>  P(X >= k + 1) <= 1 - q
    tail = np.append(survival[1:], 0.0)
    return int(np.flatnonzero(tail <= 1.0 - q + 1e-15)[0])


def _upper_incomplete_gamma_regularised(a, x):
    """Q(a, x) for integer a >= 1: exp(-x) sum_{k<a} x**k / k!."""
    k = np.arange(int(a))
    lgamma = np.frompyfunc(math.lgamma, 1, 1)
    terms = -x + k * math.log(x) - lgamma(k + 1.0).astype(float) if x > 0 else None
    if terms is None:
        return 1.0
    return float(np.exp(terms).sum())


class _RunningStats:
    """Mean and variance of a stream of groups of items (combined as sPyNNaker's RunningStats)."""

    def __init__(self):
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def add(self, mean, variance, n):
        if n <= 0:
            return
        total = self.n + n
        delta = mean - self.mean
        self.m2 += variance * (n - 1.0) + delta * delta * self.n * n / total
        self.mean = (self.n * self.mean + n * mean) / total
        self.n = total

    @property
    def variance(self):
        return 0.0 if self.n <= 1 else self.m2 / (self.n - 1.0)


def expected_upper_bound(weight_mean, weight_sd, rate, n_synapses, sigma, steps_per_second):
    """Mean + sigma sd of one ring entry's Poisson-summed input (sPyNNaker's formula)."""
    spikes = float(n_synapses * rate) / steps_per_second
    poisson_variance = spikes * weight_mean ** 2
    upper = int(round(spikes + POISSON_SIGMA_SUMMATION_LIMIT * math.sqrt(spikes)))
    weight_variance = 0.0
    if weight_sd > 0 and spikes > 0:
        log_ratio = math.log(spikes) * upper - math.lgamma(1 + upper)
        if -701.0 < log_ratio < 701.0 and log_ratio != 0.0:
            q = _upper_incomplete_gamma_regularised(1 + upper, spikes)
            inner = math.exp(spikes) * q - math.exp(log_ratio)
            if inner > 0:
                weight_variance = math.exp(
                    -spikes + math.log(spikes) + 2.0 * math.log(weight_sd) + math.log(inner))
    return spikes * weight_mean + sigma * math.sqrt(poisson_variance + weight_variance)


def max_connections_to_one(projection, post_mask):
    """sPyNNaker's probable maximum number of connections onto one target neuron."""
    connector = projection._connector
    n_pre = projection.pre.size
    n_post = projection.post.size
    if type(connector) is connectors.FixedProbabilityConnector:
        return binomial_ppf(1.0 - _CHANCE / float(n_pre * n_post), n_pre, connector.p_connect)
    if type(connector) is connectors.AllToAllConnector:
        return n_pre
    if type(connector) is connectors.OneToOneConnector:
        return 1
    block = projection._block
    post = block.post[post_mask]
    if post.size == 0:
        return 0
    return int(np.unique(post, return_counts=True)[1].max())


def prepare(state, settings):
    """Scale every flavour projection's weights and set each target's saturation level."""
    network = state.network
    dt = state.dt
    steps_per_second = 1000.0 / dt
    spikes_per_tick = max(1.0, SPIKES_PER_SECOND / steps_per_second)
    for projection in settings.projections:
        block = projection._block
        block.consolidate()
        if projection._spinnaker_float_weights is None \
                or projection._spinnaker_float_weights.size != block.weight.size:
            projection._spinnaker_float_weights = np.abs(block.weight).astype(float)
    for projection in settings.projections:
        if projection._plastic:
            _board_weights(projection._block, None)
    if not settings.fixed_point:
        for projection in settings.projections:
            if not projection._plastic:
                projection._block.weight = projection._spinnaker_float_weights.copy()
        return
    for population in settings.populations:
        group = population._group
        if not isinstance(group, SpiNNakerNeuronGroup):
            continue
        first, last = int(population.first_id), int(population.last_id)
        incoming = []
        exchange = network.exchange     # MPI: each rank holds the synapses onto its cells
        for projection in settings.projections:
            post = projection._block.post
            mask = (post >= first) & (post <= last)
            stats = _incoming(projection, mask, exchange,
                              structural_reach(projection, first, last))
            if stats is not None:
                incoming.append((projection, mask, stats))
        local = population._group_indices
        expected = getattr(population, "_max_expected_summed_weight", None)
        for r, receptor in enumerate(group.receptors):
            if expected is not None:
                # Population(..., max_expected_summed_weight=[...]): the bound itself,
                # times the global weight scale (population_vertex.get_ring_buffer_shifts)
                bound = expected[r] * group.global_weight_scale
            else:
                bound = _receptor_bound(
                    [stats for p, m, stats in incoming if p.receptor_type == receptor],
                    group.global_weight_scale, spikes_per_tick, steps_per_second)
            scale = weight_scale(weight_shift(bound), group.global_weight_scale)
            group.set_saturation(receptor, local, RING_ENTRY_MAX / scale)
            for projection, mask, _ in incoming:
                if projection.receptor_type != receptor or not (
                        mask.any() or structural_reach(projection, first, last)):
                    continue
                if projection._plastic:
                    # the plastic rule keeps its weights as 16-bit integers of this scale
                    _board_weights(projection._block, mask, weight_shift(bound),
                                   group.global_weight_scale)
                else:
                    block = projection._block
                    quantized = block.weight.copy()
                    quantized[mask] = quantize_weights(
                        projection._spinnaker_float_weights[mask], scale)
                    block.weight = quantized
    network.synapses_changed()


def structural_reach(projection, first, last):
    """For a StructuralMechanismSTDP projection that may form synapses onto the cells
    ``first..last``: the largest weight they may have, max(w_max, initial_weight)
    (``synapse_dynamics_structural_stdp.get_weight_maximum``), even before any
    synapse exists; else None."""
    block = projection._block
    targets = getattr(block, "post_ids", None)
    if getattr(block, "inner", None) is None or targets is None or block.rules is None \
            or not ((targets >= first) & (targets <= last)).any():
        return None
    return max(abs(float(block.rule_params.get("w_max", 0.0))),
               abs(float(block.rules.initial_weight)))


def _incoming(projection, mask, exchange, structural=None):
    """(weights, delays, max connections to one target, the largest weight its plastic
    rule may reach or None for a static projection) of a projection onto the cells
    ``mask`` selects, or None when it has none there (a structural projection that may
    form synapses there counts with none yet: ``structural``, its reach).

    Under MPI (``exchange`` not None) a rank holds only the synapses onto its own
    cells: the figures are those of all ranks (weights and delays gathered in rank
    order, so their mean and variance may differ from one process's in the last
    bit; the maximum exactly), the same on every rank.
    """
    w = projection._spinnaker_float_weights[mask]
    d = projection._block.delay_steps[mask].astype(float)
    n = max_connections_to_one(projection, mask)
    reach = plastic_weight_maximum(projection._block, mask) if projection._plastic else None
    if exchange is not None:
        parts = exchange.comm.allgather((w, d, n, reach))
        w = np.concatenate([p[0] for p in parts])
        d = np.concatenate([p[1] for p in parts])
        n = max(p[2] for p in parts)
        if reach is not None:
            reach = max(p[3] for p in parts)
    if structural is not None:
        reach = max(reach or 0.0, structural)
    elif w.size == 0:
        return None
    return w, d, n, reach


def _receptor_bound(incoming, global_scale, spikes_per_tick, steps_per_second):
    """sPyNNaker's largest expected ring-buffer entry for one receptor of one Population.

    ``incoming``: ``_incoming``'s figures, one tuple per projection.
    """
    if not incoming:
        return 0.0
    weights = _RunningStats()
    delays = _RunningStats()
    rates = _RunningStats()
    biggest = 0.0
    total = 0.0
    for w, d, n, reach in incoming:
        w_max = float(w.max()) if w.size else 0.0
        if reach is not None:
            # synapse_dynamics_stdp.py: a plastic weight may reach the weight
            # dependence's w_max, so mean and maximum are both that bound, variance 0
            w_max = max(w_max, reach)
            weights.add(w_max * global_scale, 0.0, n)
        else:
            weights.add(float(w.mean()) * global_scale, float(w.var()) * global_scale ** 2, n)
        biggest = max(biggest, w_max * global_scale)
        delays.add(0.0, float(d.var()) if d.size else 0.0, n)
        rates.add(SPIKES_PER_SECOND, 0.0, n)
        total += spikes_per_tick * w_max * n
    if delays.variance == 0.0:
        return max(total, biggest)
    bound = expected_upper_bound(weights.mean, math.sqrt(weights.variance), rates.mean,
                                 weights.n, RING_BUFFER_SIGMA, steps_per_second)
    return max(min(bound, total), biggest)


def plastic_weight_maximum(block, mask):
    """The largest weight a plastic rule may give the synapses ``mask``: its w_max.

    (sPyNNaker's ``weight_dependence.weight_maximum``; magnitudes, as the flavour
    stores weights.)
    """
    w_max = block.params.get("w_max") if hasattr(block, "params") else None
    if w_max is None or not mask.any():
        return 0.0
    return float(np.abs(w_max[mask]).max())


def _board_weights(block, mask, shift=None, global_scale=1.0):
    """Tell a plastic block the 16-bit weight format of the synapses ``mask`` (None: float)."""
    setter = getattr(block, "set_board_weights", None)
    if setter is not None:
        setter(mask, shift, global_scale)
