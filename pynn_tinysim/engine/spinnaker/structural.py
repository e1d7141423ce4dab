"""sPyNNaker 7.4's structural plasticity (synaptogenesis), for the ``pyNN.tinysim.spinnaker`` flavour.

What the board does (``topographic_map_impl.c``, ``sp_structs.h`` and the rule
headers under ``neural_modelling/src/neuron/structural_plasticity/``), and how
it is emulated here:

- Each target Population has a *post-to-pre table*: ``s_max`` slots per
  neuron, each empty or naming one presynaptic neuron of one structural
  projection (initial connections fill a neuron's last slots, as sPyNNaker
  pads the table at the front). All structural projections into one
  Population share it (:class:`Rewiring`, one per target Population).
- Rewiring attempts per time step (``synaptogenesis_n_updates``): with
  ``f_rew`` faster than one per step (``1/f_rew < dt``), ``int(dt_us /
  (1e6/f_rew))`` attempts every step; else one every ``int((1e6/f_rew) /
  dt_us)`` steps. They happen at the start of the step, before the neurons
  are updated and that step's spikes are delivered. The count is per target
  Population, not per core: every core of a Population draws the same neuron
  from a seed they share, and only the core holding it goes on.
- An attempt draws a postsynaptic neuron (``rand_int(n_post)``) and one of its
  slots (``rand_int(s_max)``). An occupied slot is a candidate for
  *elimination* (``RandomByWeightElimination``: a raw 32-bit draw ``r``; the
  synapse goes if ``r <= int(p * 0xFFFFFFFF)``, with p = prob_elim_depressed
  when its weight is below ``threshold``, else prob_elim_potentiated). An empty
  slot gets a *partner* (``RandomSelection``: a random structural projection,
  then a random neuron of its source; ``LastNeuronSelection``: one of the
  spikes of the previous step, up to ``spike_buffer_size``, of the structural
  sources) and a *formation* attempt, refused without a draw if the source's
  row already has ``s_max`` synapses, or (``with_replacement=False``) if the
  pair is already connected, or if the squared distance is beyond the
  probability table; otherwise formed if ``rand_int(65535) <= table[d2]``,
  with weight ``initial_weight`` and delay ``delay_lo + rand_int(delay_hi -
  delay_lo)`` steps.
- ``DistanceDependentFormation``: the tables are sPyNNaker's
  (:func:`distance_probability_table`: ``p exp(-d2 / (2 sigma^2))`` for each
  squared periodic distance d2 on the grid, times 65535 truncated to 16 bits,
  zeros dropped, padded to an even length); the lateral table is used when
  the source is the target Population itself. Positions are computed as the
  board computes them (:func:`board_squared_distance`): the reciprocal of each
  grid side is written as an s0.31 number but read as a u0.32 one, so ``x =
  (i * round(2**31 / gx)) >> 32`` (about i / (2 gx)) and ``y = i - ((i *
  round(2**31 / gy)) >> 32) gy`` -- what the board does, not what the Python
  side's table assumes.
- Randomness: the board's two MarsKiss64 streams become one numpy Generator
  per target Population (seeded from the network seed, or the mechanism's
  ``seed``), drawn as 32-bit integers and scaled as the board scales them
  (``rand_int(max) = (max * u32) >> 32``): the same seed gives the same
  rewiring.

The connections are kept as ``n_post * s_max`` fixed synapse slots per
projection (a slot's synapse is the table entry's); a Projection reads only
the occupied ones (:class:`StructuralSynapses` is its block). With STDP
(``StructuralMechanismSTDP``) the slots are the synapses of the projection's
plastic rule (a :class:`~..plasticity.PairTraceRule` of the flavour); empty
slots have no source. A newly formed plastic synapse takes its source row's
presynaptic trace (the board keeps it per row); post events between the
row's last presynaptic spike and the formation are not applied to it (the
board would apply them at the next presynaptic spike).

Rewiring is done lazily, in order: before a projection delivers the spikes of
step k, the attempts of every step up to k not yet done are made (only a
delivery changes weights, so the result is that of attempting them at each
step), and at the end of each run.
"""

import numpy as np

from ..kernels.structural import WORDS_PER_ATTEMPT
from ..synapses import Delivery, ProjectionSynapses

#: sPyNNaker's uint16 probability scale (MAX_SHORT)
MAX_SHORT = 65535
#: an empty post-to-pre slot
EMPTY = -1


# --- sPyNNaker's numbers ------------------------------------------------------------


def rewiring_schedule(f_rew, dt):
    """(fast, p_rew) as sPyNNaker writes them for ``f_rew`` (Hz) and a time step ``dt`` (ms).

    fast: ``p_rew`` attempts every step; slow: one attempt every ``p_rew`` steps.
    """
    if not f_rew > 0:
        raise ValueError(f"f_rew must be > 0 Hz, got {f_rew!r}")
    period_s = 1.0 / f_rew
    step_us = dt * 1000.0
    if period_s * 1000.0 < step_us / 1000.0:
        return True, int(step_us / (period_s * 1e6))
    return False, max(int((period_s * 1e6) / step_us), 1)


