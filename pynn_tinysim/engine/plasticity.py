"""Synapses whose weight or transmission changes during a run (one object per projection).

Static projections stay on the fast path of :mod:`.synapses`: the network's one
:class:`~.synapses.SynapseStore`, whose weights do not change during a run.
A projection with synaptic dynamics (STDP, short-term plasticity, stochastic
release) gets a :class:`PlasticSynapses` object of its own instead:

- it *is* the projection's synapse block (a :class:`~.synapses.SynapseBlock`
  subclass): ``weight`` is the projection's weight array, in connection order,
  read and written in place by the rule, so ``Projection.get('weight')`` after a
  run sees the learned weights without any copying;
- per-synapse parameters (``params``) and state (``state``) are arrays in the
  same order, so heterogeneous parameters cost nothing extra;
- its own CSR index by presynaptic id (``_by_pre``/``_indptr``) and, for the
  spike-timing rules, a CSC-like index by (delay, postsynaptic neuron).

Delivery cannot use weights precomputed at compile time, so each step the
network hands every plastic object the ids that spiked (:meth:`deliver`): it
gathers the CSR rows of its spiking presynaptic neurons, applies the rule, and
adds the transmitted amounts to the ring buffer with the same key scheme as
static synapses (``key = delay * row_size + input position``). Everything is
array operations over the synapses of the spiking rows (or columns); the only
Python loops are over distinct spike-arrival times.

Update equations follow NEST's synapse models (the ones pyNN.nest uses), in
PyNN's units, with PyNN's parameter names:

``TsodyksMarkram``
    NEST ``tsodyks_synapse`` (x, y, u; the PSC decay ``tau_psc`` is the target's
    ``tau_syn_E``/``tau_syn_I``, read at the start of each run, as pyNN.nest copies
    it; targets without one get tau_psc -> 0, i.e. instantaneous recovery onset).
``StochasticTsodyksMarkram``
    PyNN's NEST extension ``stochastic_stp_synapse`` (one release site, Poisson
    recovery with rate 1/tau_rec, release with probability u).
``MultiQuantal``
    NEST ``quantal_stp_synapse``: n sites, each recovering with probability
    1 - exp(-h/tau_rec) between spikes and releasing with probability u; the
    transmitted amount is n_released * weight. Initial state as pyNN.nest's:
    a = 1 available site and u = 0.5 whatever n and U are (NEST's constructor
    values, which pyNN.nest does not set), and no update at the first spike.
``SimpleStochastic``
    NEST ``bernoulli_synapse``: each spike transmitted with probability p.
``STDP`` (SpikePairRule with Additive/Multiplicative/AdditivePotentiation-
MultiplicativeDepression/Gutig weight dependence)
    NEST ``stdp_synapse``: all-to-all pairs through traces, the normalised
    weight x = (w - w_min)/(w_max - w_min) moves by
    ``+A_plus (1-x)^mu_plus K_pre`` for each postsynaptic spike and
    ``-A_minus x^mu_minus K_post`` at a presynaptic spike, clipped to [0, 1]
    (mu = 0/0, 1/1, 0/1, or the Gutig exponents). With w_min = 0 this is NEST's
    formula exactly (NEST has no w_min). w_max may be below w_min (negative
    weights of current-based inhibitory synapses: w_min = 0, w_max < 0), as NEST
    allows a negative Wmax; a weight on the far side of w_min from w_max is
    refused (:meth:`PairTraceRule.wrong_side`), as NEST refuses a weight whose
    sign differs from Wmax's.
``VogelsSprekeler`` (Vogels2011Rule with AdditiveWeightDependence)
    NEST ``vogels_sprekeler_synapse``: ``+eta K_pre`` for each postsynaptic spike,
    ``+eta K_post - alpha eta`` at a presynaptic spike, alpha = 2 rho tau
    (rho in Hz, tau in ms: alpha = 2e-3 rho tau), weights between w_min and w_max.
    Both traces decay with tau (NEST's post trace uses the target's tau_minus,
    which a NEST user must set equal to tau).

sPyNNaker 7.4's rules (pyNN.tinysim.spinnaker) derive from these and live in
:mod:`.spinnaker.plasticity`.

Timing of the spike-timing rules (NEST's, i.e. PyNN's dendritic_delay_fraction =
1): the synapse sees a presynaptic spike at its emission time t_pre and a
postsynaptic spike at t_post + d (back-propagated over the synapse's delay d).
Pairs are all-to-all, through per-synapse traces K_pre (time constant
tau_plus, or tau) and K_post (tau_minus, or tau); a trace is read just *before*
the event that reads it, so a pre and a post event at the same instant do not
interact, as in NEST. At each instant, post events are applied before pre
events (NEST applies, at a presynaptic spike, the potentiation of every post
spike that reached the synapse up to and including that instant, then the
depression), and the weight transmitted by a presynaptic spike is the weight
after its own update (as NEST's ``send``).

A presynaptic cell that spikes several times in one step (a SpikeSourcePoisson's
count above 1, repeated SpikeSourceArray times: its id repeated in the step's
spikes) updates its synapses once per spike, each spike transmitting the amount
its own update left, as NEST does (a parrot neuron sends such spikes as one event
of multiplicity n, which NEST's event delivery unrolls into n spikes for plastic
synapses; a static synapse transmits n times its weight either way) and as the
board does (one packet per spike): :meth:`PlasticSynapses.deliver` processes the
first spike of every id, then the second ones, and so on (:func:`spike_rounds`).

Traces are kept per synapse, not per neuron (as NEST keeps K_pre in each
stdp_synapse): a synapse's trace is only read or updated when the synapse
itself is (its row at a pre spike, its column at a post event), so this costs
no more than per-neuron traces, and it makes per-synapse time constants and
per-synapse delays exact (a postsynaptic spike reaches each synapse at its
own t_post + d, so one per-neuron post trace could not serve synapses with
different delays).

Post events need the spike history of the last max_delay steps: posts that
spiked are queued (a heap keyed by arrival time, one entry per distinct delay
of the projection) and processed lazily, in time order, at the next step the
projection is called. Processing an arrival updates the post trace and records
what the event will contribute (its K_pre, read at the arrival time); the
weight itself changes only when the synapse's next presynaptic spike is
processed, as in every NEST plastic synapse: the recorded potentiations are
applied in arrival order, then the depression. Weights read at any time
(``get``, between runs, after the last run) are therefore NEST's: post spikes
since a synapse's last presynaptic spike have not reached its weight yet.

Random numbers (stochastic synapses) come from a numpy Generator seeded by the
network seed, the reset count and a stream id of the projection: the same seed
gives the same releases, and a run split into several run() calls draws the
same numbers as one long run.
"""

import heapq

import numpy as np

from . import keyed
from .kernels import plasticity as rules
from .synapses import Delivery, SynapseBlock, WeightSideError


def _gather_rows(indptr, rows):
    """Concatenated ranges indptr[r]:indptr[r+1] for r in ``rows`` (no Python loop)."""
    starts = indptr[rows]
    counts = indptr[rows + 1] - starts
    if rows.size == 1:
        return np.arange(starts[0], starts[0] + counts[0], dtype=np.int64)
    n = int(counts.sum())
    if n == 0:
        return np.zeros(0, np.int64)
    idx = np.arange(n, dtype=np.int64)
    idx += np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return idx


def spike_rounds(ids):
    """``ids`` (a step's spiking ids) as rounds of distinct ids: the first occurrence of
    every id in their order, then the second occurrences, and so on; ``[ids]`` where
    no id repeats (the usual case, checked without sorting where ``ids`` ascend)."""
    if ids.size < 2 or bool(np.all(ids[1:] > ids[:-1])):
        return [ids]
    order = np.argsort(ids, kind="stable")
    ranked = ids[order]
    repeat = ranked[1:] == ranked[:-1]
    if not repeat.any():
        return [ids]
    # each element's occurrence number: its place in its run of equal ids
    starts = np.flatnonzero(np.concatenate([[True], ~repeat]))
    run_start = np.repeat(starts, np.diff(np.append(starts, ids.size)))
    occurrence = np.empty(ids.size, np.int64)
    occurrence[order] = np.arange(ids.size) - run_start
    return [ids[occurrence == r] for r in range(int(occurrence.max()) + 1)]


def neuron_parameter(network, ids, name, default):
    """Parameter ``name`` of the neurons ``ids`` (global), ``default`` where a model lacks it."""
    ids = np.asarray(ids, np.int64)
    out = np.full(ids.shape, float(default))
    for group in network.groups.values():
        values = group.params.get(name)
        if values is None or group.size == 0 or ids.size == 0:
            continue
        pos = np.minimum(np.searchsorted(group.ids, ids), group.size - 1)
        hit = group.ids[pos] == ids
        out[hit] = values[pos[hit]]
    return out



