"""Stretches of whole steps in one compiled loop, for Numba (see :mod:`.`).

For a network of one neuron group with a kernel, event sources (Poisson,
spike arrays, gamma...), static synapses and plastic ones with a kernel,
:mod:`..stretch` runs many
steps in one call of ``stretch_<kernel>``: per step, exactly what the Python step
loop does, in its order (NEST's):

0. the injected currents that change at this step are changed
   (:func:`.window.inject`, at the end of the step before);
1. each group in the network's order emits its spikes: the neuron group by its
   kernel (:mod:`.neurons`), a source by its precomputed events, a Poisson source
   by its counts (:mod:`.poisson`, drawn before the step by ``_room``); the spikes of
   recorded neurons are written to the record buffers, the global ids of all of
   them appended to the step's ``fired`` list (under MPI: to the exchange's
   buffers, see :mod:`.window`);
2. the ring-buffer row just read is cleared (the neuron kernels zero their inputs
   as they read them, so this is skipped where the group's inputs are the whole row);
3. ``fired`` is delivered by :func:`.delivery.deliver_static`, then to each plastic
   projection in turn by :func:`.stretch_plastic.deliver_plastic` (STDP's pair rules,
   Vogels-Sprekeler, Tsodyks-Markram; under MPI the exchange delivers, at the
   window's end, in Python);
4. the sampled state variables of the neuron group whose sampling step this is
   (a multiple of their interval) are copied into their recorders' buffers
   (:func:`_sample`, as ``SignalRecorder.sample``).

``net`` is the tuple built by ``engine/stretch.py`` (``CompiledStretch.run`` names
the fields; from the 24th: ``signals`` (the sampled recorders, :func:`_sample`),
``currents`` and ``exchange`` (:mod:`.window`), ``halt``, the delivery's ``n_chunks``
and its ``min_events``, see :mod:`.delivery`, the Poisson sources' tables,
``CompiledStretch._poisson``, and the plastic projections, see :mod:`.stretch_plastic`).
``signals``, ``currents``, ``exchange`` (outside MPI), the Poisson tables and
``plastic`` are None where the network has none: only non-inlined helpers taking
that part as an argument read it, so that Numba prunes the code of absent features
(see below ``_after_step``).
A stretch stops early when the record or exchange buffers could overflow on the
next step, or before a step its neuron kernel declines (``halt`` set, see
:data:`.neurons.DECLINED`), and returns the step it reached.
"""

from . import delivery, neurons, spinnaker, stretch_plastic, window
from . import poisson as poisson_kernels
from . import adex
from . import adaptive
from . import multisynapse as multisynapse_kernels


def _inputs(ring, slot, offset, n_receptors, size):
    return ring[slot, offset:offset + n_receptors * size].reshape((n_receptors, size))