def distance_probability_table(grid, probability, sigma):
    """sPyNNaker's formation look-up table (uint16), indexed by the squared distance.

    Squared periodic distances between the positions ``(i // gx, i % gy)`` on the
    grid (a difference above half the side wraps round), ``probability *
    exp(-d2 / (2 sigma**2))`` for d2 = 0 .. the largest, times 65535 truncated
    to 16 bits; zero entries dropped; padded with a zero to an even length.
    """
    gx, gy = (int(g) for g in np.asarray(grid, dtype=int).ravel()[:2])
    rows = np.arange(gx * gx)
    cols = np.arange(gy * gy)
    if gx > 1:
        pre = np.stack([rows // gx, rows % gy], axis=1)
        post = np.stack([cols // gx, cols % gy], axis=1)
    else:
        pre = np.stack([np.zeros_like(rows), rows % gy], axis=1)
        post = np.stack([np.zeros_like(cols), cols % gy], axis=1)
    delta = np.abs(pre[:, None, :] - post[None, :, :]).astype(float)
    for axis, side in enumerate((gx, gy)):
        wrap = (delta[..., axis] > side * 0.5) & (side > 0)
        delta[..., axis] = np.where(wrap, delta[..., axis] - side, delta[..., axis])
    largest = float(np.max((np.sqrt((delta ** 2).sum(axis=-1))) ** 2))
    squared = np.arange(largest + 1)
    raw = probability * np.exp(-squared / (2 * sigma ** 2)) * MAX_SHORT
    table = raw.astype(np.uint16)
    table = table[table > 0]
    if table.size % 2:
        table = np.concatenate([table, np.zeros(1, np.uint16)])
    return table


def grid_reciprocal(side):
    """The 32-bit word sPyNNaker writes for 1/side (s0.31, 0 when 1/side >= 1)."""
    side = int(side)
    if side <= 1:
        return 0
    return int(np.round((1.0 / side) * 2 ** 31))


def board_squared_distance(pre_index, post_index, grid):
    """Squared distance the board computes between two neurons (their indices in their Populations).

    ``formation_distance_dependent_impl.h``: coordinates by multiplying with the
    reciprocal words (read as u0.32), periodic wrap when a difference is above
    ``side >> 1``, all in 32-bit unsigned arithmetic.
    """
    gx, gy = int(grid[0]), int(grid[1])
    pre_index, post_index = int(pre_index), int(post_index)
    if gx > 1:
        rx = grid_reciprocal(gx)
        pre_x, post_x = (pre_index * rx) >> 32, (post_index * rx) >> 32
    else:
        pre_x = post_x = 0
    if gy > 1:
        ry = grid_reciprocal(gy)
        pre_y = pre_index - ((pre_index * ry) >> 32) * gy
        post_y = post_index - ((post_index * ry) >> 32) * gy
    else:
        pre_y = post_y = 0
    dx, dy = abs(pre_x - post_x), abs(pre_y - post_y)
    if dx > gx >> 1 and gx > 1:
        dx -= gx
    if dy > gy >> 1 and gy > 1:
        dy -= gy
    return (dx * dx + dy * dy) & 0xFFFFFFFF


def rand_int(maximum, word):
    """sPyNNaker's rand_int: ``muliulr(max, ulrbits(word))`` = (max * word) >> 32."""
    return (int(maximum) * int(word)) >> 32


def elimination_threshold_word(probability):
    """``int(p * 0xFFFFFFFF)``, as sPyNNaker writes an elimination probability."""
    return int(probability * 0xFFFFFFFF)


class Rules:
    """The structural parameters of one mechanism, as plain numbers (no PyNN objects).

    ``partner``: "random" or "last_neuron" (with ``spike_buffer_size``);
    ``grid``, ``ff_table``, ``lat_table``: the formation rule; ``p_elim_dep``,
    ``p_elim_pot`` (probabilities), ``threshold`` (weight): the elimination
    rule; ``f_rew`` (Hz), ``s_max``, ``with_replacement``, ``initial_weight``,
    ``delay_lo``/``delay_hi`` (steps, new delays in [lo, hi) or lo when equal),
    ``seed`` (None: the network's).
    """

    def __init__(self, partner, grid, ff_table, lat_table, p_elim_dep, p_elim_pot,
                 threshold, f_rew, s_max, with_replacement, initial_weight, delay_lo,
                 delay_hi, seed=None, spike_buffer_size=64):
        self.partner = partner
        self.spike_buffer_size = int(spike_buffer_size)
        self.grid = (int(grid[0]), int(grid[1]))
        self.ff_table = np.asarray(ff_table, np.int64)
        self.lat_table = np.asarray(lat_table, np.int64)
        self.p_elim_dep = elimination_threshold_word(p_elim_dep)
        self.p_elim_pot = elimination_threshold_word(p_elim_pot)
        self.threshold = float(threshold)
        self.f_rew = float(f_rew)
        self.s_max = int(s_max)
        self.with_replacement = bool(with_replacement)
        self.initial_weight = float(initial_weight)
        self.delay_lo, self.delay_hi = int(delay_lo), int(delay_hi)
        self.seed = seed

    def same_as(self, other):
        """sPyNNaker's condition for structural projections sharing one target."""
        return (self.s_max == other.s_max and self.f_rew == other.f_rew
                and self.initial_weight == other.initial_weight
                and (self.delay_lo, self.delay_hi) == (other.delay_lo, other.delay_hi)
                and self.partner == other.partner)


class _Words:
    """32-bit random words drawn in blocks from one numpy Generator.

    ``array`` and ``buffer`` (its list, which :meth:`next` reads: faster one at a time)
    hold the block(s) drawn, ``pos`` the next word. The compiled rewiring reads
    ``array`` from ``pos`` after :meth:`ensure`, which draws whole blocks ahead: the
    same words in the same order (the Generator serves these words only), so the two
    engines rewire alike and may follow each other.
    """

    BLOCK = 4096

    def __init__(self, rng):
        self.rng = rng
        self.array = np.zeros(0, np.uint64)
        self.buffer = []
        self.pos = 0
        self.drawn = 0

    def _block(self):
        self.drawn += self.BLOCK
        return self.rng.integers(0, 2 ** 32, size=self.BLOCK, dtype=np.uint64)

    def next(self):
        if self.pos >= len(self.buffer):
            self.array = self._block()
            self.buffer = self.array.tolist()
            self.pos = 0
        word = self.buffer[self.pos]
        self.pos += 1
        return word

    def ensure(self, n):
        """At least ``n`` words from ``pos`` in ``array`` (whole blocks drawn as needed)."""
        left = self.array.size - self.pos
        if left >= n:
            return
        parts = [self.array[self.pos:]]
        while left < n:
            parts.append(self._block())
            left += self.BLOCK
        self.array = np.concatenate(parts)
        self.buffer = self.array.tolist()
        self.pos = 0

    @property
    def consumed(self):
        """Words taken since the Generator was made (the same in either engine)."""
        return self.drawn - (self.array.size - self.pos)


class Rewiring:
    """The rewiring of one target Population: its post-to-pre table, its random stream.

    Made by the first :class:`StructuralSynapses` into the Population (its
    ``members`` are all of them, in the network's delivery order).
    """

    def __init__(self, members, network, dt):
        self.members = members
        first = members[0]
        self.rules = first.rules
        for m in members[1:]:
            if not m.rules.same_as(self.rules):
                raise ValueError(
                    "Synapse dynamics must match exactly when using multiple edges to the "
                    "same population (sPyNNaker: s_max, f_rew, initial_weight, "
                    "initial_delay and the rule types of every structural projection into "
                    "one Population)")
        pairs = set()
        for m in members:
            key = (int(m.pre_ids[0]), m.pre_ids.size)
            if key in pairs:
                raise ValueError("Only one Projection between each pair of Populations can "
                                 "use structural plasticity")
            pairs.add(key)
        self.network = network
        self.n_post = first.post_ids.size
        self.s_max = self.rules.s_max
        self.fast, self.p_rew = rewiring_schedule(self.rules.f_rew, dt)
        self._build_table()
        self.reset()

    def _build_table(self):
        """The initial table: each neuron's initial connections in its last slots."""
        s_max, n_post = self.s_max, self.n_post
        proj = np.full((n_post, s_max), EMPTY, np.int64)
        slot_of = []
        for m in self.members:
            slot_of.append(np.full(m.initial_pre.size, -1, np.int64))
        local_posts = [_positions(m.post_ids, m.initial_post) for m in self.members]
        for post in range(n_post):
            entries = [(p, i) for p, m in enumerate(self.members)
                       for i in np.flatnonzero(local_posts[p] == post)]
            if len(entries) > s_max:
                raise ValueError("Too many initial connections per incoming neuron "
                                 f"(neuron {post} has {len(entries)}, s_max={s_max})")
            for j, (p, i) in enumerate(entries):
                col = s_max - len(entries) + j
                proj[post, col] = p
                slot_of[p][i] = post * s_max + col
        self.initial_proj = proj
        for m, slots in zip(self.members, slot_of):
            m.build_slots(slots)

    def reset(self):
        """Back to the initial table and a fresh random stream."""
        self.proj = self.initial_proj.copy()
        seed = self.rules.seed
        network = self.network
        if seed is None:
            rng = network.rng_for(self.members[0].stream, 0x5E)
        else:
            rng = np.random.default_rng([int(seed), network._reset_count])
        self.words = _Words(rng)
        self.next_step = 0         # first step not rewired yet
        self.since_last = 0        # slow rewiring: steps since the last attempt
        self.last_spikes = (-1, [])   # (stamp, [(member, local pre indices)]) of the last spikes
        self.n_attempts = 0
        self.n_formed = 0
        self.n_eliminated = 0
        for m in self.members:
            m.restore_slots()

    # --- the step loop's side -------------------------------------------------------

    def note_spikes(self, stamp, spiking_ids):
        """Spikes stamped ``stamp`` of the structural sources (for LastNeuronSelection)."""
        if self.rules.partner != "last_neuron":
            return
        compiled = self.compiled
        found = []
        for i, m in enumerate(self.members):
            if compiled is not None:    # (the compiled lookup rather than np.isin)
                lookup, (pre_lo, local_of) = compiled[-1], compiled[-2][i]
                local = np.empty(spiking_ids.size, np.int64)
                local = local[:lookup(spiking_ids, pre_lo, local_of, local)]
            else:
                local = m.local_pre(spiking_ids)
            if local.size:
                found.append((m, np.sort(local)))
        self.last_spikes = (stamp, found)

    def catch_up(self, upto):
        """Make the rewiring attempts of steps ``next_step .. upto``."""
        if self.compiled is not None:
            self._catch_up_compiled(upto)
            return
        changed = False
        for step in range(self.next_step, upto + 1):
            if self.fast:
                n = self.p_rew
            else:
                self.since_last += 1
                n = 0
                if self.since_last >= self.p_rew:
                    self.since_last = 0
                    n = 1
            for _ in range(n):
                changed |= self.attempt(step)
        self.next_step = max(self.next_step, upto + 1)
        if changed:
            for m in self.members:
                m.slots_changed()

    # --- compiled (kernels/structural.py) --------------------------------------------

    #: the compiled rewiring's arguments for this run (:meth:`prepare_compiled`), or None
    compiled = None

    def prepare_compiled(self, kernels):
        """Make :meth:`catch_up` call :func:`.kernels.structural.structural_rewire` this
        run (once per run, by the first member asked; a member's ``start_run`` undoes
        it), where every member's slots are static, or the one member's slots follow a
        plastic rule whose delivery is compiled too (its pending post events are then
        the kernel's rings: see ``SlotRule.structural_formed``); else it stays NumPy.

        Static: the members' slot arrays (and row counts) become rows (slices) of arrays
        the kernel takes whole, so that both see the same slots. Plastic: the rule's
        arrays, seen as one row.
        """
        if self.compiled is not None:
            return
        members = self.members
        if any(not m._slots_built for m in members):
            return
        plastic = None
        if any(m.inner is not None for m in members):
            if len(members) > 1:
                return
            m = members[0]
            inner = m.inner
            compiled_now = getattr(inner, "_compiled_now", None)
            arrays = (inner.pre, inner.weight, inner.delay_steps, m.row_count, m._row_t,
                      m._row_k, inner._t_last, inner._k_pre, inner._n_pending,
                      inner._pend_acc)
            if (compiled_now is None or not compiled_now()
                    or inner._pmode not in ("log", "sum", "product")
                    or not all(a.flags.c_contiguous for a in arrays)):
                return
            slot_pre, slot_w, slot_d = (a.reshape(1, -1) for a in arrays[:3])
            row_count = m.row_count
            w_scale = inner._w_scale if inner._board_w else np.zeros(0)
            # (a formed synapse's pending value: the product's 1, else 0)
            pend_reset = np.array([1.0 if inner._pmode == "product" else 0.0])
            plastic = (np.ascontiguousarray(w_scale, float), *arrays[4:], pend_reset)
        else:
            slot_pre = np.stack([m._pre for m in members])
            slot_w = np.stack([m._w for m in members])
            slot_d = np.stack([m._d for m in members])
            row_count = np.concatenate([np.asarray(m.row_count, np.int64) for m in members])
        pre_off = np.cumsum([0] + [m.pre_ids.size for m in members]).astype(np.int64)
        if plastic is None:
            for i, m in enumerate(members):
                m._pre, m._w, m._d = slot_pre[i], slot_w[i], slot_d[i]
                m.row_count = row_count[pre_off[i]:pre_off[i + 1]]
        pre_ids = np.concatenate([m.pre_ids for m in members]).astype(np.int64)
        lookups = [_local_lookup(m.pre_ids) for m in members]
        local_of = np.concatenate([t for _, t in lookups])
        local_off = np.cumsum([0] + [t.size for _, t in lookups]).astype(np.int64)
        pre_lo = np.array([lo for lo, _ in lookups], np.int64)
        tables = np.concatenate([np.asarray(m.table, np.int64) for m in members])
        table_off = np.cumsum([0] + [m.table.size for m in members]).astype(np.int64)
        rules = self.rules
        formed_w = np.array([m.formed_weight() for m in members])
        gx, gy = rules.grid
        self.compiled = (kernels.structural_rewire, np.zeros(7, np.int64), self.proj,
                         slot_pre, slot_w, slot_d, row_count, pre_ids, pre_off, local_of,
                         local_off, pre_lo, tables, table_off,
                         rules.partner == "random", rules.with_replacement, gx, gy,
                         grid_reciprocal(gx), grid_reciprocal(gy), rules.threshold,
                         rules.p_elim_dep, rules.p_elim_pot, formed_w, rules.delay_lo,
                         rules.delay_hi, rules.initial_weight, plastic,
                         # note_spikes': each member's lookup, the kernel
                         lookups, kernels.structural_local_pre)
        self._last_arrays = None

    def _last_spike_arrays(self):
        """The last spikes (LastNeuronSelection) as (stamp, member indices, local indices)."""
        cached = self._last_arrays
        if cached is not None and cached[0] is self.last_spikes:
            return cached[1]
        stamp, found = self.last_spikes
        if found:
            member = np.concatenate([np.full(local.size, self.members.index(m), np.int64)
                                     for m, local in found])
            local = np.concatenate([np.asarray(local, np.int64) for _, local in found])
        else:
            member = local = np.zeros(0, np.int64)
        arrays = (int(stamp), member, local)
        self._last_arrays = (self.last_spikes, arrays)
        return arrays

    def _catch_up_compiled(self, upto):
        kernel, state, proj, *arrays = self.compiled[:-2]
        (slot_pre, slot_w, slot_d, row_count, pre_ids, pre_off, local_of, local_off, pre_lo,
         tables, table_off, random_partner, *rules) = arrays
        stamp, last_member, last_local = self._last_spike_arrays()
        words = self.words
        state[:] = (0, self.since_last, self.n_attempts, self.n_formed, self.n_eliminated, 0, 0)
        need = (self.p_rew if self.fast else 1) * WORDS_PER_ATTEMPT
        step = self.next_step
        while step <= upto:
            # (blocks drawn ahead for up to ~4096 steps at a time)
            words.ensure(min(upto + 1 - step, 4096) * need)
            state[0] = words.pos
            step = kernel(step, upto, self.fast, self.p_rew, words.array, state, proj,
                          slot_pre, slot_w, slot_d, row_count, pre_ids, pre_off, local_of,
                          local_off, pre_lo, tables, table_off, stamp, last_member,
                          last_local, self.rules.spike_buffer_size, random_partner, *rules)
            words.pos = int(state[0])
        (_, self.since_last, self.n_attempts, self.n_formed, self.n_eliminated,
         changed, delays_changed) = state.tolist()
        self.next_step = max(self.next_step, upto + 1)
        if delays_changed:      # (a plastic member: its rule's indices are compiled again)
            self.members[0].inner.structural_delays_changed()
        if changed:
            for m in self.members:
                m.slots_changed()

    def attempt(self, step):
        """One rewiring attempt at ``step``; True if a synapse was formed or removed."""
        words = self.words
        self.n_attempts += 1
        post = rand_int(self.n_post, words.next())
        col = rand_int(self.s_max, words.next())
        slot = post * self.s_max + col
        p = int(self.proj[post, col])
        if p != EMPTY:
            member = self.members[p]
            r = words.next()
            rules = self.rules
            if member.slot_weight(slot) < rules.threshold:
                if r > rules.p_elim_dep:
                    return False
            elif r > rules.p_elim_pot:
                return False
            member.remove(slot)
            self.proj[post, col] = EMPTY
            self.n_eliminated += 1
            return True
        partner = self.partner(step)
        if partner is None:
            return False
        p, pre = partner
        member = self.members[p]
        if member.row_count[pre] >= self.s_max:
            return False
        if not self.rules.with_replacement and member.connected(pre, post, self.s_max):
            return False
        table = member.table
        d2 = board_squared_distance(pre, post, self.rules.grid)
        if d2 >= table.size:
            return False
        if rand_int(MAX_SHORT, words.next()) > table[d2]:
            return False
        lo, hi = self.rules.delay_lo, self.rules.delay_hi
        delay = lo + rand_int(hi - lo, words.next())
        member.form(slot, pre, delay)
        self.proj[post, col] = p
        self.n_formed += 1
        return True

    def partner(self, step):
        """(member index, local pre index) of a potential partner, or None."""
        words = self.words
        if self.rules.partner == "random":
            p = rand_int(len(self.members), words.next())
            n = self.members[p].pre_ids.size
            return p, rand_int(n, words.next())
        stamp, found = self.last_spikes
        if stamp != step or not found:
            return None
        sizes = [loc.size for _, loc in found]
        buffered = min(sum(sizes), self.rules.spike_buffer_size)
        pick = rand_int(buffered, words.next())
        for m, local in found:
            if pick < local.size:
                return self.members.index(m), int(local[pick])
            pick -= local.size
        return None


class StructuralSynapses(ProjectionSynapses, Delivery):
    """The block of one structurally plastic projection (a Delivery of the network).

    The Projection sees only the occupied slots (``pre``, ``post``, ``weight``,
    ``delay_steps``, ``params`` are arrays over them, in slot order); the step
    loop sees all slots. ``inner_class`` (class attribute): the plastic rule of
    the slots (None: static weights). Configured by the flavour's front with
    :meth:`configure` after the connector made the initial connections.
    """

    inner_class = None

    def __init__(self, receptor, network):
        self.receptor = receptor
        self.network = network
        self.stream = network.new_stream_id()
        self.rules = None
        self.rewiring = None
        self._pending = []
        self.initial_pre = np.zeros(0, np.int64)
        self.initial_post = np.zeros(0, np.int64)
        self.initial_w = np.zeros(0)
        self.initial_d = np.zeros(0, np.int64)
        self.initial_params = {}
        self.inner = None
        if self.inner_class is not None:
            self.inner = self.inner_class(receptor, network)
            self.parameter_names = self.inner_class.parameter_names
            self.state_names = self.inner_class.state_names
            self.plastic = True
            self.fixed_attributes = self.inner_class.fixed_attributes
        self._slots_built = False

    plastic = True

    def configure(self, rules, pre_ids, post_ids, lateral, rule_params=None):
        """The mechanism's :class:`Rules`, the source and target ids (Population order),
        whether the source is the target (lateral table), the plastic rule's parameters."""
        self.rules = rules
        self.pre_ids = np.asarray(pre_ids, np.int64)
        self.post_ids = np.asarray(post_ids, np.int64)
        self.lateral = bool(lateral)
        self.table = rules.lat_table if lateral else rules.ff_table
        self.rule_params = dict(rule_params or {})
        self._pre_lookup = None

    # --- building (the connector's initial connections) -------------------------------

    def add(self, pre_ids, post_ids, weights, delay_steps, **params):
        if self._slots_built:
            raise RuntimeError("pyNN.tinysim.spinnaker: connections cannot be added to a "
                               "structurally plastic projection after a run")
        pre_ids = np.asarray(pre_ids, np.int64)
        n = pre_ids.size
        self._pending.append((pre_ids, np.broadcast_to(np.asarray(post_ids, np.int64), (n,)),
                              np.broadcast_to(np.asarray(weights, float), (n,)),
                              np.broadcast_to(np.asarray(delay_steps, np.int64), (n,)),
                              {k: np.broadcast_to(np.asarray(v, float), (n,))
                               for k, v in params.items()}))

    def consolidate(self):
        if not self._pending:
            return
        parts = self._pending
        self._pending = []
        self.initial_pre = np.concatenate([self.initial_pre, *(p[0] for p in parts)])
        self.initial_post = np.concatenate([self.initial_post, *(p[1] for p in parts)])
        self.initial_w = np.concatenate([self.initial_w, *(p[2] for p in parts)])
        self.initial_d = np.concatenate([self.initial_d, *(p[3] for p in parts)])
        for name in self.parameter_names:
            old = self.initial_params.get(name, np.zeros(0))
            self.initial_params[name] = np.concatenate([old, *(p[4][name] for p in parts)])

    def build_slots(self, slot_of_initial):
        """Lay the slots out (called once by :class:`Rewiring`)."""
        s_max = self.rules.s_max
        n_slots = self.post_ids.size * s_max
        self.slot_post = np.repeat(self.post_ids, s_max)
        pre = np.full(n_slots, EMPTY, np.int64)
        weight = np.full(n_slots, self.rules.initial_weight)
        delay = np.full(n_slots, max(self.rules.delay_lo, 1), np.int64)
        pre[slot_of_initial] = self.initial_pre
        weight[slot_of_initial] = self.initial_w
        delay[slot_of_initial] = self.initial_d
        self._initial_slots = (pre.copy(), weight.copy(), delay.copy())
        if self.inner is not None:
            params = {}
            for name in self.parameter_names:
                values = np.full(n_slots, float(self.rule_params[name]))
                if name in self.initial_params and self.initial_params[name].size:
                    values[slot_of_initial] = self.initial_params[name]
                params[name] = values
            # empty slots get the (never spiking) source -1 (see structural_rule)
            self.inner.add(np.maximum(pre, 0), self.slot_post, weight, delay, **params)
            self.inner.consolidate()
            self.inner.pre[:] = pre
        else:
            self._pre, self._w, self._d = pre, weight, delay
        self._slots_built = True

    def restore_slots(self):
        pre, weight, delay = self._initial_slots
        if self.inner is not None:
            self.inner.reset()
            if not np.array_equal(self.inner.delay_steps, delay):
                self.inner.structural_delays_changed()
            self.inner.pre[:] = pre
            self.inner.weight[:] = weight
            self.inner.delay_steps[:] = delay
        else:
            self._pre, self._w, self._d = pre.copy(), weight.copy(), delay.copy()
        n_pre = self.pre_ids.size
        self.row_count = np.bincount(self._local_of(pre[pre >= 0]), minlength=n_pre)
        self._row_t = np.zeros(n_pre, np.int64)
        self._row_k = np.zeros(n_pre)
        self.slots_changed()

    # --- slot arrays ---------------------------------------------------------------

    @property
    def _slot_pre(self):
        return self.inner.pre if self.inner is not None else self._pre

    @property
    def _slot_w(self):
        return self.inner.weight if self.inner is not None else self._w

    @property
    def _slot_d(self):
        return self.inner.delay_steps if self.inner is not None else self._d

    def _local_of(self, ids):
        if self._pre_lookup is None:
            self._pre_lookup = {int(i): j for j, i in enumerate(self.pre_ids.tolist())}
            self._pre_first = int(self.pre_ids[0]) if self.pre_ids.size else 0
            self._pre_contiguous = bool(np.all(np.diff(self.pre_ids) == 1))
        ids = np.asarray(ids, np.int64)
        if self._pre_contiguous:
            return ids - self._pre_first
        return np.array([self._pre_lookup[int(i)] for i in ids.tolist()], np.int64)

    def local_pre(self, spiking_ids):
        """Indices in the source Population of those of ``spiking_ids`` that are in it."""
        if self.pre_ids.size == 0:
            return np.zeros(0, np.int64)
        hit = np.isin(spiking_ids, self.pre_ids)
        return self._local_of(spiking_ids[hit])

    def replace_rule(self, model):
        """Make this block one of ``model`` (a :func:`structural_model` class): its slots
        follow ``model``'s plastic rule from now on, their sources, weights, delays and
        rule parameters carried over (sPyNNaker merges a neuromodulation into the
        structural STDP dynamics so, when it maps the network)."""
        old = self.inner
        self.__class__ = model
        self.inner = model.inner_class(self.receptor, self.network)
        self.parameter_names = model.inner_class.parameter_names
        self.state_names = model.inner_class.state_names
        self.fixed_attributes = model.inner_class.fixed_attributes
        if self._slots_built:
            old.consolidate()
            pre = old.pre.copy()
            self.inner.add(np.maximum(pre, 0), self.slot_post, old.weight.copy(),
                           old.delay_steps.copy(),
                           **{name: old.params[name] for name in self.parameter_names})
            self.inner.consolidate()
            self.inner.pre[:] = pre
            self.inner.initial_weight[:] = old.initial_weight

    def slot_weight(self, slot):
        """The weight elimination compares with its threshold (``synapse_dynamics_find_neuron``)."""
        if self.inner is not None:
            return float(self.inner.structural_find_weight(slot))
        return float(self._slot_w[slot])

    #: the 16-bit weight format the front gave (ring-buffer shift, global weight scale)
    _board_format = None

    def set_board_weights(self, mask, shift=None, global_scale=1.0):
        """The front's 16-bit weight format for these synapses (see BoardTraces): the
        slots all target one Population's receptor, so every slot gets it, at each
        run's start (slots are laid out at the first run)."""
        # (the front calls it for the Population the slots target, occupied or not)
        self._board_format = None if mask is None else (int(shift), float(global_scale))

    def connected(self, pre, post, s_max):
        pre_id = self.pre_ids[pre]
        return bool(np.any(self._slot_pre[post * s_max:(post + 1) * s_max] == pre_id))

    def formed_weight(self):
        """A formed static synapse's weight (the board's 16-bit one where the front gave
        its format)."""
        weight = self.rules.initial_weight
        if getattr(self, "_static_scale", None) is not None:
            weight = float(np.rint(abs(weight) * self._static_scale)) / self._static_scale
        return weight

    def form(self, slot, pre, delay):
        self._slot_pre[slot] = self.pre_ids[pre]
        if self.inner is not None:
            weight = self.inner.structural_initial_weight(slot, self.rules.initial_weight)
        else:
            weight = self.formed_weight()
        self._slot_w[slot] = weight
        old_delay = int(self._slot_d[slot])
        self._slot_d[slot] = delay
        self.row_count[pre] += 1
        inner = self.inner
        if inner is not None:
            inner.structural_formed(slot, int(self._row_t[pre]), float(self._row_k[pre]),
                                    delay_changed=old_delay != delay)
        self._active_dirty = self._rows_dirty = True

    def remove(self, slot):
        pre = self._local_of([self._slot_pre[slot]])[0]
        self.row_count[pre] -= 1
        self._slot_pre[slot] = EMPTY
        self._active_dirty = self._rows_dirty = True

    def slots_changed(self):
        """Sources of slots changed: the occupied slots and the rule's index follow."""
        self._active_dirty = True
        self._rows_dirty = False
        if self.inner is not None:
            self.inner.structural_rows_changed()

    @property
    def _active(self):
        """The occupied slots, in slot order."""
        if self._active_dirty:
            self._active_cache = np.flatnonzero(self._slot_pre >= 0)
            self._active_dirty = False
        return self._active_cache

    # --- what the Projection reads ----------------------------------------------------

    def _check_built(self):
        self.consolidate()
        return self._slots_built

    @property
    def pre(self):
        if not self._check_built():
            return self.initial_pre
        return self._slot_pre[self._active].copy()

    @property
    def post(self):
        if not self._check_built():
            return self.initial_post
        return self.slot_post[self._active].copy()

    @property
    def weight(self):
        if not self._check_built():
            return self.initial_w
        return self._slot_w[self._active].copy()

    @property
    def delay_steps(self):
        if not self._check_built():
            return self.initial_d
        return self._slot_d[self._active].copy()

    @property
    def params(self):
        if self.inner is None:
            return {}
        if not self._check_built():
            return {n: self.initial_params.get(n, np.zeros(0)) for n in self.parameter_names}
        return {n: v[self._active].copy() for n, v in self.inner.params.items()}

    @property
    def state(self):
        if self.inner is None or not self._check_built():
            return {}
        return {n: v[self._active].copy() for n, v in self.inner.state.items()}

    def __len__(self):
        if not self._check_built():
            return self.initial_pre.size
        return self._active.size

    def weight_at(self, index):
        return float(self.weight[index])

    def delay_steps_at(self, index):
        return int(self.delay_steps[index])

    def _where(self, index):
        return self._active if index is None else self._active[index]

    def set_weight(self, values, index=None):
        if not self._check_built():
            self.initial_w = np.array(np.broadcast_to(values, self.initial_w.shape)) \
                if index is None else _assigned(self.initial_w, index, values)
            return
        where = self._where(index)
        self._slot_w[where] = values
        if self.inner is not None:
            self.inner.weights_written(where)

    def set_delay_steps(self, values, index=None):
        if not self._check_built():
            self.initial_d = np.array(np.broadcast_to(values, self.initial_d.shape)) \
                if index is None else _assigned(self.initial_d, index, values)
            return
        self._slot_d[self._where(index)] = values
        self.network.synapses_changed()

    def write(self, values):
        if "weight" in values:
            self.set_weight(np.array(np.broadcast_to(values["weight"], (len(self),))))
        rest = {k: v for k, v in values.items() if k != "weight"}
        if rest:
            if self.inner is None:
                raise KeyError(sorted(rest)[0])
            if not self._check_built():
                for name, value in rest.items():
                    self.initial_params[name] = np.array(
                        np.broadcast_to(value, self.initial_pre.shape), float)
                return
            for name, value in rest.items():
                self.inner.params[name][self._active] = value

    def set_initial_value(self, index, name, values):
        raise KeyError(name)

    def wrong_side(self):
        if self.inner is None:
            return None
        self.consolidate()
        w, params = self.weight, self.params
        if "w_min" not in params or w.size == 0:
            return None
        w_min, w_max = params["w_min"], params["w_max"]
        beyond = (w - w_min) * np.sign(w_max - w_min) < -1e-12 * np.abs(w_max - w_min)
        if not beyond.any():
            return None
        i = int(np.flatnonzero(beyond)[0])
        return float(w[i]), float(w_min[i]), float(w_max[i])

    # --- the network's side -------------------------------------------------------

    @property
    def size(self):
        # never left out of the step loop: synapses may form during the run
        return max(self.post_ids.size * self.rules.s_max, 1) if self.rules else 0

    @property
    def max_delay_steps(self):
        built = self._slot_d if self._slots_built else self.initial_d
        longest = int(built.max()) if built.size else 0
        return max(longest, self.rules.delay_hi if self.rules else 0, 1)

    def _members(self):
        key = (int(self.post_ids[0]), self.post_ids.size)
        return [d for d in self.network.deliveries
                if isinstance(d, StructuralSynapses) and d.rules is not None
                and (int(d.post_ids[0]), d.post_ids.size) == key]

    def merge(self, layout):
        self.consolidate()
        if self.rules is None:
            raise RuntimeError("structural projection used before it was configured")
        if self.rewiring is None:
            members = self._members()
            if any(m.rewiring is not None for m in members):
                raise RuntimeError(
                    "pyNN.tinysim.spinnaker: a structurally plastic projection was added "
                    "into a Population whose rewiring has already run; create every "
                    "structural projection before the first run")
            rewiring = Rewiring(members, self.network, self.network.dt)
            for m in members:
                m.rewiring = rewiring
        if self.inner is not None:
            self.inner.merge(layout)

    def bind(self, layout, n_slots):
        self._row_size = layout.row_size
        self._n_slots = n_slots
        self._ring_size = n_slots * layout.row_size
        self._input_pos = layout.positions(self.slot_post, self.receptor)
        if self.inner is not None:
            self.inner.bind(layout, n_slots)

    #: whether this run's delivery is compiled (:meth:`compiled_deliver`)
    compiled_delivery = False

    def start_run(self, dt):
        self.dt = dt
        self.compiled_delivery = False
        if self.rewiring is not None:
            self.rewiring.compiled = None   # (compiled_deliver prepares it again)
        self._static_scale = None
        if self.inner is None and self._board_format is not None and self._slots_built:
            # static slots: the board's 16-bit weights, round(|w| scale) & 0xFFFF
            shift, global_scale = self._board_format
            self._static_scale = scale = 2.0 ** (15 - shift) * global_scale
            self._w[:] = (np.rint(np.abs(self._w) * scale).astype(np.int64) & 0xFFFF) / scale
        if self.inner is not None:
            setter = getattr(self.inner, "set_board_weights", None)
            if setter is not None:
                fmt = self._board_format
                setter(None if fmt is None else np.ones(self.inner.weight.size, bool),
                       *(fmt or ()))
            self.inner.start_run(dt)

    def _before_delivery(self, spiking_ids, k):
        """What every delivery of step ``k`` does first, on either engine: the
        rewiring caught up to this step, the slots' rows refreshed after a change,
        and the spikes noted for the rewiring's LastNeuronSelection (by its first member)."""
        rewiring = self.rewiring
        if rewiring.next_step <= k:
            rewiring.catch_up(k)
        if self._rows_dirty:
            self.slots_changed()
        if rewiring.members[0] is self:
            rewiring.note_spikes(k + 1, spiking_ids)

    def deliver(self, spiking_ids, k, ring_flat):
        self._before_delivery(spiking_ids, k)
        if self.inner is not None:
            local = self.local_pre(spiking_ids)
            if local.size:
                self._bump_rows(local, k + 1)
            self.inner.deliver(spiking_ids, k, ring_flat)
            return
        active = self._active
        hit = active[np.isin(self._pre[active], spiking_ids)]
        if hit.size:
            flat = (self._d[hit] * self._row_size + self._input_pos[hit]
                    + ((k + 1) % self._n_slots) * self._row_size)
            flat[flat >= self._ring_size] -= self._ring_size
            np.add.at(ring_flat, flat, self._w[hit])

    def compiled_deliver(self, kernels):
        """:meth:`deliver` with the slots' delivery compiled
        (:func:`.kernels.structural.structural_static_deliver`) for static slots, and
        the rewiring (:meth:`Rewiring.prepare_compiled`) where every member's are;
        None (NumPy) for plastic ones."""
        if self.rewiring is None or not self._slots_built:
            return None
        if self.inner is not None:
            return self._compiled_plastic(kernels)
        self.rewiring.prepare_compiled(kernels)
        self.compiled_delivery = True
        kernel = kernels.structural_static_deliver
        pre_ids = self.pre_ids
        pre_lo, local_of = _local_lookup(pre_ids)
        flags = np.zeros(max(pre_ids.size, 1), np.bool_)
        input_pos = np.ascontiguousarray(self._input_pos, np.int64)
        row_size, n_slots = self._row_size, self._n_slots

        def deliver(spiking_ids, k, ring_flat):
            self._before_delivery(spiking_ids, k)
            # (the slot arrays are read at each call: a reset replaces them)
            kernel(spiking_ids, pre_lo, local_of, flags, self._pre, self._w, self._d,
                   input_pos, ((k + 1) % n_slots) * row_size, row_size, ring_flat)
        return deliver

    def _compiled_plastic(self, kernels):
        """:meth:`deliver` with the rule's compiled delivery (its ``compiled_deliver``,
        e.g. ``BoardTraces``'), or None where the rule has none; the rewiring compiled
        where this is the Population's one structural projection (else NumPy); the
        rows' presynaptic traces stay NumPy (formation and elimination make the rule's
        compiled indices again, ``SlotRule.structural_rows_changed``)."""
        inner_deliver = self.inner.compiled_deliver(kernels)
        if inner_deliver is None:
            return None
        self.compiled_delivery = True
        rewiring = self.rewiring
        rewiring.prepare_compiled(kernels)      # (one member: its rewiring compiled too)
        lookup = kernels.structural_local_pre
        pre_lo, local_of = _local_lookup(self.pre_ids)

        def deliver(spiking_ids, k, ring_flat):
            self._before_delivery(spiking_ids, k)
            # (local_pre's sources, in the spikes' order, without np.isin)
            local = np.empty(spiking_ids.size, np.int64)
            local = local[:lookup(spiking_ids, pre_lo, local_of, local)]
            if local.size:
                self._bump_rows(local, k + 1)
            inner_deliver(spiking_ids, k, ring_flat)
        return deliver

    def _bump_rows(self, local, stamp):
        """The rows' presynaptic traces after a spike (what a newly formed synapse takes)."""
        self._row_k[local] = self.inner.structural_row_trace(
            self._row_k[local], stamp - self._row_t[local])
        self._row_t[local] = stamp

    def end_run(self, last_stamp):
        if self.rewiring is not None and self.rewiring.next_step <= last_stamp - 1:
            self.rewiring.catch_up(last_stamp - 1)
        if self.inner is not None:
            self.inner.end_run(last_stamp)

    def reset(self):
        if self.rewiring is not None and self.rewiring.members[0] is self:
            self.rewiring.reset()


def _local_lookup(pre_ids):
    """(lowest id, table): ``table[id - lowest]`` is the id's index in ``pre_ids``, -1
    for ids between that are not in it."""
    if pre_ids.size == 0:
        return 0, np.full(1, -1, np.int64)
    lo = int(pre_ids.min())
    table = np.full(int(pre_ids.max()) - lo + 1, -1, np.int64)
    table[pre_ids - lo] = np.arange(pre_ids.size)
    return lo, table


def _positions(all_ids, ids):
    """Index in ``all_ids`` of each of ``ids`` (all present)."""
    order = np.argsort(all_ids, kind="stable")
    return order[np.searchsorted(all_ids, ids, sorter=order)]


def _assigned(array, index, values):
    out = array.copy()
    out[index] = values
    return out


class SlotRule:
    """Mixin making a pair-trace rule's synapses the slots of a structural projection.

    Empty slots have source -1: they get a row of their own, beyond every real
    id, that no spike ever reads. Formation and elimination change sources, so
    the presynaptic index is rebuilt (the postsynaptic one too when a delay
    changed).
    """

    def compile(self, n_ids, input_position, row_size, n_slots):
        self._compile_args = (n_ids, input_position, row_size, n_slots)
        self._n_real_ids = n_ids
        pre = self.pre
        self.pre = np.where(pre < 0, n_ids, pre)
        try:
            super().compile(n_ids + 1, input_position, row_size, n_slots)
        finally:
            self.pre = pre

    def structural_rows_changed(self):
        if getattr(self, "_indptr", None) is None:
            return
        if getattr(self, "_delays_changed", False):
            self._delays_changed = False
            self.compile(*self._compile_args)
        else:
            n = self._n_real_ids
            pre = np.where(self.pre < 0, n, self.pre)
            self._by_pre = np.argsort(pre, kind="stable")
            self._indptr[:] = 0
            np.cumsum(np.bincount(pre, minlength=n + 1), out=self._indptr[1:])
        if "_rings" in self.__dict__:
            # the compiled delivery's indices follow (BoardTraces._kernel_index; the
            # float one reads the rule's at each call)
            self._kernel_indices = self._kernel_index()

    def _compiled_now(self):
        """Whether the rule's compiled delivery runs (with board weights its pending post
        events are then the kernel's rings, ``_rings``, until end_run; in float mode,
        ``_float_now``, they stay the rule's ``_pend_acc``)."""
        return "_rings" in self.__dict__ or "_float_now" in self.__dict__

    def structural_delays_changed(self):
        """Delays of slots changed: the next index rebuild is a whole compile."""
        self._delays_changed = True

    def structural_find_weight(self, slot):
        return self.weight[slot]

    def structural_initial_weight(self, slot, weight):
        """A formed synapse's weight: with the board's 16-bit weights, the one the host
        writes, ``round(initial_weight * weight scale)``."""
        if not getattr(self, "_board_w", False):
            return weight
        scale = self._w_scale[slot]
        return float(np.rint(abs(weight) * scale)) / scale

    def structural_row_trace(self, k_row, ticks):
        """A row's presynaptic trace ``k_row`` after ``ticks`` more steps and a spike."""
        if self.nearest:
            return np.ones_like(k_row)
        zeros = np.zeros(k_row.size, np.int64)
        return self._fmul(k_row, self._decay(ticks, self.pre_tau, zeros)) + 1.0

    def structural_formed(self, slot, row_t, row_k, delay_changed=False):
        """A synapse formed in ``slot``: the row's pre trace, no post events pending."""
        self._t_last[slot] = row_t
        self._k_pre[slot] = row_k
        if self._n_pending[slot]:
            # (compiled: the events are the kernel's ring, emptied by the count alone)
            if self._pmode == "log" and not self._compiled_now():
                self._deferred.take(np.array([slot]), self._n_pending.size)
            self._n_pending[slot] = 0
            self._pend_acc[slot] = 1.0 if self._pmode == "product" else 0.0
        if delay_changed:
            self.structural_delays_changed()  # keys and columns rebuilt (compile)


_MODELS = {}


def structural_model(inner_class=None, slot_mixin=SlotRule):
    """The block class of a structural projection whose slots follow ``inner_class``
    (a PairTraceRule subclass with :class:`SlotRule`, or another plastic rule with a
    ``slot_mixin`` of its own, as the neuromodulated one; None: static weights)."""
    model = _MODELS.get((inner_class, slot_mixin))
    if model is None:
        attrs = {"__doc__": StructuralSynapses.__doc__, "__module__": __name__}
        if inner_class is not None:
            slot_attrs = {"__module__": __name__}
            if slot_mixin is SlotRule:
                # (the slots change no arithmetic: the rule's compiled delivery applies)
                slot_attrs["_slots_of"] = inner_class
            attrs["inner_class"] = type("Slot" + inner_class.__name__, (slot_mixin, inner_class),
                                        slot_attrs)
        name = "Structural" + (inner_class.__name__ if inner_class else "Static")
        model = _MODELS[(inner_class, slot_mixin)] = type(name, (StructuralSynapses,), attrs)
    return model