class DecayTables:
    """Decays by interval in steps, computed by NumPy for the compiled kernels.

    The kernels (:mod:`.kernels.plasticity`) cannot call ``exp`` and give the
    reference's bits (NumPy's exp may be its own SIMD code), so they read
    ``values[i][d]`` = ``np.exp(exponents[i](d))`` for d = 0, 1, ... steps, where
    each exponent function is the very expression the NumPy rule evaluates.
    ``rates[i]``: -exponent per step (to know where the decay is 0 for good:
    past exp(-746) every later entry is 0.0, the table is *saturated* and the
    kernels read its last entry for any longer interval). Grown on demand up to
    ``CAP`` entries; an interval beyond that is left to the NumPy code.

    ``function``: what the tables hold of the exponents, ``np.exp`` or another NumPy
    function as the rule evaluates it (MultiQuantal's -expm1); ``limit``: its value
    past exp(-746) (the saturated tables' last entry: 0.0 for exp, 1.0 for -expm1);
    either may be a tuple, one per exponent (MultiQuantal's facilitation and recovery
    rows in one table).

    Several exponents (one per distinct time constant of a projection whose synapses
    differ in it) share one length; :meth:`flat` lays them end to end (row i of the
    kernels' flat table). Their entries together are kept within ``CAP`` (each grows
    to ``ROW_MIN`` at least), ``cap`` entries per table.
    """

    #: entries per table at most (8 MB of float64)
    CAP = 1 << 20
    #: entries a table of several may grow to whatever their number (2 MB each)
    ROW_MIN = 1 << 18
    _UNDERFLOW = 746.0      # exp(-x) is 0.0 for x above ~745.2

    def __init__(self, exponents, rates, function=np.exp, limit=0.0):
        self._exponents = exponents
        self.cap = max(self.CAP // max(len(exponents), 1), min(self.ROW_MIN, self.CAP))
        self._flat = None
        n = len(exponents)
        self._functions = tuple(function) if isinstance(function, tuple) else (function,) * n
        self._limits = tuple(limit) if isinstance(limit, tuple) else (limit,) * n
        ends = []
        for rate in rates:
            if not rate > 0.0:              # no decay (or NaN): never saturates
                ends.append(None)
            elif np.isinf(rate):
                ends.append(2)
            else:
                ends.append(int(np.ceil(self._UNDERFLOW / rate)) + 1)
        self._end = None if None in ends else max(ends)
        self.values = ()
        self.saturated = False
        self.grow(1024)

    def grow(self, needed):
        """Cover intervals below ``needed`` steps; False where that would pass ``CAP``."""
        if self.saturated or (self.values and self.values[0].size >= needed):
            return True
        size = 1 << max(int(needed - 1).bit_length(), 10)
        if self._end is not None and size >= self._end:
            size = self._end
        elif needed > self.cap:
            return False
        size = min(size, max(self.cap, needed))
        steps = np.arange(size, dtype=np.int64)
        # (interval 0 is read at a source's repeated spike in a step: the exponents are
        # finite there, Tsodyks-Markram's PSC decay included, see _psc_exponent)
        self.values = tuple(function(exponent(steps))
                            for function, exponent in zip(self._functions, self._exponents))
        self.saturated = size == self._end and all(
            v[-1] == limit for v, limit in zip(self.values, self._limits))
        self._flat = None
        return True

    def flat(self):
        """The tables end to end (one array; the one table itself where there is one)."""
        if self._flat is None:
            self._flat = (self.values[0] if len(self.values) == 1
                          else np.concatenate(self.values))
        return self._flat


#: post spikes a compiled stretch's queue holds at least (it grows where it must)
STRETCH_QUEUE_MIN = 1024


class RoundsScratch:
    """The scratch a compiled delivery takes for the rounds of a step's ids (its
    ``rounds`` argument, see kernels/plasticity.py's ``_next_round``): two int64 arrays
    at least as long as the step's spikes, grown as needed. The kernels allocate nothing
    themselves, so that a compiled stretch can call them without counting references
    (kernels.UNCOUNTED); the step loop's calls take it from here."""

    def __init__(self):
        self._arrays = (np.zeros(0, np.int64), np.zeros(0, np.int64))

    def fit(self, n):
        """The two arrays, at least ``n`` long."""
        if self._arrays[0].size < n:
            size = max(n, 2 * self._arrays[0].size, 64)
            self._arrays = (np.zeros(size, np.int64), np.zeros(size, np.int64))
        return self._arrays


def cover_intervals(tables, earliest, k_stop):
    """Grow ``tables`` (:class:`DecayTables`) so that a compiled stretch up to ``k_stop``
    finds every interval it reads there: up to ``k_stop - earliest`` steps, ``earliest``
    the oldest stamp a synapse remembers (a last pre spike or post event). Returns
    ``k_stop``, or the last step they cover where they cannot grow that far (``CAP``)."""
    for table in tables:
        if not table.grow(k_stop - earliest + 1):
            table.grow(table.cap)
        if not table.saturated:
            k_stop = min(k_stop, earliest + table.values[0].size - 1)
    return k_stop


def kernel_ready(*arrays):
    """Whether ``arrays`` are what the stretch's tuples hold (the compiled code is typed
    by them): one-dimensional, C-contiguous, writeable int64 or float64 arrays."""
    return all(a.ndim == 1 and a.flags.c_contiguous and a.flags.writeable
               and a.dtype in (np.int64, np.float64) for a in arrays)


class PlasticSynapses(SynapseBlock, Delivery):
    """The synapses of one projection with synaptic dynamics (base class).

    Subclasses declare ``parameter_names`` (per-synapse float parameters, PyNN
    names and units) and ``state_names`` (per-synapse state that reset()
    restores to ``initial``), and implement :meth:`_on_pre`; rules that need
    postsynaptic spikes derive from :class:`PairTraceRule`.

    It is both the projection's block (:class:`~.synapses.ProjectionSynapses`) and
    one entry of the network's delivery list (:class:`~.synapses.Delivery`): the
    network calls :meth:`merge` and :meth:`bind` (which builds the delivery index,
    :meth:`compile`) when connectivity changed, then per run :meth:`start_run`,
    :meth:`deliver` at every step with spikes, :meth:`end_run`; and :meth:`reset`.
    """

    parameter_names = ()
    state_names = ()
    plastic = True
    #: which spike of its source, in this step, a synapse's update is for (0: the
    #: first; see :meth:`deliver`)
    _round = 0
    #: all of the delay is dendritic, as in pyNN.nest
    fixed_attributes = {"dendritic_delay_fraction": 1.0}

    def __init__(self, receptor, network):
        super().__init__(receptor)
        self.network = network
        self.params = {name: np.zeros(0) for name in self.parameter_names}
        self.state = {name: np.zeros(0) for name in self.state_names}
        self.initial = {name: np.zeros(0) for name in self.state_names}
        self.initial_weight = np.zeros(0)
        self._pending_params = []
        self._stream = network.new_stream_id()
        self.rng = None
        self._indptr = None
        self._t_last = np.zeros(0, np.int64)   # stamp of each synapse's last pre spike
        self._grow(0)

    # --- building -------------------------------------------------------------

    def add(self, pre_ids, post_ids, weights, delay_steps, **params):
        """Queue connections; ``params`` gives every name in ``parameter_names``."""
        super().add(pre_ids, post_ids, weights, delay_steps)
        n = self._pending[-1][0].size
        missing = [name for name in self.parameter_names if name not in params]
        if missing:
            raise ValueError(f"{type(self).__name__}: no value for {', '.join(missing)}")
        self._pending_params.append(
            {name: np.array(np.broadcast_to(np.asarray(params[name], float), (n,)))
             for name in self.parameter_names})

    def consolidate(self):
        if not self._pending:
            return
        new_weights = np.concatenate([p[2] for p in self._pending])
        n_new = new_weights.size
        self.pre = np.concatenate([self.pre, *(p[0] for p in self._pending)])
        self.post = np.concatenate([self.post, *(p[1] for p in self._pending)])
        self.delay_steps = np.concatenate([self.delay_steps, *(p[3] for p in self._pending)])
        self.weight = np.concatenate([self.weight, new_weights])
        self.initial_weight = np.concatenate([self.initial_weight, new_weights])
        new_params = {name: np.concatenate([p[name] for p in self._pending_params])
                      for name in self.parameter_names}
        for name in self.parameter_names:
            self.params[name] = np.concatenate([self.params[name], new_params[name]])
        new_state = self._initial_state(n_new, new_params)
        for name in self.state_names:
            self.initial[name] = np.concatenate([self.initial[name], new_state[name]])
            self.state[name] = np.concatenate([self.state[name], new_state[name]])
        self._t_last = np.concatenate([self._t_last, np.zeros(n_new, np.int64)])
        self._grow(n_new)
        self._pending = []
        self._pending_params = []

    def _initial_state(self, n, params):
        """Initial values of ``state_names`` for ``n`` new synapses."""
        return {}

    def _grow(self, n):
        """Extend internal per-synapse arrays (traces, last spike times...)."""

    def set_initial_value(self, index, name, values):
        """Set a state variable's initial value, and its present value (as initialize())."""
        self.initial[name][index] = values
        self.state[name][index] = values

    def weights_written(self, index=slice(None)):
        """The user set weights ``index``: the new initial weights (what reset() restores)."""
        self.consolidate()
        self.initial_weight[index] = self.weight[index]

    # --- the projection's interface (ProjectionSynapses) ----------------------------

    def weight_at(self, index):
        return float(self.weight[index])

    def delay_steps_at(self, index):
        return int(self.delay_steps[index])

    def set_weight(self, values, index=None):
        """Write weights (all, or ``index``); they are also what reset() restores."""
        index = slice(None) if index is None else index
        self.consolidate()
        self.weight[index] = values
        self.weights_written(index)

    def set_delay_steps(self, values, index=None):
        self.consolidate()
        self.delay_steps[slice(None) if index is None else index] = values

    def write(self, values):
        """Weights and rule parameters together; nothing changes if a weight ends up on
        the wrong side of w_min (:class:`~.synapses.WeightSideError`)."""
        self.consolidate()
        for name in values:
            if name != "weight" and name not in self.params:
                raise KeyError(name)
        arrays = {name: self.weight if name == "weight" else self.params[name]
                  for name in values}
        saved = {name: array.copy() for name, array in arrays.items()}
        for name, array in arrays.items():
            array[:] = values[name]
        wrong = self.wrong_side()
        if wrong is not None:
            for name, array in arrays.items():
                array[:] = saved[name]
            raise WeightSideError(*wrong)
        if "weight" in values:
            self.weights_written()

    # --- the network's interface (Delivery) -------------------------------------------

    @property
    def size(self):
        return self.pre.size

    @property
    def max_delay_steps(self):
        return int(self.delay_steps.max()) if self.delay_steps.size else 0

    def merge(self, layout):
        self.consolidate()

    def bind(self, layout, n_slots):
        self.compile(self.network.next_id,
                     lambda block: layout.positions(block.post, block.receptor),
                     layout.row_size, n_slots)

    # --- compiling and running -----------------------------------------------

    def compile(self, n_ids, input_position, row_size, n_slots):
        """Build the CSR index by presynaptic id and the ring-buffer keys."""
        self.consolidate()
        self._by_pre = np.argsort(self.pre, kind="stable")
        self._indptr = np.zeros(n_ids + 1, np.int64)
        np.cumsum(np.bincount(self.pre, minlength=n_ids), out=self._indptr[1:])
        self._keys = self.delay_steps * row_size + input_position(self)
        self._row_size = row_size
        self._n_slots = n_slots
        self._ring_size = n_slots * row_size

    def start_run(self, dt):
        """Called before each run (parameters may have changed since the last one)."""
        self.dt = dt
        if self.rng is None:
            self.rng = self.network.rng_for(self._stream)
        # parameters that are the same for every synapse (the usual case) are used as
        # scalars in the step: one gather fewer per parameter and spike
        self._scalar = {}
        for name, values in self.params.items():
            homogeneous = values.size > 0 and bool(np.all(values == values[0]))
            self._scalar[name] = float(values[0]) if homogeneous else None

    def _p(self, name, idx):
        """Parameter ``name`` of synapses ``idx``: a scalar when homogeneous."""
        value = self._scalar[name]
        return self.params[name][idx] if value is None else value

    def end_run(self, last_stamp):
        """Called after each run; ``last_stamp`` is the step count at the end."""

    def deliver(self, spiking_ids, k, ring_flat):
        """Apply the rule to the spikes stamped k+1 and put what they transmit in the ring:
        round after round where a source spiked several times (module docstring)."""
        rounds = spike_rounds(spiking_ids)
        for r, ids in enumerate(rounds):
            self._round = r
            self._deliver_round(ids, k, ring_flat)
        self._round = 0

    def _deliver_round(self, spiking_ids, k, ring_flat):
        """:meth:`deliver` for distinct ids."""
        idx = self._by_pre[_gather_rows(self._indptr, spiking_ids)]
        if idx.size:
            idx, amounts = self._on_pre(idx, k + 1)
            if idx.size:
                flat = self._keys[idx] + ((k + 1) % self._n_slots) * self._row_size
                flat[flat >= self._ring_size] -= self._ring_size
                np.add.at(ring_flat, flat, amounts)

    def _on_pre(self, idx, stamp):
        """Update synapses ``idx`` for a presynaptic spike; return (synapses, amounts)."""
        raise NotImplementedError

    def reset(self):
        """Back to t = 0: initial weights and state, no spikes in flight, a new random stream."""
        self.consolidate()
        self.weight[:] = self.initial_weight
        for name in self.state_names:
            self.state[name][:] = self.initial[name]
        self._t_last[:] = 0
        self._reset_internal()
        self.rng = None

    def _reset_internal(self):
        pass


# --- short-term plasticity and stochastic release ----------------------------------


class TsodyksMarkram(PlasticSynapses):
    """TsodyksMarkramSynapse as NEST's tsodyks_synapse (see the module docstring)."""

    parameter_names = ("U", "tau_rec", "tau_facil")
    state_names = ("u", "x", "y")
    stretch_kind = "tm"

    def _initial_state(self, n, params):
        return {"u": np.zeros(n), "x": np.ones(n), "y": np.zeros(n)}

    def start_run(self, dt):
        super().start_run(dt)
        name = {"excitatory": "tau_syn_E", "inhibitory": "tau_syn_I"}.get(self.receptor)
        tau_psc = (neuron_parameter(self.network, self.post, name, 0.0) if name
                   else np.zeros(self.post.size))
        tau_rec = self.params["tau_rec"]
        with np.errstate(divide="ignore"):
            self._rate_psc = 1.0 / tau_psc            # inf for tau_psc = 0: y decays at once
        self._tau_psc = tau_psc
        # Pxy divides by tau_psc - tau_rec; where they are equal its limit is used instead
        self._same = np.abs(tau_psc - tau_rec) < 1e-9 * tau_rec
        self._any_same = bool(self._same.any())
        with np.errstate(divide="ignore"):
            self._inv_diff = np.where(self._same, 0.0, 1.0 / (tau_psc - tau_rec))

    def _on_pre(self, idx, stamp):
        s = self.state
        h = (stamp - self._t_last[idx]) * self.dt     # > 0
        tau_rec = self._p("tau_rec", idx)
        tau_fac = self._scalar["tau_facil"]
        if tau_fac is None:
            tau_fac = self.params["tau_facil"][idx]
            with np.errstate(divide="ignore", invalid="ignore"):      # (0/0: masked)
                Puu = np.where(tau_fac == 0.0, 0.0, np.exp(-h / tau_fac))
        else:
            Puu = 0.0 if tau_fac == 0.0 else np.exp(-h / tau_fac)
        tau_psc = self._tau_psc[idx]
        Pyy = np.exp(_psc_exponent(h, self._rate_psc[idx]))
        Pzz = np.exp(-h / tau_rec)
        Pxy = ((Pzz - 1.0) * tau_rec - (Pyy - 1.0) * tau_psc) * self._inv_diff[idx]
        if self._any_same:
            same = self._same[idx]
            if same.any():
                r = (h / tau_rec)[same] if np.ndim(tau_rec) else h[same] / tau_rec
                Pxy[same] = 1.0 - np.exp(-r) * (1.0 + r)
        Pxz = 1.0 - Pzz
        u, x, y = s["u"][idx], s["x"][idx], s["y"][idx]
        z = 1.0 - x - y
        # NEST's order: propagate u, x, y from the last spike, then the jumps
        u *= Puu
        x += Pxy * y + Pxz * z
        y *= Pyy
        u += self._p("U", idx) * (1.0 - u)
        release = u * x
        x -= release
        y += release
        s["u"][idx], s["x"][idx], s["y"][idx] = u, x, y
        self._t_last[idx] = stamp
        return idx, release * self.weight[idx]


    #: distinct values of tau_facil, of the targets' tau_psc and of tau_rec the decay
    #: table takes (one row each); a projection with more runs in the step loop only,
    #: its decays NumPy's exp of listed exponents
    MAX_TAU_CLASSES = 16

    def _compiled_rule(self):
        """Whether the kernels know this rule: the class exactly this one (no subclass, no
        replaced ``deliver``), and synapses."""
        return type(self) is TsodyksMarkram and "deliver" not in vars(self) and self.size > 0

    def _tm_table(self):
        """(decay table, facil rows, psc rows, rec rows, per-synapse float arrays tau_rec,
        tau_psc, 1/(tau_psc - tau_rec), same): the table's rows exp(-h/tau_facil),
        exp(-h/tau_psc), exp(-h/tau_rec) (as :meth:`_on_pre` evaluates them) for each
        distinct value, and each synapse's three rows; None where a time constant has
        more than ``MAX_TAU_CLASSES`` values. Worked out once per run (the parameters
        stay), the table kept while dt and the values stay."""
        cached = self.__dict__.get("_tm_cache")
        if cached is not None and cached[0] is self._rate_psc:
            return cached[1]
        dt = self.dt
        classes = []
        for values in (self.params["tau_facil"], self._rate_psc, self.params["tau_rec"]):
            if bool(np.all(values == values[0])):
                distinct, rows = values[:1].copy(), np.zeros(values.size, np.int64)
            else:
                distinct = np.unique(values)
                rows = np.searchsorted(distinct, values).astype(np.int64)
            classes.append((tuple(distinct.tolist()), rows))
        result = None
        if all(len(values) <= self.MAX_TAU_CLASSES for values, _ in classes):
            (facil, facil_rows), (rates, psc_rows), (recs, rec_rows) = classes
            key = ("tm", dt, facil, rates, recs)
            tables = self.__dict__.setdefault("_decay_tables", {})
            if key not in tables:
                h = lambda d: d * dt                                    # noqa: E731
                exponents, speeds = [], []
                for tau_fac in facil:
                    exponents.append(
                        (lambda d: np.zeros(d.size) - np.inf) if tau_fac == 0.0
                        else (lambda d, tau_fac=tau_fac: -h(d) / tau_fac))
                    speeds.append(np.inf if tau_fac == 0.0 else dt / tau_fac)
                for rate in rates:
                    exponents.append(lambda d, rate=rate: _psc_exponent(h(d), rate))
                    speeds.append(dt * rate)
                for tau_rec in recs:
                    exponents.append(lambda d, tau_rec=tau_rec: -h(d) / tau_rec)
                    speeds.append(dt / tau_rec)
                tables[key] = DecayTables(tuple(exponents), tuple(speeds))
            n_f, n_p = len(facil), len(rates)
            result = (tables[key], facil_rows, psc_rows + n_f, rec_rows + n_f + n_p,
                      np.ascontiguousarray(self.params["tau_rec"], np.float64),
                      np.ascontiguousarray(self._tau_psc, np.float64),
                      np.ascontiguousarray(self._inv_diff, np.float64),
                      self._same.astype(np.float64))
        self._tm_cache = (self._rate_psc, result)
        return result

    def stretch_ready(self):
        """Whether a compiled stretch can deliver this projection's spikes (where
        :meth:`compiled_deliver` can)."""
        s = self.state
        return self._compiled_rule() and self._tm_table() is not None and kernel_ready(
            self._indptr, self._by_pre, self._keys, self.weight, self.params["U"], s["u"],
            s["x"], s["y"], self._t_last)

    def stretch_arrays(self, k_stop, capacity=0):
        """(arrays, k_stop) for a compiled stretch up to ``k_stop`` (see
        :mod:`.kernels.plasticity`; ``k_stop`` lowered where the decay tables cannot
        cover it, :func:`cover_intervals`). Only where :meth:`stretch_ready`."""
        table, facil_rows, psc_rows, rec_rows, *per_synapse = self._tm_table()
        k_stop = cover_intervals((table,), int(self._t_last.min()), k_stop)
        s = self.state
        consts = np.zeros(3)
        consts[rules.TM_DT] = self.dt
        consts[rules.TM_LENGTH] = table.values[0].size
        consts[rules.TM_SATURATED] = table.saturated
        arrays = (self._indptr, self._by_pre, self._keys, self.weight, self.params["U"],
                  s["u"], s["x"], s["y"], self._t_last, table.flat(), facil_rows, psc_rows,
                  np.full(self.size, -1, np.int64), np.zeros(1, np.int64),
                  np.zeros(self.size), consts, rec_rows, *per_synapse)
        return arrays, k_stop

    def stretch_finish(self, arrays):
        """Nothing to hand back (the arrays were the projection's own); (0, False)."""
        return 0, False

    def compiled_deliver(self, kernels):
        """:func:`.kernels.plasticity.tsodyks_markram_deliver`: where tau_rec, tau_facil
        and the targets' tau_psc have at most ``MAX_TAU_CLASSES`` distinct values each,
        its decays from a table (one row per value); else NumPy's exp of the exponents
        :func:`.kernels.plasticity.tm_exponents` lists, taken between the two kernels
        (values drawn from a continuous distribution). None for a subclass."""
        if not self._compiled_rule():
            return None
        if self._tm_table() is None:
            return self._listed_deliver(kernels)
        table, facil_rows, psc_rows, rec_rows, *per_synapse = self._tm_table()
        kernel = kernels.tsodyks_markram_deliver
        s = self.state
        fixed = (self._indptr, self._by_pre, self._keys)
        arrays = (self.weight, self.params["U"], s["u"], s["x"], s["y"], self._t_last,
                  self.dt, *per_synapse)
        amount = np.zeros(self.size)
        scratch = (np.full(self.size, -1, np.int64), np.zeros(1, np.int64), amount)
        n_slots, row_size, numpy_deliver = self._n_slots, self._row_size, self.deliver
        rounds = RoundsScratch()

        def deliver(spiking_ids, k, ring_flat):
            offset = ((k + 1) % n_slots) * row_size
            while True:
                need = kernel(spiking_ids, k + 1, *fixed, offset, ring_flat, *arrays,
                              table.flat(), table.values[0].size, facil_rows, psc_rows,
                              rec_rows, table.saturated, *scratch, None, None,
                              rounds.fit(spiking_ids.size))
                if need == 0:
                    return
                if not table.grow(need):     # an interval beyond the tables: NumPy
                    numpy_deliver(spiking_ids, k, ring_flat)
                    return
        return deliver

    def _listed_deliver(self, kernels):
        """:meth:`compiled_deliver` without a table: per call, a first kernel lists the
        exponents of the decays, NumPy takes their exp, a second kernel delivers."""
        exponents, kernel = kernels.tm_exponents, kernels.tsodyks_markram_deliver
        s, p = self.state, self.params
        floats = lambda a: np.ascontiguousarray(a, np.float64)           # noqa: E731
        tau_facil, tau_rec = floats(p["tau_facil"]), floats(p["tau_rec"])
        rate_psc = floats(self._rate_psc)
        fixed = (self._indptr, self._by_pre, self._keys)
        arrays = (self.weight, p["U"], s["u"], s["x"], s["y"], self._t_last, self.dt, tau_rec,
                  floats(self._tau_psc), floats(self._inv_diff), self._same.astype(np.float64))
        none = np.zeros(0, np.int64)        # (no table rows: the listed decays)
        mark, epoch, amount = (np.full(self.size, -1, np.int64), np.zeros(1, np.int64),
                               np.zeros(self.size))
        out = np.zeros(3 * self.size)
        n_slots, row_size, dt = self._n_slots, self._row_size, self.dt
        rounds = RoundsScratch()

        def deliver(spiking_ids, k, ring_flat):
            n = exponents(spiking_ids, k + 1, *fixed[:2], self._t_last, dt, tau_facil,
                          rate_psc, tau_rec, mark, epoch, out)
            listed = np.exp(out[:n])
            kernel(spiking_ids, k + 1, *fixed, ((k + 1) % n_slots) * row_size, ring_flat,
                   *arrays, amount, 0, none, none, none, True, mark, epoch, amount, listed,
                   tau_facil, rounds.fit(spiking_ids.size))
        return deliver


def _psc_exponent(h, rate):
    """-h * rate, the exponent of the PSC's decay over h ms; 0 over no time (a source's
    repeated spike in a step), also where tau_psc = 0 (rate infinite: 0 * inf)."""
    with np.errstate(invalid="ignore"):
        return np.where(h == 0, 0.0, -h * rate)


class _KeyedDraws(PlasticSynapses):
    """Stochastic release whose draws are keyed per synapse and step (:mod:`.keyed`).

    A draw's coordinates are (presynaptic id, postsynaptic id, the connection's
    rank among those of the same pair in this projection, step, which draw), so a
    synapse draws the same numbers whichever other synapses spike with it and
    whichever rank holds it: the same releases for any number of MPI ranks.
    """

    def compile(self, n_ids, input_position, row_size, n_slots):
        super().compile(n_ids, input_position, row_size, n_slots)
        # the connection's rank among the connections of its (pre, post) pair, in
        # connection order (a rank keeps the order of the connections it holds)
        order = np.lexsort((np.arange(self.pre.size), self.post, self.pre))
        pre, post = self.pre[order], self.post[order]
        new_pair = np.ones(order.size, bool)
        new_pair[1:] = (pre[1:] != pre[:-1]) | (post[1:] != post[:-1])
        starts = np.flatnonzero(new_pair)
        rank_in_pair = np.arange(order.size) - np.repeat(starts, np.diff(
            np.append(starts, order.size)))
        self._pair_rank = np.empty(order.size, np.int64)
        self._pair_rank[order] = rank_in_pair

    def start_run(self, dt):
        fresh = self.rng is None
        super().start_run(dt)
        if fresh:       # a new stream (first run, or after reset()): a new key
            self._key = keyed.new_key(self.rng)

    def _coordinates(self, idx, stamp):
        coordinates = (self.pre[idx], self.post[idx], self._pair_rank[idx], stamp)
        # a source's second, third... spike in the step draws afresh (deliver's rounds);
        # the first keeps the coordinates it always had
        return coordinates if self._round == 0 else coordinates + (self._round,)

    def _uniform(self, idx, stamp, which):
        """One number in [0, 1) per synapse ``idx`` for draw ``which`` of step ``stamp``."""
        return keyed.uniform(self._key, *self._coordinates(idx, stamp), which)

    # --- compiled delivery (kernels/plasticity.py) -----------------------------------

    #: distinct values of tau_facil and of tau_rec the decay table takes (one row each); a
    #: projection with more runs in the step loop only, its decays NumPy's of listed
    #: exponents
    MAX_TAU_CLASSES = 16

    def _compiled_rule(self):
        """Whether a kernel can deliver for this rule: the class exactly the one the kernel
        follows (no subclass, no replaced ``deliver``) and synapses."""
        return (type(self) in (SimpleStochastic, StochasticTsodyksMarkram, MultiQuantal)
                and "deliver" not in vars(self)
                and self.size > 0)

    def _keyed_arrays(self):
        """What the kernels draw with: pre ids, post ids, ranks in the pair (int64)."""
        return (np.ascontiguousarray(self.pre, np.int64),
                np.ascontiguousarray(self.post, np.int64), self._pair_rank)

    def _tau_classes(self, name):
        """(distinct values, each synapse's class) of the time constant ``name``; None
        where they are more than ``MAX_TAU_CLASSES``."""
        scalar = self._scalar[name]
        if scalar is not None:
            return (scalar,), np.zeros(self.size, np.int64)
        distinct = np.unique(self.params[name])
        if distinct.size > self.MAX_TAU_CLASSES:
            return None
        return (tuple(distinct.tolist()),
                np.searchsorted(distinct, self.params[name]).astype(np.int64))

    #: what the recovery rows hold of -h/tau_rec (StochasticTsodyksMarkram: the
    #: probability that a site stays depleted, exp; MultiQuantal: that a site recovers,
    #: -expm1) and its value past exp(-746)
    _recovery = (np.exp, 0.0)

    def _class_table(self):
        """(decay table, facil rows, recovery rows): one row per distinct tau_facil,
        exp(-h/tau_facil) for h = d dt (0.0 where tau_facil <= 1e-10: as
        :func:`_facilitated_u` evaluates it), then one per distinct tau_rec, the rule's
        ``_recovery`` function of -h/tau_rec (as its ``_on_pre`` evaluates it), and each
        synapse's two rows; None where tau_facil or tau_rec has more than
        ``MAX_TAU_CLASSES`` values. Worked out once per run (the parameters stay), the
        table kept while dt and the values stay."""
        cached = self.__dict__.get("_class_cache")
        if cached is not None and cached[0] is self._scalar:
            return cached[1]
        result = None
        facil, recs = self._tau_classes("tau_facil"), self._tau_classes("tau_rec")
        if facil is not None and recs is not None:
            (facils, facil_rows), (taus, rec_rows) = facil, recs
            dt = self.dt
            function, limit = self._recovery
            key = ("classes", dt, facils, taus, function)
            tables = self.__dict__.setdefault("_decay_tables", {})
            if key not in tables:
                exponents, rates = [], []
                for tau in facils:
                    if tau > 1e-10:
                        exponents.append(lambda d, tau=tau: -(d * dt) / tau)
                        rates.append(dt / tau)
                    else:
                        exponents.append(lambda d: np.zeros(d.size) - np.inf)
                        rates.append(np.inf)
                for tau in taus:
                    exponents.append(lambda d, tau=tau: -(d * dt) / tau)
                    rates.append(dt / tau)
                n_f, n_r = len(facils), len(taus)
                tables[key] = DecayTables(
                    tuple(exponents), tuple(rates),
                    function=(np.exp,) * n_f + (function,) * n_r,
                    limit=(0.0,) * n_f + (limit,) * n_r)
            result = (tables[key], facil_rows, rec_rows + len(facils))
        self._class_cache = (self._scalar, result)
        return result

    def _wrap_kernel(self, call, tables):
        """The step loop's delivery around ``call(spiking_ids, stamp, offset, ring_flat)``
        (0, or a table length it needs): ``tables`` grown and the call repeated, or the
        step left to the NumPy rule where they cannot grow that far."""
        n_slots, row_size, numpy_deliver = self._n_slots, self._row_size, self.deliver

        def deliver(spiking_ids, k, ring_flat):
            offset = ((k + 1) % n_slots) * row_size
            while True:
                need = call(spiking_ids, k + 1, offset, ring_flat)
                if need == 0:
                    return
                if not all([table.grow(need) for table in tables]):
                    numpy_deliver(spiking_ids, k, ring_flat)
                    return
        return deliver


class SimpleStochastic(_KeyedDraws):
    """SimpleStochasticSynapse as NEST's bernoulli_synapse: transmit with probability p."""

    parameter_names = ("p",)

    def _on_pre(self, idx, stamp):
        keep = self._uniform(idx, stamp, 0) < self._p("p", idx)
        idx = idx[keep]
        return idx, self.weight[idx]

    def compiled_deliver(self, kernels):
        """:func:`.kernels.plasticity.simple_stochastic_deliver` (any p); None for a
        subclass or a replaced ``deliver``."""
        if not self._compiled_rule():
            return None
        kernel = kernels.simple_stochastic_deliver
        fixed = (self._indptr, self._by_pre, self._keys)
        arrays = (self.weight, self.params["p"], *self._keyed_arrays())
        mark, epoch = np.full(self.size, -1, np.int64), np.zeros(1, np.int64)
        rounds = RoundsScratch()

        def call(spiking_ids, stamp, offset, ring_flat):
            return kernel(spiking_ids, stamp, *fixed, offset, ring_flat, *arrays, self._key,
                          mark, epoch, rounds.fit(spiking_ids.size))
        return self._wrap_kernel(call, ())

    # --- inside compiled stretches (engine/stretch.py) --------------------------------

    stretch_kind = "simple"

    def stretch_ready(self):
        """Whether a compiled stretch can deliver this projection's spikes (where
        :meth:`compiled_deliver` can)."""
        return self._compiled_rule() and kernel_ready(
            self._indptr, self._by_pre, self._keys, self.weight, self.params["p"],
            *self._keyed_arrays())

    def stretch_arrays(self, k_stop, capacity=0):
        """(arrays, k_stop) for a compiled stretch (see :mod:`.kernels.plasticity`,
        engine/stretch_plastic.py's ``SIMPLE_FIELDS``); ``k_stop`` as given."""
        key = np.array([self._key], np.uint64).view(np.int64)     # (a key is < 2**63)
        return (self._indptr, self._by_pre, self._keys, self.weight, self.params["p"],
                *self._keyed_arrays(), key, np.full(self.size, -1, np.int64),
                np.zeros(1, np.int64)), k_stop

    def stretch_finish(self, arrays):
        """Nothing to hand back; (0, False)."""
        return 0, False


def _facilitated_u(u, h, U, tau_fac):
    """u after the jump of a spike h ms after the previous one (stochastic_stp, quantal_stp)."""
    with np.errstate(divide="ignore", over="ignore"):
        decay = np.where(tau_fac > 1e-10, np.exp(-h / np.where(tau_fac > 1e-10, tau_fac, 1.0)),
                         0.0)
    return U + u * decay * (1.0 - U)


class StochasticTsodyksMarkram(_KeyedDraws):
    """StochasticTsodyksMarkramSynapse as PyNN's NEST extension stochastic_stp_synapse.

    A depleted site recovers at a spike with probability 1 - exp(-(t - t_surv)/tau_rec)
    (t_surv: when its survival was last evaluated, a spike's time), the interval
    counted in whole steps, as the facilitation's h since the last spike: (k -
    k_surv) dt, k_surv = t_surv / dt rounded to the grid (a t_surv set with
    ``initialize`` off the grid is taken at its nearest step). NEST subtracts the two
    times in ms; the interval is the same, its last bits may differ, as h's do."""

    parameter_names = ("U", "tau_rec", "tau_facil")
    state_names = ("u", "R", "t_surv")

    def _initial_state(self, n, params):
        return {"u": np.zeros(n), "R": np.ones(n), "t_surv": np.zeros(n)}

    def _on_pre(self, idx, stamp):
        s = self.state
        t = stamp * self.dt
        h = (stamp - self._t_last[idx]) * self.dt
        u = _facilitated_u(s["u"][idx], h, self._p("U", idx), self._p("tau_facil", idx))
        R = s["R"][idx]
        t_surv = s["t_surv"][idx]
        draws = (self._uniform(idx, stamp, 0), self._uniform(idx, stamp, 1))
        depleted = R == 0.0
        # an unrecovered site recovers with probability 1 - exp(-(t - t_surv)/tau_rec),
        # the interval in whole steps (the class docstring; the kernels' tables by steps)
        elapsed = (stamp - np.rint(t_surv / self.dt)) * self.dt
        with np.errstate(over="ignore"):        # (a t_surv set in the future: > 1)
            survive = np.exp(-elapsed / self._p("tau_rec", idx))
        recovered = depleted & (draws[0] > survive)
        R = np.where(recovered, 1.0, R)
        t_surv = np.where(depleted & ~recovered, t, t_surv)
        release = (R == 1.0) & (draws[1] < u)
        R = np.where(release, 0.0, R)
        t_surv = np.where(release, t, t_surv)
        s["u"][idx], s["R"][idx], s["t_surv"][idx] = u, R, t_surv
        self._t_last[idx] = stamp
        idx = idx[release]
        return idx, self.weight[idx]

    def compiled_deliver(self, kernels):
        """:func:`.kernels.plasticity.stochastic_tm_deliver`: where tau_facil and tau_rec
        have at most ``MAX_TAU_CLASSES`` distinct values each, the decays from a table
        (one row per value, :meth:`_class_table`); else NumPy's exp of the exponents a
        first kernel lists, taken between two kernels
        (:func:`.kernels.plasticity.stochastic_tm_exponents`). None for a subclass."""
        if not self._compiled_rule():
            return None
        kernel = kernels.stochastic_tm_deliver
        s, p, dt = self.state, self.params, self.dt
        fixed = (self._indptr, self._by_pre, self._keys)
        arrays = (self.weight, p["U"], s["u"], s["R"], s["t_surv"], self._t_last,
                  *self._keyed_arrays())
        mark, epoch = np.full(self.size, -1, np.int64), np.zeros(1, np.int64)
        tau_facil = np.ascontiguousarray(p["tau_facil"], np.float64)
        rounds = RoundsScratch()
        if self._class_table() is None:
            exponents, tau_rec = kernels.stochastic_tm_exponents, np.ascontiguousarray(
                p["tau_rec"], np.float64)
            out_f, out_r, counts = np.zeros(self.size), np.zeros(self.size), np.zeros(
                2, np.int64)
            none, no_table = np.zeros(0, np.int64), np.zeros(0)

            def listed(spiking_ids, stamp, offset, ring_flat):
                exponents(spiking_ids, stamp, *fixed[:2], s["R"], s["t_surv"], self._t_last,
                          tau_facil, tau_rec, dt, mark, epoch, out_f, out_r, counts)
                with np.errstate(over="ignore"):    # (a t_surv set in the future)
                    facil, survive = np.exp(out_f[:counts[0]]), np.exp(out_r[:counts[1]])
                return kernel(spiking_ids, stamp, *fixed, offset, ring_flat, *arrays,
                              self._key, dt, no_table, 0, none, none, True, mark, epoch,
                              facil, survive, tau_facil, rounds.fit(spiking_ids.size))
            return self._wrap_kernel(listed, ())
        table, facil_rows, rec_rows = self._class_table()

        def call(spiking_ids, stamp, offset, ring_flat):
            return kernel(spiking_ids, stamp, *fixed, offset, ring_flat, *arrays, self._key,
                          dt, table.flat(), table.values[0].size, facil_rows, rec_rows,
                          table.saturated, mark, epoch, None, None, None,
                          rounds.fit(spiking_ids.size))
        return self._wrap_kernel(call, (table,))

    # --- inside compiled stretches (engine/stretch.py) --------------------------------

    stretch_kind = "stm"

    def stretch_ready(self):
        """Whether a compiled stretch can deliver this projection's spikes (where
        :meth:`compiled_deliver` can)."""
        s = self.state
        return self._compiled_rule() and self._class_table() is not None and kernel_ready(
            self._indptr, self._by_pre, self._keys, self.weight, self.params["U"], s["u"],
            s["R"], s["t_surv"], self._t_last, *self._keyed_arrays())

    def stretch_arrays(self, k_stop, capacity=0):
        """(arrays, k_stop) for a compiled stretch up to ``k_stop`` (engine/
        stretch_plastic.py's ``STM_FIELDS``; ``k_stop`` lowered where the decay table
        cannot cover it, :func:`cover_intervals`: the facilitation's intervals from
        the last spikes, the recovery's from the depleted synapses' t_surv; a synapse
        depleted during the stretch is so after its last spike). Only where
        :meth:`stretch_ready`."""
        table, facil_rows, rec_rows = self._class_table()
        s = self.state
        earliest = int(self._t_last.min())
        depleted = s["R"] == 0.0
        if depleted.any():
            surv = float(np.rint(s["t_surv"][depleted] / self.dt).min())
            earliest = min(earliest, int(max(surv, -2.0 ** 62)))
        k_stop = cover_intervals((table,), earliest, k_stop)
        consts = np.array([self._key], np.uint64).view(np.int64)   # (a key is < 2**63)
        consts = np.concatenate([consts, [int(table.saturated), table.values[0].size]])
        return (self._indptr, self._by_pre, self._keys, self.weight, self.params["U"],
                s["u"], s["R"], s["t_surv"], self._t_last, *self._keyed_arrays(), consts,
                np.array([self.dt]), table.flat(), facil_rows, rec_rows,
                np.full(self.size, -1, np.int64), np.zeros(1, np.int64)), k_stop

    def stretch_finish(self, arrays):
        """Nothing to hand back (the changed fields are the projection's own); (0, False)."""
        return 0, False


def _minus_expm1(x):
    """-expm1(x): MultiQuantal's probability that a site recovers, of x = -h/tau_rec."""
    return -np.expm1(x)


class MultiQuantal(_KeyedDraws):
    """MultiQuantalSynapse as NEST's quantal_stp_synapse (n release sites).

    Initial state as pyNN.nest leaves it: NEST's constructor values u = 0.5 and
    a = 1 available site, whatever U and n are (pyNN.nest passes U and n, not u
    and a). The first spike through a synapse releases from that state without
    the facilitation and recovery update (NEST skips it while no spike has been
    sent, quantal_stp_synapse.h, send()); from the second spike on, u jumps and
    depleted sites recover over the interval since the previous spike.
    """

    parameter_names = ("U", "n", "tau_rec", "tau_facil")
    state_names = ("u", "a")
    #: NEST quantal_stp_synapse's constructor values (U_ = 0.5 -> u_, n_ = 1 -> a_)
    INITIAL_U, INITIAL_A = 0.5, 1.0

    def _initial_state(self, n, params):
        return {"u": np.full(n, self.INITIAL_U), "a": np.full(n, self.INITIAL_A)}

    def _on_pre(self, idx, stamp):
        p, s = self.params, self.state
        u = s["u"][idx]
        available = s["a"][idx].astype(np.int64)
        seen = self._t_last[idx] > 0              # a spike has passed this synapse before
        if seen.any():
            h = ((stamp - self._t_last[idx]) * self.dt)[seen]
            u[seen] = _facilitated_u(u[seen], h, self._p_sel("U", idx, seen),
                                     self._p_sel("tau_facil", idx, seen))
            n_sites = p["n"][idx[seen]].astype(np.int64)
            p_recover = -np.expm1(-h / self._p_sel("tau_rec", idx, seen))
            # trial j of the recovery draws: coordinates (..., stamp, 0, j)
            available[seen] += keyed.binomial(
                self._key, np.maximum(n_sites - available[seen], 0), p_recover,
                *self._coordinates(idx[seen], stamp), 0)
        # trial j of the release draws: (..., stamp, 1, j)
        released = keyed.binomial(self._key, available, u, *self._coordinates(idx, stamp), 1)
        s["u"][idx] = u
        s["a"][idx] = available - released
        self._t_last[idx] = stamp
        keep = released > 0
        idx = idx[keep]
        return idx, released[keep] * self.weight[idx]

    _recovery = (_minus_expm1, 1.0)

    def compiled_deliver(self, kernels):
        """:func:`.kernels.plasticity.multi_quantal_deliver`: where tau_facil and tau_rec
        have at most ``MAX_TAU_CLASSES`` distinct values each, the decays from a table
        (one row per value, :meth:`_class_table`); else NumPy's exp and -expm1 of the
        exponents a first kernel lists, taken between two kernels
        (:func:`.kernels.plasticity.multi_quantal_exponents`). None for a subclass."""
        if not self._compiled_rule():
            return None
        kernel = kernels.multi_quantal_deliver
        s, p = self.state, self.params
        fixed = (self._indptr, self._by_pre, self._keys)
        arrays = (self.weight, p["U"], p["n"], s["u"], s["a"], self._t_last,
                  *self._keyed_arrays())
        mark, epoch = np.full(self.size, -1, np.int64), np.zeros(1, np.int64)
        tau_facil = np.ascontiguousarray(p["tau_facil"], np.float64)
        rounds = RoundsScratch()
        if self._class_table() is None:
            exponents, tau_rec = kernels.multi_quantal_exponents, np.ascontiguousarray(
                p["tau_rec"], np.float64)
            out_f, out_r = np.zeros(self.size), np.zeros(self.size)
            none, no_table, dt = np.zeros(0, np.int64), np.zeros(0), self.dt

            def listed(spiking_ids, stamp, offset, ring_flat):
                n = exponents(spiking_ids, stamp, *fixed[:2], self._t_last, tau_facil,
                              tau_rec, dt, mark, epoch, out_f, out_r)
                facil, recover = np.exp(out_f[:n]), _minus_expm1(out_r[:n])
                return kernel(spiking_ids, stamp, *fixed, offset, ring_flat, *arrays,
                              self._key, no_table, 0, none, none, True, mark, epoch, facil,
                              recover, tau_facil, rounds.fit(spiking_ids.size))
            return self._wrap_kernel(listed, ())
        table, facil_rows, rec_rows = self._class_table()

        def call(spiking_ids, stamp, offset, ring_flat):
            return kernel(spiking_ids, stamp, *fixed, offset, ring_flat, *arrays, self._key,
                          table.flat(), table.values[0].size, facil_rows, rec_rows,
                          table.saturated, mark, epoch, None, None, None,
                          rounds.fit(spiking_ids.size))
        return self._wrap_kernel(call, (table,))

    # --- inside compiled stretches (engine/stretch.py) --------------------------------

    stretch_kind = "mq"

    def stretch_ready(self):
        """Whether a compiled stretch can deliver this projection's spikes (where
        :meth:`compiled_deliver` can)."""
        s = self.state
        return self._compiled_rule() and self._class_table() is not None and kernel_ready(
            self._indptr, self._by_pre, self._keys, self.weight, self.params["U"],
            self.params["n"], s["u"], s["a"], self._t_last, *self._keyed_arrays())

    def stretch_arrays(self, k_stop, capacity=0):
        """(arrays, k_stop) for a compiled stretch up to ``k_stop`` (engine/
        stretch_plastic.py's ``MQ_FIELDS``; ``k_stop`` lowered where the decay table
        cannot cover it, :func:`cover_intervals`). Only where :meth:`stretch_ready`."""
        table, facil_rows, rec_rows = self._class_table()
        k_stop = cover_intervals((table,), int(self._t_last.min()), k_stop)
        s, p = self.state, self.params
        consts = np.array([self._key], np.uint64).view(np.int64)   # (a key is < 2**63)
        consts = np.concatenate([consts, [int(table.saturated), table.values[0].size]])
        return (self._indptr, self._by_pre, self._keys, self.weight, p["U"], p["n"],
                s["u"], s["a"], self._t_last, *self._keyed_arrays(), consts,
                table.flat(), facil_rows, rec_rows, np.full(self.size, -1, np.int64),
                np.zeros(1, np.int64)), k_stop

    def stretch_finish(self, arrays):
        """Nothing to hand back (the changed fields are the projection's own); (0, False)."""
        return 0, False

    def _p_sel(self, name, idx, mask):
        value = self._p(name, idx)
        return value if np.ndim(value) == 0 else value[mask]


# --- spike-timing-dependent plasticity ----------------------------------------------


class _PendingPotentiation:
    """Post events recorded for synapses whose weight has not taken them yet.

    Chunks ``(synapses, terms)`` in arrival order, one per arrival instant (a
    synapse appears at most once per chunk). :meth:`take` removes the entries
    of given synapses and yields them in rounds: round r holds the r-th pending
    event of every synapse that has one.
    """

    def __init__(self):
        self.chunks = []

    def append(self, idx, terms):
        self.chunks.append((idx, terms))

    def _flat(self):
        if len(self.chunks) > 1:
            syn = np.concatenate([c[0] for c in self.chunks])
            terms = tuple(np.concatenate([np.broadcast_to(c[1][i], c[0].shape)
                                          for c in self.chunks])
                          for i in range(len(self.chunks[0][1])))
            self.chunks = [(syn, terms)]
        return self.chunks[0]

    def take_flat(self, idx, n_synapses):
        """Remove the entries of synapses ``idx``; return them as ``(synapses, terms)``.

        In arrival order (a synapse's entries in the order its events came).
        """
        if not self.chunks:
            return np.zeros(0, np.int64), ()
        syn, terms = self._flat()
        wanted = np.zeros(n_synapses, bool)
        wanted[idx] = True
        hit = wanted[syn]
        keep = ~hit
        self.chunks = [(syn[keep], tuple(t[keep] for t in terms))] if keep.any() else []
        return syn[hit], tuple(t[hit] for t in terms)

    def take(self, idx, n_synapses):
        if not self.chunks:
            return []
        syn, terms = self._flat()
        wanted = np.zeros(n_synapses, bool)
        wanted[idx] = True
        hit = wanted[syn]
        rows = np.flatnonzero(hit)
        keep = ~hit
        self.chunks = [(syn[keep], tuple(t[keep] for t in terms))] if keep.any() else []
        if rows.size == 0:
            return []
        s = syn[rows]
        order = np.argsort(s, kind="stable")      # by synapse, arrival order within one
        s_sorted = s[order]
        first = np.concatenate([[True], s_sorted[1:] != s_sorted[:-1]])
        starts = np.flatnonzero(first)
        rank_sorted = np.arange(s_sorted.size) - np.repeat(starts, np.diff(
            np.append(starts, s_sorted.size)))
        rank = np.empty_like(rank_sorted)
        rank[order] = rank_sorted
        out = []
        for r in range(int(rank.max()) + 1):
            at = rows[rank == r]
            out.append((syn[at], tuple(t[at] for t in terms)))
        return out


class PairTraceRule(PlasticSynapses):
    """All-to-all pair rules with per-synapse pre and post traces and NEST's timing.

    Subclasses give ``pre_tau``/``post_tau`` (names of the trace time constants)
    and implement :meth:`_potentiate` (post event, with the pre trace) and
    :meth:`_depress` (pre event, with the post trace).
    """

    pre_tau = post_tau = None
    #: nearest-spike pairing: a spike sets its trace to 1 instead of adding 1
    nearest = False
    #: which tuple of a compiled stretch holds it (:mod:`.kernels.plasticity`)
    stretch_kind = "pair"
    #: the compiled log of pending post events and whether they are there (see
    #: :meth:`_log_take`; per object once a kernel has run)
    _log = None
    _log_live = False

    def _grow(self, n):
        def grow(name, dtype):
            setattr(self, name, np.concatenate([getattr(self, name, np.zeros(0, dtype)),
                                                np.zeros(n, dtype)]))
        grow("_k_pre", float)      # pre trace just after the last pre spike (_t_last)
        grow("_k_post", float)     # post trace just after the last post event
        grow("_t_post", np.int64)  # arrival stamp of that event
        grow("_n_pending", np.int64)  # post events not yet applied to the weight
        grow("_pend_acc", float)      # their sum or product (see _pending_mode)
        if getattr(self, "_log", None) is not None:     # new synapses: empty logs
            head, tail, *rest = self._log
            self._log = (np.concatenate([head, np.full(n, -1, np.int64)]),
                         np.concatenate([tail, np.full(n, -1, np.int64)]), *rest)
        if not hasattr(self, "_heap"):
            self._delays = np.zeros(0, np.int64)
            self._reset_internal()

    def _reset_internal(self):
        self._k_pre[:] = 0.0
        self._k_post[:] = 0.0
        self._t_post[:] = 0
        self._n_pending[:] = 0
        self._pend_acc[:] = 0.0
        self._pmode = None
        self._deferred = _PendingPotentiation()
        self._heap = []            # (arrival stamp, serial, delay index, post global ids)
        self._history = []         # (stamp, post global ids) of recent post spikes
        self._serial = 0
        self._done_until = 0       # post events arriving up to here have been processed
        self._arrived_now = None
        self._log = None           # the compiled log of pending post events (_log_take)
        self._log_live = False     # whether they are there (not in _deferred)

    def compile(self, n_ids, input_position, row_size, n_slots):
        super().compile(n_ids, input_position, row_size, n_slots)
        posts, post_local = np.unique(self.post, return_inverse=True)
        self._post_lookup = np.full(n_ids, -1, np.int64)
        self._post_lookup[posts] = np.arange(posts.size)
        self._is_post = self._post_lookup >= 0
        delays, delay_index = np.unique(self.delay_steps, return_inverse=True)
        n_post = posts.size
        column = delay_index * n_post + post_local
        self._by_post = np.argsort(column, kind="stable")
        self._post_indptr = np.zeros(delays.size * n_post + 1, np.int64)
        np.cumsum(np.bincount(column, minlength=delays.size * n_post),
                  out=self._post_indptr[1:])
        self._n_post = n_post
        self._post_ids = posts
        self._history_span = n_slots  # > any delay
        # post spikes in flight are queued again for the (possibly new) delays and columns
        self._delays = delays
        self._heap = []
        for stamp, post_ids in self._history:
            self._queue(stamp, post_ids)

    def _queue(self, stamp, post_ids):
        for u, d in enumerate(self._delays.tolist()):
            if stamp + d > self._done_until:
                heapq.heappush(self._heap, (stamp + d, self._serial, u, post_ids))
                self._serial += 1

    def _apply_arrivals(self, upto):
        """Apply post events arriving at stamps <= ``upto`` in time order.

        Returns the synapses whose event arrived exactly at ``upto``: their post
        trace is bumped only after the presynaptic spikes of that instant.
        """
        heap = self._heap
        at_upto = None
        while heap and heap[0][0] <= upto:
            arrival = heap[0][0]
            columns = []
            while heap and heap[0][0] == arrival:
                _, _, u, post_ids = heapq.heappop(heap)
                columns.append(u * self._n_post + self._post_lookup[post_ids])
            columns = columns[0] if len(columns) == 1 else np.concatenate(columns)
            idx = self._by_post[_gather_rows(self._post_indptr, columns)]
            if idx.size == 0:
                continue
            k_pre = self._fmul(self._k_pre[idx], self._decay(
                arrival - self._t_last[idx], self.pre_tau, idx))
            # the weight changes only at the synapse's next presynaptic spike (NEST);
            # what that change needs from this instant is recorded now
            self._record_pending(idx, self._potentiation_terms(idx, k_pre, arrival), arrival)
            if arrival < upto:
                self._bump_post(idx, arrival)
            else:
                at_upto = idx
        self._done_until = max(self._done_until, upto)
        return at_upto

    def _bump_post(self, idx, stamp):
        if self.nearest:
            self._k_post[idx] = 1.0
        else:
            self._k_post[idx] = self._fmul(self._k_post[idx], self._decay(
                stamp - self._t_post[idx], self.post_tau, idx)) + 1.0
        self._t_post[idx] = stamp

    def deliver(self, spiking_ids, k, ring_flat):
        stamp = k + 1
        at_now = self._apply_arrivals(stamp) if self._heap else None
        self._arrived_now = at_now       # post events arriving with this step's pre spikes
        super().deliver(spiking_ids, k, ring_flat)
        self._arrived_now = None
        if at_now is not None:
            self._bump_post(at_now, stamp)
        self._remember_posts(spiking_ids, stamp)

    def _remember_posts(self, spiking_ids, stamp):
        """Queue the post events of the targets among ``spiking_ids`` (spikes of ``stamp``)."""
        post_ids = spiking_ids[self._is_post[spiking_ids]]
        if post_ids.size:
            self._history.append((stamp, post_ids))
            self._queue(stamp, post_ids)
            # forget the spikes whose events have all arrived: a prefix (stamps ascend)
            history, oldest = self._history, self._done_until - self._history_span
            if history[0][0] < oldest:
                drop = 1
                while drop < len(history) and history[drop][0] < oldest:
                    drop += 1
                del history[:drop]

    def _potentiation_terms(self, idx, k_pre, arrival):
        """What a post event arriving at ``arrival`` contributes (applied at the next pre spike)."""
        return (k_pre,)

    def _decay(self, steps, tau_name, idx):
        """exp(-steps dt / tau): how much of a trace is left ``steps`` steps later."""
        return np.exp(-steps * (self.dt / self._p(tau_name, idx)))

    @staticmethod
    def _fmul(a, b):
        """Product of two trace values (exact; sPyNNaker's rules may round it)."""
        return a * b

    # How pending post events are kept until the next pre spike. Where the rule's
    # potentiations compose (each adds an amount that does not depend on the weight,
    # clipped at the top: "sum"; or scales the distance to the top: "product"), one
    # number per synapse is kept and applied at once, which equals applying them one
    # by one (up to rounding). Otherwise ("log") the events are kept and replayed in
    # order.

    def _pending_mode(self):
        """"sum", "product" or "log" (see above); rules override."""
        return "log"

    def _increment(self, idx, *terms):
        """"sum" mode: the amount one post event adds (>= 0)."""
        raise NotImplementedError

    def _apply_sum(self, idx, total):
        raise NotImplementedError

    def _factor(self, idx, *terms):
        """"product" mode: the factor one post event scales the distance to the top by."""
        raise NotImplementedError

    def _apply_product(self, idx, product):
        raise NotImplementedError

    def start_run(self, dt):
        super().start_run(dt)
        if self._pmode is None or not self._n_pending.any():
            self._pmode = self._pending_mode()
            self._pend_acc[:] = 1.0 if self._pmode == "product" else 0.0

    def _record_pending(self, idx, terms, arrival=None):
        """Keep what the post events arriving at ``arrival`` will add, for synapses ``idx``."""
        mode = self._pmode
        if mode == "sum":
            self._pend_acc[idx] += self._increment(idx, *terms)
        elif mode == "product":
            self._pend_acc[idx] *= self._factor(idx, *terms)
        else:
            if self._log_live:
                self._log_give()
            self._deferred.append(idx, terms)
        self._n_pending[idx] += 1

    def _apply_pending(self, idx):
        """Apply, in arrival order, the post events recorded for synapses ``idx``.

        A synapse's events are applied one after the other (the weight
        dependence may make each step depend on the weight the previous one left);
        the events of different synapses are independent, so each round applies
        the r-th pending event of every synapse at once.
        """
        idx = idx[self._n_pending[idx] > 0]
        if idx.size == 0:
            return
        mode = self._pmode
        if mode == "sum":
            self._apply_sum(idx, self._pend_acc[idx])
            self._pend_acc[idx] = 0.0
        elif mode == "product":
            self._apply_product(idx, self._pend_acc[idx])
            self._pend_acc[idx] = 1.0
        else:
            if self._log_live:
                self._log_give()
            for syn, terms in self._deferred.take(idx, self._n_pending.size):
                self._potentiate(syn, *terms)
        self._n_pending[idx] = 0

    def _on_pre(self, idx, stamp):
        self._apply_pending(idx)
        k_post = self._fmul(self._k_post[idx], self._decay(
            stamp - self._t_post[idx], self.post_tau, idx))
        w = self._depress(idx, k_post)
        if self.nearest:
            self._k_pre[idx] = 1.0
        else:
            self._k_pre[idx] = self._fmul(self._k_pre[idx], self._decay(
                stamp - self._t_last[idx], self.pre_tau, idx)) + 1.0
        self._t_last[idx] = stamp
        return idx, w

    def kernel_rule(self):
        """(rule code of :mod:`.kernels.plasticity`, ``modes`` (how mu_plus and mu_minus
        apply, :func:`~.kernels.plasticity.pair_deliver`), the names of the pre and post
        traces' time constants, the six per-synapse parameter arrays
        :func:`~.kernels.plasticity.pair_deliver` reads), or None where this rule has no
        compiled version (the default)."""
        return None

    #: the pending mode (:meth:`_pending_mode`) each compiled rule keeps its events in
    _KERNEL_PENDING = {rules.STDP_SUM: "sum", rules.STDP_PRODUCT: "product",
                       rules.VOGELS: "sum", rules.STDP_LOG: "log"}
    #: distinct values of a trace's time constant the kernels take (one decay table
    #: each); a projection with more runs on NumPy
    MAX_TAU_CLASSES = 16
    #: entries the compiled log of pending post events starts with (it grows)
    LOG_MIN = 1024

    def _kernel_setup(self):
        """(rule code, modes, the parameter arrays, (pre table, pre classes), (post table,
        post classes)) where a kernel can deliver for this projection, else None."""
        rule = self.kernel_rule() if "deliver" not in vars(self) and self.size else None
        if rule is None:
            return None
        code, modes, pre_tau, post_tau, params = rule
        if self._pmode != self._KERNEL_PENDING[code]:
            return None
        pre = self._pair_tables(pre_tau)
        post = self._pair_tables(post_tau)
        if pre is None or post is None:
            return None
        return code, modes, params, pre, post

    def compiled_deliver(self, kernels):
        """:func:`.kernels.plasticity.pair_deliver` where the rule has a compiled version
        (:meth:`kernel_rule`, at most ``MAX_TAU_CLASSES`` distinct values of each trace's
        time constant; else None: NumPy). The queue of post events stays this object's
        (popped here, handed over as arrays); the Gutig rule's pending post events move
        into the compiled log (:meth:`_log_take`)."""
        setup = self._kernel_setup()
        if setup is None:
            return self._listed_deliver(kernels)
        code, modes, params, (pre, pre_cls), (post, post_cls) = setup
        kernel = kernels.pair_deliver
        fixed = (self._indptr, self._by_pre, self._keys)
        index = (self._post_indptr, self._by_post)
        arrays = (self.weight, *params, code, modes, self._k_pre, self._k_post,
                  self._t_last, self._t_post, self._n_pending, self._pend_acc)
        scratch = (np.full(self.size, -1, np.int64), np.zeros(1, np.int64),
                   np.empty(self.size, np.int64))
        n_slots, row_size, numpy_deliver = self._n_slots, self._row_size, self.deliver
        logged = code == rules.STDP_LOG
        no_log = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                  np.zeros(0), np.zeros(2, np.int64))

        def deliver(spiking_ids, k, ring_flat):
            stamp = k + 1
            heap = self._heap
            popped, events = self._pop_arrivals(stamp)
            offset = ((k + 1) % n_slots) * row_size
            while True:
                log = self._log_take() if logged else no_log
                pre_flat, post_flat = pre.flat(), post.flat()
                need = kernel(spiking_ids, stamp, *fixed, offset, ring_flat, *events, *index,
                              *arrays, pre_flat, pre_cls, pre.values[0].size, pre.saturated,
                              post_flat, post_cls, post.values[0].size, post.saturated,
                              *log, *scratch, None)
                if need == 0:
                    break
                if need < 0:                # the log's free entries: more
                    self._log_grow(-need)
                    continue
                if not (pre.grow(need) and post.grow(need)):
                    # an interval beyond the tables: this step in NumPy, queue as it was
                    for entry in popped:
                        heapq.heappush(heap, entry)
                    numpy_deliver(spiking_ids, k, ring_flat)
                    return
            if heap or popped:      # as _apply_arrivals (called where the queue is not empty)
                self._done_until = max(self._done_until, stamp)
            self._remember_posts(spiking_ids, stamp)
        return deliver

    def _listed_deliver(self, kernels):
        """:meth:`compiled_deliver` where a trace's time constant has more distinct values
        than a table has rows (e.g. drawn from a continuous distribution): per call, a
        first kernel lists the exponents of every decay the second reads
        (:func:`.kernels.plasticity.pair_exponents`), NumPy takes their exp (as
        :meth:`_decay`), :func:`.kernels.plasticity.pair_deliver` reads them in
        turn (its ``decay_cursor``). None
        where the rule has no compiled version."""
        rule = self.kernel_rule() if "deliver" not in vars(self) and self.size else None
        if rule is None:
            return None
        code, modes, pre_tau, post_tau, params = rule
        if self._pmode != self._KERNEL_PENDING[code]:
            return None
        exponents, kernel = kernels.pair_exponents, kernels.pair_deliver
        # dt/tau per synapse, as _decay evaluates it
        pre_rate, post_rate = (np.ascontiguousarray(self.dt / self.params[name], np.float64)
                               for name in (pre_tau, post_tau))
        fixed = (self._indptr, self._by_pre, self._keys)
        index = (self._post_indptr, self._by_post)
        arrays = (self.weight, *params, code, modes, self._k_pre, self._k_post,
                  self._t_last, self._t_post, self._n_pending, self._pend_acc)
        mark, epoch = np.full(self.size, -1, np.int64), np.zeros(1, np.int64)
        at_now = np.empty(self.size, np.int64)
        t_now, seen = np.zeros(self.size, np.int64), np.full(self.size, -1, np.int64)
        # (no table rows: the listed decays stand for both tables, ``cursor`` for their
        # classes and the decay cursor, its first entry counting them; see pair_deliver)
        out, cursor = [np.zeros(max(2 * self.size, 2))], np.zeros(1, np.int64)
        n_slots, row_size = self._n_slots, self._row_size
        logged = code == rules.STDP_LOG
        no_log = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                  np.zeros(0), np.zeros(2, np.int64))

        def deliver(spiking_ids, k, ring_flat):
            stamp = k + 1
            heap = self._heap
            popped, events = self._pop_arrivals(stamp)
            while True:
                n = exponents(spiking_ids, stamp, *fixed[:2], *events, *index, self._t_last,
                              self._t_post, pre_rate, post_rate, mark, epoch, t_now, seen,
                              at_now, out[0])
                if n >= 0:
                    break
                out[0] = np.zeros(2 * out[0].size)
            listed = np.exp(out[0][:n])
            offset = ((k + 1) % n_slots) * row_size
            while True:
                log = self._log_take() if logged else no_log
                cursor[0] = 0
                need = kernel(spiking_ids, stamp, *fixed, offset, ring_flat, *events, *index,
                              *arrays, listed, cursor, 0, True, listed, cursor, 0, True,
                              *log, mark, epoch, at_now, cursor)
                if need >= 0:       # (0: no table to grow)
                    break
                self._log_grow(-need)       # the log's free entries: more
            if heap or popped:      # as _apply_arrivals (called where the queue is not empty)
                self._done_until = max(self._done_until, stamp)
            self._remember_posts(spiking_ids, stamp)
        return deliver

    _NO_EVENTS = (np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0, np.int64))

    def _pop_arrivals(self, stamp):
        """(popped, events): the queue's entries arriving up to ``stamp``, popped from the
        heap, and as a kernel takes them: (arrival stamps in time order, bounds, columns
        (delay, post neuron) of arrival i in ``columns[bounds[i]:bounds[i + 1]]``)."""
        heap = self._heap
        popped = []
        while heap and heap[0][0] <= stamp:
            popped.append(heapq.heappop(heap))
        if not popped:
            return popped, self._NO_EVENTS
        n_post, lookup = self._n_post, self._post_lookup
        arrivals, bounds, columns = [], [0], []
        for arrival, _, u, post_ids in popped:
            if not arrivals or arrivals[-1] != arrival:
                arrivals.append(arrival)
                bounds.append(bounds[-1])
            columns.append(u * n_post + lookup[post_ids])
            bounds[-1] += columns[-1].size
        return popped, (np.array(arrivals, np.int64), np.array(bounds, np.int64),
                        columns[0] if len(columns) == 1 else np.concatenate(columns))

    # --- the compiled log of pending post events (STDP_LOG: the Gutig rule) -----------
    #
    # Where the weight dependence keeps each pending post event (``_pending_mode`` "log"),
    # the NumPy rule keeps them in ``_deferred``; the kernels keep them in a log of
    # arrays (``_log``: per synapse its first and last entry, per entry the next one and
    # the pre trace, the first free entry and the free count; see
    # kernels/plasticity.py's pair_deliver). They move there at the first compiled
    # delivery (:meth:`_log_take`) and back at the first NumPy use (:meth:`_log_give`),
    # each synapse's events in their order.

    def _log_take(self):
        """The compiled log, the pending events moved into it from ``_deferred``."""
        if self._log_live:
            return self._log
        syn, k = np.zeros(0, np.int64), np.zeros(0)
        if self._deferred.chunks:
            syn, terms = self._deferred._flat()
            k = np.broadcast_to(terms[0], syn.shape)
            self._deferred = _PendingPotentiation()
        n, size = syn.size, self.size
        capacity = max(self.LOG_MIN, 2 * n)
        order = np.argsort(syn, kind="stable")
        ranked = syn[order]
        following = np.arange(1, capacity + 1, dtype=np.int64)
        following[-1] = -1
        if n:
            last = np.append(ranked[1:] != ranked[:-1], True)
            following[:n][last] = -1
        head, tail = np.full(size, -1, np.int64), np.full(size, -1, np.int64)
        if n:
            firsts = np.flatnonzero(np.append(True, ranked[1:] != ranked[:-1]))
            head[ranked[firsts]] = firsts
            tail[ranked[last]] = np.flatnonzero(last)
        log_k = np.zeros(capacity)
        log_k[:n] = k[order]
        free = np.array([n if n < capacity else -1, capacity - n], np.int64)
        self._log = (head, tail, following, log_k, free)
        self._log_live = True
        return self._log

    def _log_grow(self, needed):
        """At least ``needed`` free entries in the compiled log (a larger one)."""
        head, tail, following, log_k, free = self._log
        capacity = following.size
        if free[1] >= needed:
            return
        larger = max(2 * capacity, capacity - int(free[1]) + needed, self.LOG_MIN)
        added = np.arange(capacity + 1, larger + 1, dtype=np.int64)
        added[-1] = free[0]                 # the new entries, then the free ones
        following = np.concatenate([following, added])
        log_k = np.concatenate([log_k, np.zeros(larger - capacity)])
        free = np.array([capacity, free[1] + larger - capacity], np.int64)
        self._log = (head, tail, following, log_k, free)

    def _log_give(self):
        """The compiled log's pending events back into ``_deferred`` (the NumPy rule's)."""
        head, tail, following, log_k, free = self._log
        n = following.size - int(free[1])
        syn, k = np.zeros(n, np.int64), np.zeros(n)
        n = rules.pair_log_export(head, tail, following, log_k, free, syn, k)
        self._deferred = _PendingPotentiation()
        if n:
            self._deferred.append(syn[:n], (k[:n],))
        self._log_live = False

    # --- inside compiled stretches (engine/stretch.py) --------------------------------

    def stretch_ready(self):
        """Whether a compiled stretch can deliver this projection's spikes
        (:func:`.kernels.plasticity.pair_deliver_queued`): the rule has a compiled version
        (as :meth:`compiled_deliver`), every delay is a step at least (a spike's post
        events arrive after it), and the history holds each stamp once."""
        setup = self._kernel_setup()
        if setup is None:
            return False
        params = setup[2]
        stamps = np.array([stamp for stamp, _ in self._history], np.int64)
        return (self._delays.size > 0 and self._delays[0] >= 1
                and bool(np.all(np.diff(stamps) > 0))
                and kernel_ready(self._indptr, self._by_pre, self._keys, self._post_indptr,
                                 self._by_post, self._post_lookup, self._delays, self.weight,
                                 *params, self._k_pre, self._k_post, self._t_last,
                                 self._t_post, self._n_pending, self._pend_acc))

    def stretch_arrays(self, k_stop, capacity=0):
        """(arrays, k_stop): this projection as a compiled stretch up to ``k_stop`` takes
        it (see :mod:`.kernels.plasticity`): its own arrays (updated in place), the queue
        of post events as arrays (from the heap and the history; at least ``capacity``
        spikes), and the decay tables grown to cover the stretch (``k_stop`` lowered where
        they cannot, see :func:`cover_intervals`). After the stretch,
        :meth:`stretch_finish` turns the queue back. Only where :meth:`stretch_ready`."""
        code, modes, params, (pre, pre_cls), (post, post_cls) = self._kernel_setup()
        earliest = min(int(self._t_last.min()), int(self._t_post.min()))
        k_stop = cover_intervals((pre, post), earliest, k_stop)
        queue, cursor, qs = self._stretch_queue(capacity)
        if code == rules.STDP_LOG:
            log_head, log_tail, log_next, log_k, free = self._log_take()
        else:
            log_head = log_tail = log_next = np.zeros(0, np.int64)
            log_k, free = np.zeros(0), np.zeros(2, np.int64)
        qs[rules.Q_RULE] = code
        qs[rules.Q_MODES] = modes
        qs[rules.Q_PRE_SAT] = pre.saturated
        qs[rules.Q_POST_SAT] = post.saturated
        qs[rules.Q_LOG_FREE:rules.Q_LOG_N_FREE + 1] = free
        qs[rules.Q_PRE_LEN] = pre.values[0].size
        qs[rules.Q_POST_LEN] = post.values[0].size
        w_min, w_max, amp_plus, amp_minus, mu_plus, mu_minus = params
        arrays = (self._indptr, self._by_pre, self._keys, self._post_indptr, self._by_post,
                  self._post_lookup, self._delays, self.weight, w_min, w_max, amp_plus,
                  amp_minus, self._k_pre, self._k_post, self._t_last, self._t_post,
                  self._n_pending, self._pend_acc, pre.flat(), post.flat(),
                  np.full(self.size, -1, np.int64), np.zeros(1, np.int64),
                  np.zeros(self.size, np.int64), *queue, cursor, qs,
                  mu_plus, mu_minus, pre_cls, post_cls, log_head, log_tail, log_next, log_k)
        return arrays, k_stop

    def _stretch_queue(self, capacity):
        """The queue of post events as a stretch's arrays (see
        :mod:`.kernels.plasticity`): ([stamps, columns, serials] of the history's post
        spikes in time order, at least ``capacity`` of them held; the heap's serial of
        each spike's first delay), per delay the first spike whose event has not
        arrived, and ``qs`` with the queue's counters set (the rule's fields left 0).
        :meth:`_stretch_queue_back` turns them back into the heap and the history."""
        # the history's post spikes, flat, in time order; the heap's serials by stamp
        n_post, delays = self._n_post, self._delays
        stamps = np.array([stamp for stamp, ids in self._history for _ in range(ids.size)],
                          np.int64)
        columns = (self._post_lookup[np.concatenate([ids for _, ids in self._history])]
                   if self._history else np.zeros(0, np.int64))
        first_serial = {arrival - int(delays[u]): serial - u
                        for arrival, serial, u, _ in self._heap}
        serials = np.array([first_serial.get(int(stamp), -1) for stamp in stamps], np.int64)
        n = stamps.size
        size = max(capacity, 2 * (n + n_post), STRETCH_QUEUE_MIN)
        queue = [np.zeros(size, np.int64) for _ in range(3)]
        for array, values in zip(queue, (stamps, columns, serials)):
            array[:n] = values
        # per delay, the first spike whose event has not arrived (_queue's condition)
        cursor = np.searchsorted(stamps, self._done_until - delays, side="right").astype(
            np.int64)
        qs = np.zeros(rules.Q_SIZE, np.int64)
        qs[rules.Q_TAIL] = n
        qs[rules.Q_DONE] = self._done_until
        qs[rules.Q_SERIAL] = self._serial
        qs[rules.Q_SPAN] = self._history_span
        qs[rules.Q_N_POST] = n_post
        return queue, cursor, qs

    def stretch_finish(self, arrays):
        """The queue of a stretch's ``arrays`` back into the heap and the history (the same
        entries, serials and order of arrival as the step loop's); the number of spikes it
        held, and whether it was full (then :meth:`stretch_arrays` with a larger capacity).
        The log (Gutig) takes back its free entries' count, and grows where it was full."""
        q_stamp, q_post, q_serial, cursor, qs = arrays[23:28]
        if qs[rules.Q_RULE] == rules.STDP_LOG:
            self._log[4][:] = qs[rules.Q_LOG_FREE:rules.Q_LOG_N_FREE + 1]
            if qs[rules.Q_FULL] == 2:
                self._log_grow(max(self._log[2].size, self.size))
        return self._stretch_queue_back(q_stamp, q_post, q_serial, cursor, qs)

    def _stretch_queue_back(self, q_stamp, q_post, q_serial, cursor, qs):
        """The queue of :meth:`_stretch_queue` back into the heap and the history; the
        number of spikes it held, and whether it was full (``Q_FULL`` 1)."""
        head, tail = int(qs[rules.Q_HEAD]), int(qs[rules.Q_TAIL])
        at = np.arange(head, tail) % q_stamp.size
        stamps, columns, serials = q_stamp[at], q_post[at], q_serial[at]
        starts = np.flatnonzero(np.concatenate([[True], stamps[1:] != stamps[:-1]])
                                [:stamps.size])
        ends = np.append(starts[1:], stamps.size)
        self._history = [(int(stamps[a]), self._post_ids[columns[a:b]])
                         for a, b in zip(starts, ends)]
        heap = []
        for u, d in enumerate(self._delays.tolist()):
            first = int(cursor[u]) - head       # (whole stamps: one arrival per delay)
            for (stamp, ids), a in zip(self._history, starts.tolist()):
                if a >= first:
                    heap.append((stamp + d, int(serials[a]) + u, u, ids))
        heapq.heapify(heap)
        self._heap = heap
        self._done_until = int(qs[rules.Q_DONE])
        self._serial = int(qs[rules.Q_SERIAL])
        return tail - head, bool(qs[rules.Q_FULL] == 1)

    def _pair_tables(self, tau_name):
        """(decay table, row of each synapse) of a trace whose time constant is the
        parameter ``tau_name`` (PairTraceRule._decay's expression, one row per distinct
        value), the table kept while dt and the values stay; None where they are more
        than ``MAX_TAU_CLASSES``."""
        dt = self.dt
        scalar = self._scalar[tau_name]
        if scalar is not None:
            taus, rows = (scalar,), np.zeros(self.size, np.int64)
        else:
            values = self.params[tau_name]
            distinct = np.unique(values)
            if distinct.size > self.MAX_TAU_CLASSES:
                return None
            taus = tuple(distinct.tolist())
            rows = np.searchsorted(distinct, values).astype(np.int64)
        tables = self.__dict__.setdefault("_decay_tables", {})
        key = (dt, taus)
        if key not in tables:
            rates = [dt / tau for tau in taus]
            tables[key] = DecayTables(tuple((lambda d, c=c: -d * c) for c in rates), rates)
        return tables[key], rows

    def wrong_side(self):
        """(weight, w_min, w_max) of a synapse whose weight lies beyond w_min, away from w_max.

        The rules move weights between w_min and w_max; a weight on the other side
        of w_min (a negative weight with w_min = 0 < w_max, as on current-based
        inhibitory synapses) would be pushed across w_min and change sign. NEST
        refuses such synapses ("Weight and Wmax must have same sign"). None if all
        weights are fine.
        """
        self.consolidate()
        if self.weight.size == 0:
            return None
        w_min, w_max = self.params["w_min"], self.params["w_max"]
        beyond = (self.weight - w_min) * np.sign(w_max - w_min) < -1e-12 * np.abs(w_max - w_min)
        if not beyond.any():
            return None
        i = int(np.flatnonzero(beyond)[0])
        return float(self.weight[i]), float(w_min[i]), float(w_max[i])

    def _potentiate(self, idx, k_pre):
        raise NotImplementedError

    def _depress(self, idx, k_post):
        raise NotImplementedError