def _after_step(k, spiked, net, consumed=False):
    (ring, ring_flat, n_slots, row_size, order, group_ids, ids_ptr, rec_mask,
     ev_steps, ev_neurons, ev_end, cursor, indptr, keys, weights, limit, scratch,
     has_synapses, fired, rec_stamp, rec_group, rec_local, counter,
     signals, currents, exchange, halt, n_chunks, min_events, poisson, plastic) = net
    # this step's Poisson counts (drawn by _room) and the sources' cells pointer
    poisson_ptr, drawn = _poisson_arrays(poisson, ids_ptr)
    slot = (k + 1) % n_slots
    n_fired = 0
    c = counter[0]
    # under MPI the spikes go to the exchange, which delivers them (see .window; its
    # code pruned where ``exchange`` is None)
    exchanging = window.exchanging(exchange)
    collect = has_synapses or exchanging
    for position in range(order.size):
        source = order[position]
        base = ids_ptr[position]
        first = n_fired
        # the group's spikes this step: (local index, times) for each of n items
        if source < -1:         # Poisson source -2 - i: each cell, its count times
            lo = poisson_ptr[-2 - source]
            n = poisson_ptr[-1 - source] - lo
        elif source < 0:        # the neuron group: its kernel's spikes
            lo, n = 0, spiked.size
        else:                   # event source i: its events stamped k
            lo = hi = cursor[source]
            while hi < ev_end[source] and ev_steps[hi] == k:
                hi += 1
            cursor[source] = hi
            n = hi - lo
        for e in range(n):
            if source < -1:
                j, times = e, drawn[lo + e]
            elif source < 0:
                j, times = spiked[e], 1
            else:
                j, times = ev_neurons[lo + e], 1
            for _ in range(times):
                if rec_mask[base + j]:
                    rec_stamp[c] = k + 1
                    rec_group[c] = position
                    rec_local[c] = j
                    c += 1
                if collect:
                    fired[n_fired] = group_ids[base + j]
                    n_fired += 1
        window.export(k, position, fired[first:n_fired], exchange)
    counter[0] = c
    if not consumed:
        ring[slot, :] = 0.0
    if n_fired and not exchanging:
        delivery.deliver_static(fired[:n_fired], slot * row_size, indptr, keys, weights,
                                ring_flat, limit, scratch, n_chunks, row_size, min_events)
        # then each plastic projection in turn (none: pruned where ``plastic`` is None)
        stretch_plastic.deliver_plastic(fired[:n_fired], k + 1, slot * row_size, ring_flat,
                                        plastic)
    # (none: pruned where ``signals`` is None)
    _sample(k + 1, signals)
    # the next step's injected currents (step 0 of the step loop, see .window; none:
    # pruned where ``currents`` is None)
    window.inject(k + 1, currents)


# The optional parts of ``net`` (Poisson sources, signal recorders, current sources;
# plastic projections, see .stretch_plastic) are None where the network has none, and
# only the functions below read them, each taking its part as an argument: Numba
# then prunes the code of an absent part (a None argument; a helper inlined into the
# stretch would not be pruned), so a stretch compiles only the features its network
# uses (a network without Poisson sources, recorded signals or currents: ~1.5 s less
# of one-time compilation, see benchmarks/RESULTS.md). They are not inlined: a call
# passes only its part.

def _poisson_arrays(poisson, absent):
    """The Poisson sources' cells pointer and this step's counts (``absent``, an int64
    array, for both where there is no Poisson source: never read then). Called by
    ``_after_step`` alone, which counts no references (kernels.UNCOUNTED): compiled
    from it, in its mode, so the arrays it returns are borrowed, as there."""
    if poisson is None:
        return absent, absent
    return poisson[0], poisson[7]


def _sample(step, signals):
    """Recorder r (of ``n_sig``) copies ``sig_src[r][sig_idx[r]]`` into row
    ``sig_row[r]`` of its buffer when ``step`` is on its grid and the buffer has room
    (``signals``: None where nothing is sampled). ``sig_interval``: (2, pad), each
    recorder's interval and its lag (1 for a LeadingSignalRecorder: its sample labelled
    j interval is taken after step j interval + 1)."""
    if signals is None:
        return
    sig_src, sig_idx, sig_buf, sig_interval, sig_row, n_sig = signals
    for r in range(n_sig):
        buffer = sig_buf[r]
        row = sig_row[r]
        if (step - sig_interval[1, r]) % sig_interval[0, r] == 0 and row < buffer.shape[0]:
            source = sig_src[r]
            indices = sig_idx[r]
            for c in range(indices.size):
                buffer[row, c] = source[indices[c]]
            sig_row[r] = row + 1


def _consumed(offset, n_receptors, size, row_size):
    """Whether the neuron kernel, which zeroes its inputs once read (see .neurons),
    leaves the ring row clear: where its group's inputs are the whole row."""
    return offset == 0 and n_receptors * size == row_size


