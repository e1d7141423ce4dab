"""Compiled (Numba) versions of the engine's hot loops, and the choice of engine.

The NumPy code of each model family and of the synapse store is the reference
implementation. The functions in this package's modules do the same arithmetic,
operation for operation and in the same order, one neuron or synapse at a time,
so that compiled by Numba they give bit-identical results (the equivalence tests,
``tests/test_kernels.py``, run both engines side by side). The modules are plain
Python and import nothing of Numba: :func:`load` compiles them.

- :mod:`.neurons`: the step of the LIF families (current-based: exact propagators;
  conductance-based: RK4, declining stiff steps to the NumPy code), of Izhikevich
  and of Hodgkin-Huxley (equal to the NumPy step within a tolerance: the C
  library's expm1 rather than NumPy's);
- :mod:`.adex`: the AdEx step (EIF_cond_exp/alpha_isfa_ista), declining the steps the
  NumPy code integrates otherwise (stiff, or re-integrated in sub-steps); equal within
  a tolerance where NumPy's SIMD exp differs from the C library's;
- :mod:`.adaptive`: the IF_cond_exp_gsfa_grr and GIF_cond_exp steps (bit for bit; stiff
  steps declined; GIF's draws are the NumPy step's blocks);
- :mod:`.multisynapse`: the step of PointNeuron LIF with any number of current or
  conductance receptors (as :mod:`.neurons`' LIF steps, receptors as tuples of arrays),
  and of PointNeuron AdExp with conductance receptors (as :mod:`.adex`'s);
- :mod:`.delivery`: static spike delivery from the CSR into the ring buffer;
- :mod:`.plasticity`: plastic delivery (STDP's pair rule, Vogels-Sprekeler,
  Tsodyks-Markram, the stochastic synapses) with the
  rules' trace and weight updates;
- :mod:`.poisson`: SpikeSourcePoisson's counts per step (keyed draws, inversion);
- :mod:`.structural`: the sPyNNaker flavour's structural plasticity (delivery from a
  structural projection's static slots, the rewiring: formation and elimination);
- :mod:`.csr`: the synapse store's merge of queued synapses into its CSR;
- :mod:`.stretch`: many steps of a whole network in one compiled loop (for networks
  of one neuron family with a kernel, spike sources, static synapses and plastic
  ones whose rule has a kernel; see
  :mod:`..stretch`); :mod:`.window`: what such a loop takes from the current
  sources and, under MPI, hands to the spike exchange.

Beside them, not kernels: :mod:`.numba_start` (Numba's start), :mod:`.cache_lock`
(processes saving to one cache in turn), :mod:`.shipped` (kernels a wheel ships
precompiled) and :mod:`.precompile` (the tool that compiles them).

:func:`load` replaces each module's functions by their compiled versions, so that a
kernel calling another (a stretch calls the neuron step and the delivery) calls the
compiled one. Numba's cache keys a compiled function by the content of its own
file only, though the callee's code from another file is compiled into it: a
stretch cached with an older ``neurons.py`` would run the older neuron code. So
:func:`load` caches every kernel in a directory of its own sources' stamp (a hash
of every kernel source, this package's own module (its INLINED set and jit
options) and Numba's version, :func:`source_stamp`), a subdirectory
``tinysim-<stamp>`` of the directory Numba would use: kernels compiled from other
sources never share it. (A stamp file checked at load time was not enough:
compilation is lazy, so a process started before an edit could still write its
older code under the newer stamp.) Stamp directories unused for
:data:`PRUNE_AFTER_S` are removed by the next :func:`load` (:func:`_prune`).

A neuron group offers its kernel through ``NeuronGroup.compiled_kernel()`` (a name
here and its arguments) and a delivery through ``Delivery.compiled_deliver(kernels)``;
both return None where no kernel exists, and the step loop then calls the NumPy code.

Compilation is cached on disk (``cache=True``, in ``__pycache__`` next to the
modules, or Numba's per-user cache directory where that is not writable), so a user
pays it once per installation; the kernels are generic over sizes and parameters
(one compilation per argument type, never per network). Where no cache directory
is writable the kernels are compiled in every process instead (logged once), but for
those a wheel ships precompiled (:mod:`.shipped`), loaded read only. A process whose own
cache lacks a kernel also looks there before compiling it.

What compiles, and when (the one-time cost, measured in benchmarks/RESULTS.md):

- :func:`load` makes no dispatcher yet: each kernel's is made at its first use, and
  each kernel is compiled, or loaded from the cache, at its first call: a run pays
  for the kernels it uses (a HH network compiles the HH stretch and its callees, not
  the LIF ones). Before Numba compiles anything, every dispatcher is made
  (:class:`_Kernels`).
- Two sets: the serial kernels (``load()``'s namespace), compiled without Numba's
  parallel pass, their ``prange`` loops plain ``range`` loops; and, for runs on
  several threads only, ``load().threaded`` (:func:`for_threads`): variants of the
  kernels with ``prange`` loops and of their callers, compiled with
  ``parallel=True`` (several times slower to compile), in copies of the modules
  (:func:`_threaded_variants`). Both give the same bits whatever the thread count.
- Helpers that only kernels call (``internal`` in :func:`load`) are compiled without
  the Python wrapper a kernel called from Python needs.
"""

import importlib.util
import logging
import os
import sys
import types
import warnings