class STDP(PairTraceRule):
    """STDPMechanism(SpikePairRule, <weight dependence>) as NEST's stdp_synapse.

    The weight dependence is given by the exponents mu_plus/mu_minus
    (additive 0/0, multiplicative 1/1, additive potentiation with
    multiplicative depression 0/1, Gutig: its own).
    """

    parameter_names = ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max",
                       "mu_plus", "mu_minus")
    pre_tau, post_tau = "tau_plus", "tau_minus"

    def _normalised(self, idx):
        w_min = self._p("w_min", idx)
        span = self._p("w_max", idx) - w_min
        return (self.weight[idx] - w_min) / span, w_min, span

    def _power(self, base, name, idx):
        mu = self._scalar[name]
        if mu == 0.0:
            return 1.0
        if mu == 1.0:
            return base
        return np.power(base, self._p(name, idx))

    def _potentiate(self, idx, k_pre):
        x, w_min, span = self._normalised(idx)
        x += self._p("A_plus", idx) * self._power(np.maximum(1.0 - x, 0.0), "mu_plus", idx) * k_pre
        np.minimum(x, 1.0, out=x)
        self.weight[idx] = w = w_min + x * span
        return w

    def _pending_mode(self):
        mu = self._scalar.get("mu_plus")
        if mu == 0.0:
            return "sum"              # x += A_plus K, clipped at 1
        if mu == 1.0:
            return "product"          # 1 - x scaled by 1 - A_plus K (at least 0)
        return "log"

    def _increment(self, idx, k_pre):
        return self._p("A_plus", idx) * k_pre

    def _apply_sum(self, idx, total):
        x, w_min, span = self._normalised(idx)
        x = np.minimum(x + total, 1.0)
        self.weight[idx] = w_min + x * span

    def _factor(self, idx, k_pre):
        return np.maximum(1.0 - self._p("A_plus", idx) * k_pre, 0.0)

    def _apply_product(self, idx, product):
        x, w_min, span = self._normalised(idx)
        x = np.minimum(1.0 - np.maximum(1.0 - x, 0.0) * product, 1.0)
        self.weight[idx] = w_min + x * span

    def _depress(self, idx, k_post):
        x, w_min, span = self._normalised(idx)
        x -= self._p("A_minus", idx) * self._power(np.maximum(x, 0.0), "mu_minus", idx) * k_post
        np.maximum(x, 0.0, out=x)
        self.weight[idx] = w = w_min + x * span
        return w


    def kernel_rule(self):
        """The compiled rule (:func:`.kernels.plasticity.pair_deliver`): pending
        potentiations summed (mu_plus 0), multiplied (mu_plus 1) or logged (any other
        mu_plus, or mu_plus differing between synapses: the Gutig weight dependence);
        any mu_minus (0, 1, else the C library's pow where the reference calls np.power:
        a weight may differ from the NumPy engine's in the last bits, see
        kernels/plasticity.py)."""
        if type(self) is not STDP:
            return None
        sc = self._scalar
        mu_plus, mu_minus = sc["mu_plus"], sc["mu_minus"]
        rule = {0.0: rules.STDP_SUM, 1.0: rules.STDP_PRODUCT}.get(mu_plus, rules.STDP_LOG)
        modes = 3 * _power_mode(mu_plus) + _power_mode(mu_minus)
        p = self.params
        return (rule, modes, "tau_plus", "tau_minus",
                (p["w_min"], p["w_max"], p["A_plus"], p["A_minus"], p["mu_plus"],
                 p["mu_minus"]))