def _draw(k, poisson):
    """Step k's counts of every Poisson source (kernels/poisson.py) into ``poisson[7]``;
    returns their sum (0 where ``poisson`` is None: no Poisson source)."""
    if poisson is None:
        return 0
    ptr, hashes, seg_from, seg_to, lam, p0, pieces, drawn, scratch, table = poisson
    total = 0
    for i in range(ptr.size - 1):
        lo, hi = ptr[i], ptr[i + 1]
        total += poisson_kernels.poisson_counts(hashes, k, seg_from, seg_to, lam, p0,
                                                pieces, drawn, scratch, table, lo, hi)
    return total


def _room(k, net):
    """Whether step k's spikes fit the record and fired buffers (and, under MPI, the
    exchange's): at most every cell once, plus its Poisson counts (drawn here, for
    _after_step). A step that would not fit even empty buffers sets ``halt``: the step
    loop runs it. A plastic projection's queue of post events too (without ``halt``:
    the stretch grows it and goes on, see stretch_plastic.plastic_room)."""
    if not stretch_plastic.plastic_room(net[30]):
        return False
    need = net[6][-1] + _draw(k, net[29])
    if (net[22][0] + need <= net[19].size and need <= net[18].size
            and window.exchange_room(net[25], need)):
        return True
    if net[22][0] == 0 and window.exchange_empty(net[25]):
        net[26][0] = 1
    return False


def stretch_lif_curr_exp(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = neurons.lif_curr_exp(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


def stretch_lif_curr_alpha(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = neurons.lif_curr_alpha(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


def stretch_lif_curr_delta(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = neurons.lif_curr_delta(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


def stretch_izhikevich(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = neurons.izhikevich(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


# The conductance-based kernels may decline a step (a possibly stiff neuron: see
# neurons.DECLINED): the stretch then stops before it, with halt[0] set, and the
# step loop runs that step in NumPy.

def _declined(spiked, halt):
    if spiked.size == 1 and spiked[0] < 0:
        halt[0] = 1
        return True
    return False


def stretch_lif_cond_exp(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = neurons.lif_cond_exp(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        if _declined(spiked, net[26]):
            return k
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


def stretch_lif_cond_alpha(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = neurons.lif_cond_alpha(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        if _declined(spiked, net[26]):
            return k
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


def stretch_hodgkin_huxley(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = neurons.hodgkin_huxley(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        if _declined(spiked, net[26]):
            return k
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


def stretch_adex_cond_exp(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = adex.adex_cond_exp(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        if _declined(spiked, net[26]):
            return k
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


def stretch_adex_cond_alpha(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = adex.adex_cond_alpha(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        if _declined(spiked, net[26]):
            return k
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


def stretch_lif_cond_exp_sfa_rr(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = adaptive.lif_cond_exp_sfa_rr(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        if _declined(spiked, net[26]):
            return k
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


def stretch_gif_cond_exp(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = adaptive.gif_cond_exp(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        if _declined(spiked, net[26]):
            return k
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


# PointNeuron LIF with several receptors (kernels/multisynapse.py); the conductance
# one declines possibly stiff steps as the kernels above.

def stretch_lif_curr_multi(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = multisynapse_kernels.lif_curr_multi(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


def stretch_lif_cond_multi(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = multisynapse_kernels.lif_cond_multi(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        if _declined(spiked, net[26]):
            return k
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


def stretch_adex_cond_multi(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = multisynapse_kernels.adex_cond_multi(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        if _declined(spiked, net[26]):
            return k
        _after_step(k, spiked, net, _consumed(offset, n_receptors, size, net[3]))
    return k1


# The sPyNNaker flavour's tick (kernels/spinnaker.py), in fixed point and in float64.

def stretch_spinnaker_fixed(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = spinnaker.spinnaker_fixed(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        _after_step(k, spiked, net)
    return k1


def stretch_spinnaker_float(k0, k1, net, offset, n_receptors, size, args):
    ring, n_slots = net[0], net[2]
    for k in range(k0, k1):
        if not _room(k, net):
            return k
        spiked = spinnaker.spinnaker_float(
            k, _inputs(ring, (k + 1) % n_slots, offset, n_receptors, size), *args)
        _after_step(k, spiked, net)
    return k1