logger = logging.getLogger("pynn_tinysim")

#: the engines a Network accepts: "auto" (the default) loads the compiled kernels once
#: the network's runs are long enough to repay Numba's start-up (see :func:`worth_loading`)
ENGINES = ("auto", "numba", "numpy")

#: seconds Numba costs a process before the first kernel runs: importing Numba,
#: loading the cached kernels, and the larger exit (0.6 s to 1.6 s measured on a
#: 2-core machine, idle to busy, before :mod:`.numba_start`; 0.15-0.25 s since stop 31,
#: VA CUBA's whole process on both engines at 250 ms; counted twice, a margin for busy
#: machines)
START_COST_S = 0.5
#: seconds the compiled engine saves per step (the step loop's Python: 10-35 us a step
#: measured, VA CUBA 1000 cells to a small network with Poisson sources and two
#: projections, of which ~25 us is the Poisson group's own step, counted by the group:
#: ``PoissonSource.NUMPY_STEP_COST_S``) and per neuron and step (NumPy's temporaries: 5.3 ns, VA CUBA 1000 ->
#: 4000 cells at 2 s), so that VA CUBA 4000 compiles from ~1.25 s of biology (its
#: whole process breaks even at ~0.6 s) and stays on NumPy at 1 s
SAVED_PER_STEP_S = 20e-6
SAVED_PER_NEURON_STEP_S = 5e-9
#: seconds the compiled merge saves per queued static synapse (SynapseStore.compile:
#: 0.05 s rather than 0.25 s per million at the microcircuit's scale 0.25)
SAVED_PER_MERGED_SYNAPSE_S = 40e-9

_kernels = None          # the compiled namespace, once loaded
_import_error = None     # why Numba could not be imported, once tried
_warned = False          # the fallback warning is given once per process


def numba_installed():
    """True where Numba is installed (found without importing it: importing costs ~0.5 s)."""
    if _import_error is not None:
        return False
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):
        return False


def loaded():
    """The compiled kernels if they are loaded in this process, else None."""
    return _kernels


def worth_loading(n_steps, n_neurons, extra_per_step_s=0.0, n_merged=0):
    """Whether ``n_steps`` steps of ``n_neurons`` neurons repay loading the kernels;
    ``extra_per_step_s``: what the groups' NumPy steps cost beyond the usual (their
    ``numpy_step_cost_s``, e.g. HH's sub-stepped RK4: ~0.2 ms a step for one cell);
    ``n_merged``: static synapses the run's start will merge into the store."""
    saved = n_steps * (SAVED_PER_STEP_S + extra_per_step_s
                       + SAVED_PER_NEURON_STEP_S * n_neurons) \
        + SAVED_PER_MERGED_SYNAPSE_S * n_merged
    return saved > START_COST_S


def warn_missing():
    """Warn (once per process) that the NumPy engine runs because Numba is missing."""
    global _warned
    if not _warned:
        _warned = True
        reason = f" ({_import_error})" if _import_error is not None else ""
        warnings.warn(f"pyNN.tinysim: Numba cannot be imported{reason}; using the NumPy "
                      "engine (same results, slower)", RuntimeWarning, stacklevel=3)


#: helpers inlined into their callers by Numba (``inline="always"``): the stretches'
#: small per-step helpers (kernels/stretch.py). The helpers reading an optional part of
#: a stretch's ``net`` (``_draw``, ``_poisson_arrays``, ``_sample``...) are not
#: inlined: Numba prunes their code for an absent (None) part only in a function of
#: its own taking it as an argument. Nor are the two that do a step's work around the
#: neuron kernel, ``_room`` and ``_after_step``: inlined, they unpacked ``net`` (~30
#: arrays) in the stretch's own code, which counts a reference to each, every step (half
#: of a 10-cell network's run, measured with perf); called, they are ``UNCOUNTED``, and
#: each stretch compiles less (they compile once per type of ``net``, shared by the
#: neuron families).
INLINED = frozenset({"_inputs", "_consumed", "_declined",
                     # the plastic arenas' views, inlined into the uncounted path that
                     # cuts them (kernels/stretch_plastic.py: a view returned by a call
                     # is a reference its caller would have to drop)
                     "_cut", "_pair_view", "_tm_view", "_simple_view", "_mq_view",
                     "_stm_view", "_board_view", "_float_view"})