def _power_mode(mu):
    """How STDP._power applies an exponent: 0 (mu 0 for every synapse: 1.0), 1 (mu 1:
    the base), 2 (np.power)."""
    return {0.0: 0, 1.0: 1}.get(mu, 2)


class VogelsSprekeler(PairTraceRule):
    """STDPMechanism(Vogels2011Rule, AdditiveWeightDependence) as NEST's vogels_sprekeler_synapse.

    Works on the distance from w_min towards w_max, so a negative w_max (weights
    of current-based inhibitory synapses) strengthens by making w more negative,
    as NEST does with the sign of Wmax.
    """

    parameter_names = ("tau", "eta", "rho", "w_min", "w_max")
    pre_tau = post_tau = "tau"

    def _distance(self, idx):
        w_min = self._p("w_min", idx)
        span = self._p("w_max", idx) - w_min
        sign = np.where(span < 0, -1.0, 1.0)
        return sign * (self.weight[idx] - w_min), w_min, sign, np.abs(span)

    def _potentiate(self, idx, k_pre):
        d, w_min, sign, span = self._distance(idx)
        d = np.minimum(d + self._p("eta", idx) * k_pre, span)
        self.weight[idx] = w = w_min + sign * d
        return w

    def _pending_mode(self):
        return "sum"                  # d += eta K, clipped at the span

    def _increment(self, idx, k_pre):
        return self._p("eta", idx) * k_pre

    def _apply_sum(self, idx, total):
        d, w_min, sign, span = self._distance(idx)
        self.weight[idx] = w_min + sign * np.minimum(d + total, span)

    def _depress(self, idx, k_post):
        d, w_min, sign, span = self._distance(idx)
        eta = self._p("eta", idx)
        d = np.minimum(d + eta * k_post, span)
        alpha = 2e-3 * self._p("rho", idx) * self._p("tau", idx)   # rho in Hz, tau in ms
        d = np.maximum(d - alpha * eta, 0.0)
        self.weight[idx] = w = w_min + sign * d
        return w

    def kernel_rule(self):
        """The compiled rule (:func:`.kernels.plasticity.pair_deliver`) (tau may differ
        between synapses: one decay table per distinct value, see :meth:`_pair_tables`)."""
        if type(self) is not VogelsSprekeler:
            return None
        p = self.params
        alpha = 2e-3 * self._p("rho", slice(None)) * self._p("tau", slice(None))
        alpha = np.array(np.broadcast_to(alpha, p["eta"].shape))
        unused = np.zeros(0)            # (the exponents: STDP's only)
        return (rules.VOGELS, 0, "tau", "tau", (p["w_min"], p["w_max"], p["eta"], alpha,
                                                  unused, unused))