#: helpers compiled without Numba's reference counting (its runtime, NRT, off: Numba's
#: ``_nrt`` option). A compiled function counts a reference to every array it takes, an
#: atomic increment on entry and a decrement on exit; these take 5-40 arrays each and are
#: called once per synapse or event (the flavour's post events, RecurrentRule's steps,
#: the neuromodulation's histories) or once per CSR row or column (the plastic rules'
#: row and column loops), where the counting cost the flavour's STDP 40 % of its run
#: time (measured, RESULTS.md). Safe because each only reads and writes its caller's
#: arrays, alive for the call: it allocates none (Numba refuses to compile an
#: allocation without NRT, also in the helpers it calls) and returns none
#: (tests/test_kernel_loading.py checks both, and that the option took effect). A helper
#: they call compiles the same way where they compile it first, so the plastic kernels
#: a stretch reaches are members too (their callers pass the rounds' scratch,
#: ``RoundsScratch`` in the step loop: they allocate nothing), and helpers returning an
#: array are inlined (``INLINED``).
UNCOUNTED = frozenset({
    # kernels/stretch.py and kernels/poisson.py: a stretch's step around its neuron
    # kernel, at every step (``net``: ~30 arrays; the Poisson draw's table is scratch)
    "_after_step", "_room", "_draw", "poisson_counts",
    # kernels/stretch_plastic.py: a stretch's path to its plastic projections, at every
    # step with spikes (the kinds' arenas: tens of arrays a call)
    "deliver_plastic", "_stretch_pair", "_stretch_tm", "_stretch_simple", "_stretch_mq",
    "_stretch_stm", "_stretch_board", "_stretch_float", "plastic_room", "_pair_room",
    "_board_room", "_float_room", "_queue_room", "_log_room",
    # kernels/plasticity.py (the kernels that path reaches, given the rounds' scratch)
    "_pair_column", "_pair_pre_row", "_log_apply", "_deferred", "_next_round",
    "pair_deliver_queued", "_pair_pre_spikes", "queue_posts", "tsodyks_markram_deliver",
    "simple_stochastic_deliver", "stochastic_tm_deliver", "multi_quantal_deliver",
    # kernels/spinnaker_plasticity.py
    "_board_pre_row", "_float_pre_row", "_post_column", "_event_board", "_bump_post",
    "_event_float", "_bump_float", "spinnaker_pair_deliver",
    "spinnaker_pair_deliver_queued", "spinnaker_float_deliver_queued", "_due_events",
    # kernels/spinnaker_recurrent.py
    "_step_up", "_step_down", "_open_windows",
    # kernels/spinnaker_neuromodulation.py
    "_append", "_add_post_spike", "_window", "_modulated_float_row",
    "_modulated_fixed_row"})


def jit(function, parallel=False, internal=False, cache=None):
    """``function`` compiled by Numba in nopython mode, cached on disk where possible;
    ``parallel``: its ``prange`` loops run on several threads; ``internal``: called
    only by other kernels, never from Python (no Python wrapper is compiled for it);
    a helper named in :data:`INLINED` is inlined into the kernels calling it, one named
    in :data:`UNCOUNTED` counts no references;
    ``cache``: the cache class (:func:`_stamped_cache`; None: Numba's own)."""
    import numba
    # (no C-callable wrapper: it serves only calls through a first-class function type,
    # which no kernel meets; it cost every kernel called from Python one more
    # function to compile, ~5 % of a stretch's compilation)
    options = dict(parallel=parallel, no_cfunc_wrapper=True)
    if function.__name__ in INLINED:
        options["inline"] = "always"
    if function.__name__ in UNCOUNTED and _uncounted_supported(numba):
        options["_nrt"] = False
    if internal:    # (calling it from Python would crash: there is nothing to call)
        options.update(no_cpython_wrapper=True)
    try:
        if cache is None:
            return numba.njit(cache=True, **options)(function)
        dispatcher = numba.njit(**options)(function)
        dispatcher._cache = cache(dispatcher.py_func)   # what cache=True does, our class
        return dispatcher
    except RuntimeError as error:
        # Numba finds no writable cache directory (nor a source file): compile per process
        logger.info("pyNN.tinysim: compiled kernels are not cached (%s)", error)
        dispatcher = numba.njit(**options)(function)
        # ... but for the kernels the package ships precompiled (see .shipped), if any
        read_only = getattr(cache, "read_only", None)
        if read_only is not None:
            try:
                dispatcher._cache = read_only(dispatcher.py_func)
            except RuntimeError:        # (none for this stamp)
                pass
        return dispatcher


def _uncounted_supported(numba):
    """Whether this Numba takes the ``_nrt`` option (:data:`UNCOUNTED`); where a later
    version drops it, those helpers count references as the others do (slower, the same
    results)."""
    from numba.core.cpu import CPUTargetOptions
    return hasattr(CPUTargetOptions, "_nrt")


#: neurons in a group below which its step runs on one thread. A parallel region of
#: Numba's (OpenMP layer) costs ~10 us a step on the 2-core machine: VA COBA's 4000
#: cells on 2 threads took 1.6-2.1 s for 10 s of biology against 1.28 s on one (VA CUBA
#: 1.16 against 0.60 s); the full-scale microcircuit's groups of 5 000-22 000 cells gain
#: nothing either (21.4 s against 21.0 s), so only larger groups are split
PARALLEL_MIN_NEURONS = 20000


def threads(requested=None):
    """The threads the kernels use for this run (sets Numba's count; needs load()).

    ``requested``: ``setup(threads=N)``'s N, or None: one thread, unless the
    environment variable NUMBA_NUM_THREADS is set, which then gives the count (and
    ``numba.set_num_threads`` below it). Never more than NUMBA_NUM_THREADS (Numba's
    limit: the number of cores where unset). Results do not depend on it.

    One thread by default (as NEST's ``threads``): the threads meet at every time
    step, which pays on idle cores (up to 2x on 2) but costs heavily where other
    processes hold the cores (a descheduled thread stalls every step: VA CUBA 10 s
    took 41 s instead of 3 s on 2 threads of a 2-core machine at load 5).
    """
    import numba
    if requested is None:
        if "NUMBA_NUM_THREADS" not in os.environ:
            return 1            # (Numba's own count, for the user's code, is left alone)
        return numba.get_num_threads()
    count = max(1, min(int(requested), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(count)
    return count


def chunks(size, n_threads):
    """How many chunks (threads) a group of ``size`` neurons is updated in."""
    return n_threads if n_threads > 1 and size >= PARALLEL_MIN_NEURONS else 1


def uniform_parameters(*arrays):
    """``arrays`` (a kernel's per-neuron parameter arrays), each cut to its first element
    where every element of every one of them is the same (bit for bit: -0.0 is not 0.0),
    else as they are.

    A kernel given one-element parameters loops over the state only, with the
    parameters as scalars: the same arithmetic, so the same bits, with fewer arrays to
    load per neuron (the LIF update of 4000 cells: 4.2 -> 1.7 us a step, measured).
    Networks whose cells share their parameters (most: a Population's are uniform
    unless set from a distribution) take that path; their kernel is then also given
    ``varied`` None, so that Numba compiles no per-neuron loop for them (half the
    kernel's one-time compilation).
    """
    import numpy as np
    for a in arrays:
        flat = a.reshape(-1)
        if flat.size and not np.all(flat.view(np.uint64) == flat[:1].view(np.uint64)):
            return arrays
    return tuple(a[:1] for a in arrays)


def _check_unique_names(table):
    """Raise where two kernel modules of ``table`` ((module, names) pairs) list a function
    of the same name: the namespace :func:`load` returns, ``internal``, :data:`INLINED`
    and :data:`UNCOUNTED` all go by the bare name, so the second would silently take the
    first's place and options."""
    first = {}
    for module, names in table:
        for name in names:
            other = first.setdefault(name, module)
            if other is not module:
                raise RuntimeError(f"kernel name {name!r} is in both {other.__name__} and "
                                   f"{module.__name__}: rename one")


def load():
    """The compiled kernels (a namespace of functions), or None where Numba is missing.

    The first call where Numba cannot be imported warns once, then the NumPy engine
    runs everything. The first that can starts Numba (:mod:`.numba_start`: its import
    and the dispatchers with the garbage collector paused; the kernels' cache loads
    them without refreshing Numba's whole compiler target).
    """
    global _kernels, _import_error
    if _kernels is not None:
        return _kernels
    from . import numba_start
    if _import_error is None:
        try:
            numba = numba_start.import_numba()
        except ImportError as error:        # e.g. a Python that Numba does not support yet
            _import_error = error
    if _import_error is not None:
        warn_missing()
        return None
    with numba_start.collector_paused():
        _kernels = _dispatchers(numba)
    return _kernels


def _dispatchers(numba):
    """The namespace :func:`load` returns: every kernel's dispatcher, serial and threaded."""
    from .cache_lock import serialise_saves
    serialise_saves()       # processes sharing the cache save in turn (see cache_lock)
    from . import csr, delivery, neurons, plasticity, poisson, spinnaker, stretch, window
    from . import adex
    from . import adaptive
    from . import multisynapse
    from . import spinnaker_plasticity
    from . import spinnaker_neuromodulation
    from . import structural
    from . import spinnaker_recurrent
    from . import stretch_plastic
    # the chunk loops of these run on several threads (numba.prange) in the threaded
    # variants (see _threaded_variants)
    parallel = {"lif_curr_exp", "lif_curr_alpha", "lif_curr_delta", "izhikevich", "_lif_cond",
                "hodgkin_huxley", "deliver_static", "spinnaker_fixed", "spinnaker_float"}
    parallel |= {"_adex", "lif_cond_exp_sfa_rr", "gif_cond_exp"}
    # called only by other kernels, never from Python: compiled without a Python
    # wrapper (a third less compilation; a call from Python would crash)
    internal = {"_flags", "_spikes", "_flagged", "_chunk", "_lif_curr_exp_neuron",
                "_lif_curr_exp_range", "_lif_curr_alpha_range",
                "_lif_curr_delta_range", "_izhikevich_range", "_cond_stiff", "_cond_derivative",
                "_lif_cond_range", "_lif_cond", "_x_over_expm1", "_hh_derivatives", "_hh_range",
                "exchanging", "export", "exchange_room", "exchange_empty",
                "_inputs", "_sample", "_after_step", "_consumed", "_draw", "_room", "_declined",
                "_poisson_arrays", "_pair_pre_spikes", "pair_deliver_queued", "_cut", "_pair_view",
                "_tm_view",
                "deliver_plastic", "plastic_room", "_deferred", "_next_round"}
    internal |= {"_adex_rhs", "_adex_stiff", "_adex_theta", "_adex_g", "_adex_stage",
                 "_adex_range", "_adex_commit",
                 "_adex", "_sfa_rr_stiff", "_sfa_rr_derivative", "_sfa_rr_range",
                 "_gif_stiff", "_gif_derivative", "_gif_range"}
    internal |= {"_synapse_word", "_simple_view", "_mq_view", "_stretch_pair", "_stretch_tm",
                 "_stretch_simple", "_stretch_mq", "_pair_room"}
    internal |= {"_surv_steps", "_stm_view", "_stretch_stm", "_facil_exponent", "_next_listed"}
    internal |= {"_row", "_trace_decay", "_power", "_log_apply", "_needed_len",
                 "_pair_column", "_pair_pre_row", "_stdp_pending", "_stdp_depressed",
                 "_vogels_weight", "_log_room"}
    # PointNeuron LIF with several receptors (kernels/multisynapse.py)
    parallel |= {"lif_curr_multi", "lif_cond_multi"}
    internal |= {"_lif_curr_multi_range", "_cond_multi_add", "_cond_multi_stiff",
                 "_lif_cond_multi_range"}
    # PointNeuron AdExp with conductance receptors (kernels/multisynapse.py)
    parallel |= {"adex_cond_multi"}
    internal |= {"_adex_multi_g", "_adex_multi_stiff", "_adex_multi_range",
                 "_adex_multi_commit"}
    # the sPyNNaker flavour's alpha synapses (kernels/spinnaker.py)
    internal |= {"_div", "_fixed_alpha", "_float_alpha"}
    # the sPyNNaker flavour's STDP (kernels/spinnaker_plasticity.py)
    internal |= {"_fmul_lut", "_mul_accum_fixed", "_at", "_oldest_kept", "_board_pre_row",
                 "_bump_post", "_fdec", "_fclip", "_event_float", "_bump_float",
                 "_float_pre_row", "_event_board", "_post_column"}
    # ... and inside compiled stretches
    internal |= {"_board_view", "_due_events", "spinnaker_pair_deliver_queued",
                 "_stretch_board", "_board_room", "queue_posts", "_float_view",
                 "spinnaker_float_deliver_queued", "_stretch_float", "_float_room",
                 "_queue_room"}
    # the flavour's structural plasticity (kernels/structural.py)
    internal |= {"_rand_int", "_squared_distance", "_form_plastic"}
    # the sPyNNaker flavour's RecurrentRule (kernels/spinnaker_recurrent.py)
    internal |= {"_mac", "_step_up", "_step_down", "_merge_sort", "_open_windows", "_replay",
                 "_pre_spikes"}
    # the flavour's FixedProbabilityThreshold and sEMD synapses (kernels/spinnaker.py)
    internal |= {"_fires", "_fixed_semd", "_float_semd"}
    # the flavour's neuromodulated STDP (kernels/spinnaker_neuromodulation.py)
    internal |= {"_dec", "_idec", "_bits", "_tmul", "_append", "_add_post_spike", "_window",
                 "_modulated_float_row", "_modulated_fixed_row"}
    # the flavour's MaassStochasticThreshold (kernels/spinnaker.py)
    internal |= {"_maass_draws", "_maass_fixed", "_maass_float"}
    table = (
        (neurons, ("_flags", "_flagged", "_spikes", "_chunk", "_lif_curr_exp_neuron",
                   "_lif_curr_exp_range", "lif_curr_exp",
                   "_lif_curr_alpha_range", "lif_curr_alpha", "_lif_curr_delta_range",
                   "lif_curr_delta", "_izhikevich_range", "izhikevich", "_cond_stiff",
                   "_cond_derivative", "_lif_cond_range", "_lif_cond", "lif_cond_exp",
                   "lif_cond_alpha", "_x_over_expm1", "_hh_derivatives", "_hh_range",
                   "hodgkin_huxley")),
        (adex, ("_adex_rhs", "_adex_stiff", "_adex_theta", "_adex_g", "_adex_stage",
                "_adex_range", "_adex_commit",
                "_adex", "adex_cond_exp", "adex_cond_alpha")),
        (adaptive, ("_sfa_rr_stiff", "_sfa_rr_derivative", "_sfa_rr_range",
                    "lif_cond_exp_sfa_rr", "_gif_stiff", "_gif_derivative", "_gif_range",
                    "gif_cond_exp")),
        (delivery, ("deliver_static",)),
        (csr, ("place",)),
        (poisson, ("_mix", "step_uniform", "invert", "poisson_counts")),
        (plasticity, ("_np_max", "_np_min", "_ring_add", "_stdp_pending",
                      "_stdp_depressed", "_vogels_weight", "_deferred", "_next_round",
                      "_pair_pre_spikes", "_pair_pre_row", "_pair_column",
                      "pair_deliver",
                      "tsodyks_markram_deliver", "pair_deliver_queued",
                      # the stochastic synapses (keyed draws)
                      "_keyed_step", "_keyed_unit", "_synapse_word", "_keyed_binomial",
                      "simple_stochastic_deliver", "stochastic_tm_exponents",
                      "stochastic_tm_deliver", "multi_quantal_deliver", "queue_posts")),
        # StochasticTsodyksMarkram; Tsodyks-Markram's listed decays
        (plasticity, ("_surv_steps", "tm_exponents",
                      "_next_listed", "pair_exponents", "_facil_exponent",
                      "multi_quantal_exponents")),
        # STDP's log of pending post events (Gutig), per-synapse trace time constants
        (plasticity, ("_row", "_trace_decay", "_power", "_log_apply", "_needed_len",
                      "pair_log_export")),
        # a stretch's path to its plastic projections (kernels/stretch_plastic.py)
        (stretch_plastic, ("_cut", "_pair_view", "_tm_view", "_simple_view", "_mq_view",
                           "_stm_view", "_board_view", "_float_view", "deliver_plastic",
                           "_stretch_pair", "_stretch_tm", "_stretch_simple", "_stretch_mq",
                           "_stretch_stm", "_stretch_board", "_stretch_float",
                           "plastic_room", "_pair_room", "_board_room", "_float_room",
                           "_queue_room", "_log_room")),
        (spinnaker, ("_to_fix", "_mul", "_decay", "_fixed_arrivals", "_fixed_currents",
                     "_fixed_range", "_float_range",
                     "spinnaker_fixed", "spinnaker_float")),
        (window, ("inject", "exchanging", "export", "exchange_room", "exchange_empty")),
        (spinnaker, ("_div", "_fixed_alpha", "_float_alpha")),
        (spinnaker, ("_fires", "_fixed_semd", "_float_semd")),
        (spinnaker, ("_maass_draws", "_maass_fixed", "_maass_float")),
        (multisynapse, ("_lif_curr_multi_range", "lif_curr_multi", "_cond_multi_add",
                        "_cond_multi_stiff", "_lif_cond_multi_range", "lif_cond_multi")),
        (stretch, ("_inputs", "_sample", "_after_step", "_consumed", "_draw", "_room",
                   "_declined", "_poisson_arrays",
                   "stretch_lif_curr_exp",
                   "stretch_lif_curr_alpha", "stretch_lif_curr_delta", "stretch_izhikevich",
                   "stretch_lif_cond_exp", "stretch_lif_cond_alpha",
                   "stretch_hodgkin_huxley", "stretch_spinnaker_fixed",
                   "stretch_spinnaker_float")),
        (stretch, ("stretch_adex_cond_exp", "stretch_adex_cond_alpha",
                   "stretch_lif_cond_exp_sfa_rr", "stretch_gif_cond_exp")),
        (stretch, ("stretch_lif_curr_multi", "stretch_lif_cond_multi")),
        (spinnaker_plasticity, ("_fmul_lut", "_mul_accum_fixed", "_at", "_oldest_kept",
                                "_board_pre_row", "_bump_post", "_fdec", "_fclip",
                                "_event_float", "_bump_float", "_float_pre_row",
                                "_event_board", "_post_column", "spinnaker_pair_deliver",
                                "_due_events", "spinnaker_pair_deliver_queued",
                                "spinnaker_float_deliver_queued")),
        (spinnaker_recurrent, ("_mac", "_step_up", "_step_down", "_merge_sort",
                               "_open_windows", "_replay", "_pre_spikes",
                               "recurrent_deliver", "recurrent_log_compact")),
        (multisynapse, ("_adex_multi_g", "_adex_multi_stiff", "_adex_multi_range",
                        "_adex_multi_commit", "adex_cond_multi")),
        (stretch, ("stretch_adex_cond_multi",)),
        (spinnaker_neuromodulation, ("_dec", "_idec", "_bits", "_tmul", "_append",
                                     "_add_post_spike", "dopamine_deliver", "_window",
                                     "_modulated_float_row", "_modulated_fixed_row",
                                     "neuromodulated_deliver")),
        # the flavour's structural plasticity (kernels/structural.py)
        (structural, ("structural_static_deliver", "_rand_int", "_squared_distance",
                      "_form_plastic", "structural_rewire", "structural_local_pre")),
    )
    # every kernel is cached in the directory of these sources' stamp (see the docstring);
    # this module is one of them, since its INLINED set and jit options shape the code
    stamp = source_stamp([sys.modules[__name__]] + [m for m, _ in table], numba.__version__)
    cache = _stamped_cache(stamp)
    _check_unique_names(table)
    kernels = _Kernels(table, parallel, internal, numba.prange, cache, stamp)
    if cache is None:       # (no stamped cache to say when Numba compiles: all of them now)
        kernels.make_all()
    # (every kernel's cache directory is in the same one: the kernel modules' directory)
    _prune([kernels.place], stamp)
    return kernels


class _Kernels:
    """The namespace :func:`load` returns: the kernels by name (``kernels.lif_curr_exp``),
    each Numba's dispatcher, in the serial set; ``threaded``: the set for runs on several
    threads (:func:`_threaded_variants`); ``stamp``: their cache directories' stamp.

    A kernel's dispatcher is made at its first use, not all ~240 at the start: making one
    finds and checks its cache directory (a file made and removed), and a run uses a
    few (~0.03 s and ~11 000 objects a process, measured, for all of them). Loading a
    kernel from the cache needs only its own dispatcher, its callees' code being in its
    cached library. Compiling one needs them all: Numba types the kernels it calls by
    their modules' globals, which must be dispatchers by then. So the kernels' cache
    (:func:`_stamped_cache`) calls :func:`_before_compiling` where a kernel is not
    cached, which makes every dispatcher (:meth:`make_all`), each replacing its function
    in its module, as before Numba compiles anything; without that cache (none
    writable), :meth:`make_all` runs at once."""

    def __init__(self, table, parallel, internal, prange, cache, stamp):
        self._table, self._parallel, self._internal = table, parallel, internal
        self._prange, self._cache_class, self._all = prange, cache, False
        self._modules = {name: module for module, names in table for name in names}
        self.stamp = stamp

    def __getattr__(self, name):    # (only for a name not made yet)
        modules = self.__dict__.get("_modules")
        if modules is None or name not in modules:
            raise AttributeError(name)
        return self._make(name)

    def _make(self, name):
        module = self._modules[name]
        function = getattr(module, name)
        if not hasattr(function, "py_func"):
            function = jit(function, internal=name in self._internal, cache=self._cache_class)
            # (so that a kernel calling it by its module's global calls the compiled one)
            setattr(module, name, function)
        setattr(self, name, function)
        if not self._all and self._cache_class is not None \
                and not isinstance(getattr(function, "_cache", None), self._cache_class):
            self.make_all()     # uncached (no writable directory): nothing hooks compiling
        return function

    def make_all(self):
        """Make every kernel's dispatcher not made yet."""
        self._all = True
        for name in self._modules:
            if name not in self.__dict__:
                self._make(name)

    @property
    def threaded(self):
        threaded = self.__dict__.get("_threaded")
        if threaded is None:
            self.make_all()     # (the variants' modules take the serial dispatchers)
            variants = _threaded_variants(self._table, self._parallel, self._internal,
                                          self._prange, self._cache_class)
            serial = {name: self.__dict__[name] for name in self._modules}
            threaded = self._threaded = types.SimpleNamespace(**{**serial, **variants})
        return threaded


def _before_compiling():
    """Numba is about to compile a kernel (not in the cache): every kernel's dispatcher
    is made first, as its callers' typing finds them (:class:`_Kernels`)."""
    if _kernels is not None:
        _kernels.make_all()


def for_threads(kernels, n_threads):
    """The kernels a run on ``n_threads`` threads calls: the serial ones (the namespace
    of :func:`load`) on one thread, else their threaded variants (same bits)."""
    if kernels is None or n_threads <= 1:
        return kernels
    return kernels.threaded


#: what a threaded variant's qualified name adds (its own entry in Numba's cache: the
#: cache keys a kernel by file, qualified name, signature and bytecode only, and a
#: variant has the serial kernel's bytecode)
THREADED_SUFFIX = "__threaded"


def _threaded_variants(table, parallel, internal, prange, cache=None):
    """Dispatchers (by name) of the kernels whose threaded variant differs from the serial one.

    The serial kernels run ``prange`` loops as ``range`` and are compiled without
    Numba's parallel pass: that pass and the threading layer make a kernel several
    times slower to compile, for a run on one thread (the default) that gains nothing.
    A run on several threads calls these instead: for each module of ``table`` a copy
    (its ``prange`` Numba's, its references to the table's modules to their copies),
    holding a variant of each kernel named in ``parallel`` (compiled with
    ``parallel=True``) and of each kernel calling one, directly or not (found by the
    names its code uses); the other kernels are shared with the serial set.
    ``internal``: the names compiled without a Python wrapper (see :func:`load`);
    ``cache``: as for :func:`jit`.
    """
    # (by name, as the namespaces are: a name two modules define is threaded in both
    # where either needs it)
    functions = [(name, getattr(module, name).py_func) for module, names in table
                 for name in names]
    threaded = set(parallel) & {name for name, _ in functions}
    uses = [(name, _names_used(function.__code__)) for name, function in functions]
    grown = True
    while grown:        # callers of a threaded kernel, to a fixed point
        grown = False
        for name, used in uses:
            if name not in threaded and used & threaded:
                threaded.add(name)
                grown = True
    copies = {}
    for module, _ in table:
        if module.__name__ not in copies:
            copy = types.ModuleType(module.__name__ + THREADED_SUFFIX)
            copy.__dict__.update(vars(module))
            copies[module.__name__] = copy
    for copy in copies.values():
        for key, value in list(vars(copy).items()):
            if isinstance(value, types.ModuleType) and value.__name__ in copies:
                setattr(copy, key, copies[value.__name__])
        if "prange" in vars(copy):
            copy.prange = prange
        if "SERIAL" in vars(copy):     # (their one-chunk shortcut: see neurons.SERIAL)
            copy.SERIAL = False
    variants = {}
    for module, names in table:
        copy = copies[module.__name__]
        for name in names:
            if name not in threaded:
                continue
            serial = getattr(module, name).py_func
            function = types.FunctionType(serial.__code__, vars(copy), serial.__name__,
                                          serial.__defaults__, serial.__closure__)
            function.__kwdefaults__ = serial.__kwdefaults__
            function.__module__ = serial.__module__     # Numba finds the source by it
            function.__qualname__ = serial.__qualname__ + THREADED_SUFFIX
            function.__doc__ = serial.__doc__
            variants[name] = jit(function, parallel=name in parallel, internal=name in internal,
                                 cache=cache)
            setattr(copy, name, variants[name])
    return variants


def _names_used(code):
    """The global and attribute names a function's code (nested code included) uses."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names_used(constant)
    return names


#: the prefix of the cache directory of one stamp of the kernel sources (in the directory
#: Numba would cache them in)
STAMP_PREFIX = "tinysim-"
#: seconds after which load() removes another stamp's directory it finds unused (not
#: at once: a process started before the sources changed may still be writing there)
PRUNE_AFTER_S = 3600.0


def source_stamp(modules, numba_version):
    """The stamp of the kernel sources (``modules``' files) and Numba's version, or None
    where a source cannot be read (a frozen or zipped installation)."""
    import hashlib
    digest = hashlib.sha256(numba_version.encode())
    try:
        for module in modules:
            with open(module.__file__, "rb") as source:
                digest.update(source.read())
    except (OSError, TypeError):
        logger.info("pyNN.tinysim: cannot stamp the compiled kernels' sources")
        return None
    return digest.hexdigest()[:20]


def _stamped_cache(stamp):
    """A Numba cache class (for :func:`jit`) keeping its files in a subdirectory
    ``tinysim-<stamp>`` of the directory Numba chooses (its own order: NUMBA_CACHE_DIR,
    the source's ``__pycache__``, the per-user cache... whichever is writable), and
    loading a kernel without refreshing Numba's whole compiler target (see
    :mod:`.numba_start`), or None (Numba's own cache) where there is no stamp or this
    Numba lacks the classes."""
    from numba.core import caching

    from . import shipped
    function_cache = getattr(caching, "FunctionCache", None)
    impl = getattr(caching, "CompileResultCacheImpl", None)
    if stamp is None or function_cache is None or impl is None:
        logger.info("pyNN.tinysim: compiled kernels cached without their sources' stamp")
        return None

    class StampedLocator:
        """Numba's chosen locator, its directory one level down."""

        def __init__(self, inner):
            self._inner = inner
            self._path = os.path.join(inner.get_cache_path(), STAMP_PREFIX + stamp)

        def __getattr__(self, name):        # the source stamp, the disambiguator...
            return getattr(self._inner, name)

        def get_cache_path(self):
            return self._path

        def ensure_cache_path(self):
            os.makedirs(self._path, exist_ok=True)

    class StampedImpl(impl):
        def __init__(self, py_func):
            super().__init__(py_func)
            self._locator = StampedLocator(self._locator)
            try:
                self._locator.ensure_cache_path()
            except OSError as error:        # (jit then compiles uncached)
                raise RuntimeError(f"cannot make {self._locator.get_cache_path()}: {error}")

    class StampedFunctionCache(function_cache):
        _impl_class = StampedImpl

        def load_overload(self, sig, target_context):
            # Numba's refreshes the whole target first, which only compiling needs
            # (~0.15 s a process), and imports the modules of the environments it
            # unpickles (~0.04 s): see numba_start. Where this installation's own
            # cache lacks the kernel, the package's precompiled kernels may have it
            # (see .shipped)
            from . import numba_start
            if not (hasattr(self, "_load_overload")
                    and hasattr(self, "_guard_against_spurious_io_errors")
                    and numba_start.runtime_ready(target_context)):
                loaded = super().load_overload(sig, target_context)
                if loaded is None:      # (then the kernels shipped precompiled, if any)
                    loaded = shipped.load_overload(self, stamp, sig, target_context)
            else:
                with self._guard_against_spurious_io_errors(), \
                        numba_start.environments_unimported():
                    loaded = self._load_overload(sig, target_context)
                    if loaded is None:
                        loaded = shipped.load_overload(self, stamp, sig, target_context)
            if loaded is None:      # Numba compiles it next
                _before_compiling()
            return loaded

    class ShippedLocator(*_source_locator_bases(caching)):
        """Where no cache directory is writable: the precompiled kernels' directory of
        this stamp (see .shipped), read only, if there is one."""

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno

        def ensure_cache_path(self):
            pass

        def get_cache_path(self):
            return shipped.stamp_directory(stamp)

        @classmethod
        def from_function(cls, py_func, py_file):
            path = shipped.stamp_directory(stamp)
            return cls(py_func, py_file) if path and os.path.isdir(path) else None

    class ShippedOnlyImpl(impl):
        _locator_classes = [ShippedLocator]

    class ShippedOnlyCache(StampedFunctionCache):
        """The cache of a kernel where no directory is writable: it loads the precompiled
        kernels and saves nothing (what is not there is compiled in every process)."""
        _impl_class = ShippedOnlyImpl
        read_only = None

        @property
        def cache_path(self):       # (none of its own: _prune leaves that directory alone)
            return None

        def save_overload(self, sig, data):
            pass

    if _source_locator_bases(caching):
        StampedFunctionCache.read_only = ShippedOnlyCache
    return StampedFunctionCache


def _source_locator_bases(caching):
    """The bases of Numba's locators of a function backed by a source file (private
    classes: an empty tuple where this Numba lacks them)."""
    bases = (getattr(caching, "_SourceFileBackedLocatorMixin", None),
             getattr(caching, "_CacheLocator", None))
    return bases if None not in bases else ()


def _prune(dispatchers, stamp):
    """Remove the stamp directories beside those of ``dispatchers`` that no process has
    written to for :data:`PRUNE_AFTER_S` (other sources' kernels), and the kernel cache
    files of versions that kept them directly in Numba's directory."""
    import shutil
    import time
    if stamp is None:
        return
    # (an uncached kernel, where no directory is writable, has no path)
    paths = {getattr(getattr(d, "_cache", None), "cache_path", None) for d in dispatchers}
    parents = {os.path.dirname(p) for p in paths
               if p and os.path.basename(p) == STAMP_PREFIX + stamp}
    now = time.time()
    for parent in parents:
        try:
            entries = list(os.scandir(parent))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.name.startswith(STAMP_PREFIX) and entry.is_dir() \
                        and entry.name != STAMP_PREFIX + stamp:
                    if now - entry.stat().st_mtime > PRUNE_AFTER_S:
                        shutil.rmtree(entry.path, ignore_errors=True)
                elif entry.name == "pynn_tinysim_kernels.stamp" or (
                        entry.name.endswith((".nbi", ".nbc"))
                        and entry.name.split(".")[0] in _KERNEL_MODULES):
                    os.remove(entry.path)       # the unstamped layout of earlier versions
            except OSError:
                pass


#: the kernel modules' names (their cache files in the unstamped layout start so)
_KERNEL_MODULES = frozenset({"csr", "delivery", "neurons", "plasticity", "poisson",
                             "spinnaker", "stretch", "window"})
