"""How kernels.load() prepares the compiled kernels: serial and threaded sets, what a
run compiles, the cache stamp over both sets, and the uncached fallback.

(test_kernels.py compares the engines' results; this file checks the loading
mechanism that decides what is compiled: see pynn_tinysim/engine/kernels/__init__.py.)
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

from pynn_tinysim.engine import kernels

numba = pytest.importorskip("numba")

BENCHMARKS = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"


def test_threaded_variants_only_where_threads_change_the_code():
    """The serial kernels are compiled without the parallel pass, their prange loops
    plain loops; load().threaded holds parallel variants of the prange kernels and of
    their callers (with their own cache entries), and shares the other kernels."""
    from pynn_tinysim.engine.kernels import delivery, neurons
    k = kernels.load()
    t = k.threaded
    for name in ("lif_curr_exp", "lif_cond_exp", "hodgkin_huxley", "deliver_static",
                 "stretch_lif_curr_exp", "stretch_hodgkin_huxley", "_after_step", "_lif_cond"):
        assert getattr(t, name) is not getattr(k, name), name
        assert not getattr(k, name).targetoptions.get("parallel"), name
        assert getattr(t, name).py_func.__qualname__.endswith(kernels.THREADED_SUFFIX)
        # the same source: one cache directory, one stamp for both sets
        assert getattr(t, name)._cache.cache_path == getattr(k, name)._cache.cache_path
    for name in ("lif_curr_exp", "hodgkin_huxley", "deliver_static", "_lif_cond"):
        assert getattr(t, name).targetoptions["parallel"], name
    # a caller's variant is not parallel itself; it calls the threaded callee
    assert not t.stretch_lif_curr_exp.targetoptions.get("parallel")
    assert t.stretch_lif_curr_exp.py_func.__globals__["neurons"].lif_curr_exp is t.lif_curr_exp
    assert t._after_step.py_func.__globals__["delivery"].deliver_static is t.deliver_static
    assert t.lif_cond_exp.py_func.__globals__["_lif_cond"] is t._lif_cond
    assert t.lif_curr_exp.py_func.__globals__["prange"] is numba.prange
    # the serial modules keep range; their kernels call the serial callees
    assert neurons.prange is range and delivery.prange is range
    assert k.stretch_lif_curr_exp.py_func.__globals__["neurons"].lif_curr_exp is k.lif_curr_exp
    # kernels without prange and calling none are shared
    for name in ("_spikes", "_chunk", "_hh_derivatives", "_x_over_expm1", "_room",
                 "_inputs", "_sample", "_cond_derivative"):
        assert getattr(t, name) is getattr(k, name), name
    # helpers only kernels call have no Python wrapper; the kernels Python calls do
    assert k._after_step.targetoptions["no_cpython_wrapper"]
    assert not k.stretch_lif_curr_exp.targetoptions.get("no_cpython_wrapper", False)
    assert not t.deliver_static.targetoptions.get("no_cpython_wrapper", False)
    assert kernels.for_threads(k, 1) is k
    assert kernels.for_threads(k, 2) is t
    assert kernels.for_threads(None, 3) is None


def test_two_kernel_modules_cannot_share_a_function_name():
    """load() refuses a table where two modules list a function of the same name (the
    namespace and the options go by bare names: one would shadow the other); the same
    module listed twice is fine."""
    import types
    first, second = types.ModuleType("first"), types.ModuleType("second")
    kernels._check_unique_names([(first, ("_a", "_b")), (first, ("_c",)),
                                 (second, ("_d",))])
    with pytest.raises(RuntimeError, match="'_b' is in both first and second"):
        kernels._check_unique_names([(first, ("_a", "_b")), (second, ("_b",))])


def test_every_kernel_cached_under_its_sources_stamp():
    """Every dispatcher, serial and threaded, keeps its cache in the directory of the
    kernel sources' stamp, so kernels of other sources (a stale threaded variant as
    much as a serial kernel) are never loaded."""
    import os
    k = kernels.load()
    stamp = k.stamp
    assert stamp
    for namespace in (k, k.threaded):
        for name, dispatcher in vars(namespace).items():
            if hasattr(dispatcher, "py_func"):
                path = dispatcher._cache.cache_path
                assert os.path.basename(path) == kernels.STAMP_PREFIX + stamp, name
                assert os.path.isdir(path), name


def test_variants_found_through_the_callers_names():
    """_names_used sees global and attribute names, nested code included."""
    def outer(x):
        def inner(y):
            return module.kernel(y)
        return helper(inner(x))
    names = kernels._names_used(outer.__code__)
    assert {"module", "kernel", "helper"} <= names


#: the scripts' network: ``n`` LIF cells driven by Poisson noise, recurrent, 30 ms
#: recorded (the caller reads and ends it)
_NETWORK = textwrap.dedent("""
    import json, sys
    import numpy as np
    import pyNN.tinysim as sim
    from pynn_tinysim.engine import kernels

    def network(n, **setup):
        sim.setup(timestep=0.1, min_delay=0.1, rng_seed=3, **setup)
        cells = sim.Population(n, sim.IF_curr_exp(i_offset=0.5))
        cells.initialize(v=np.linspace(-70.0, -50.5, n))
        noise = sim.Population(10, sim.SpikeSourcePoisson(rate=200.0))
        sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.5),
                       sim.StaticSynapse(weight=0.3))
        sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.2),
                       sim.StaticSynapse(weight=0.1, delay=0.3))
        cells.record("spikes")
        sim.run(30.0)
        return cells
""")

_RUN = _NETWORK + textwrap.dedent("""
    def run(**extra):
        cells = network(60, engine="numba", **extra)
        trains = cells.get_data().segments[0].spiketrains
        sim.end()
        return [t.magnitude.tolist() for t in trains]

    def used(namespace):
        return sorted(n for n, d in vars(namespace).items()
                      if hasattr(d, "signatures") and d.signatures)

    out = {}
    out["serial"] = run(threads=1)
    k = kernels.loaded()
    out["serial_used"] = used(k)
    out["threaded_used_after_serial"] = sorted(
        n for n, d in vars(k.threaded).items()
        if d is not getattr(k, n) and hasattr(d, "signatures") and d.signatures)
    if sys.argv[1] == "threads":
        kernels.PARALLEL_MIN_NEURONS = 1
        out["threaded"] = run(threads=2)
        out["threaded_used"] = used(k.threaded)
    print(json.dumps(out))
""")


def _run(mode, env_extra=None, prelude=""):
    import os
    env = dict(os.environ, NUMBA_NUM_THREADS="2", **(env_extra or {}))
    result = subprocess.run([sys.executable, "-c", prelude + _RUN, mode], env=env,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


@pytest.mark.slow       # one process compiling (or loading) the LIF stretch both ways
def test_a_run_compiles_the_kernels_it_uses_and_threads_give_the_same_bits():
    """One thread: the serial LIF stretch, no threaded kernel and no other model's
    kernel; then two threads: the threaded variants, and the same spikes."""
    out, _ = _run("threads")
    assert "stretch_lif_curr_exp" in out["serial_used"]
    assert not any(n.startswith("stretch_") and n != "stretch_lif_curr_exp"
                   for n in out["serial_used"])
    assert "hodgkin_huxley" not in out["serial_used"]
    assert out["threaded_used_after_serial"] == []
    assert "stretch_lif_curr_exp" in out["threaded_used"]
    assert sum(len(t) for t in out["serial"]) > 50
    assert out["threaded"] == out["serial"]


@pytest.mark.slow       # compiles the LIF stretch uncached, in a process of its own
def test_unwritable_cache_directory_compiles_uncached_with_the_same_results(tmp_path):
    """Where Numba's cache directory cannot be made (NUMBA_CACHE_DIR names a file, and
    Numba may look nowhere else), load() compiles the kernels uncached, logged once
    per kernel, and the run is the NumPy engine's, bit for bit."""
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("")
    prelude = textwrap.dedent("""
        import logging
        logging.basicConfig(level=logging.INFO)
        from numba.core import caching
        impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
        locator = (getattr(caching, "UserProvidedCacheLocator", None)
                   or caching._UserProvidedCacheLocator)
        impl._locator_classes = [locator]       # NUMBA_CACHE_DIR only
    """)
    out, log = _run("serial", env_extra={"NUMBA_CACHE_DIR": str(blocker / "cache")},
                    prelude=prelude)
    assert "compiled kernels are not cached" in log
    assert "stretch_lif_curr_exp" in out["serial_used"]
    assert not any(p.name != blocker.name for p in tmp_path.iterdir())     # nothing written
    code = _RUN.replace('engine="numba"', 'engine="numpy"').replace(
        "k = kernels.loaded()", "k = kernels.load()")
    reference = subprocess.run([sys.executable, "-c", code, "serial"], capture_output=True,
                               text=True, check=True)
    assert json.loads(reference.stdout.strip().splitlines()[-1])["serial"] == out["serial"]


@pytest.mark.filterwarnings("ignore::numba.NumbaPerformanceWarning")   # b.work: no prange
def test_threaded_variants_of_any_registered_module(tmp_path, monkeypatch):
    """The table is open to new kernel modules: a module calling another's kernel by
    its module, and two modules defining the same name, get the right variants."""
    (tmp_path / "tinysim_probe_a.py").write_text(textwrap.dedent("""
        prange = range

        def work(n):
            total = 0
            for i in prange(n):
                total += i
            return total

        def caller(n):
            return work(n) + 1
    """))
    (tmp_path / "tinysim_probe_b.py").write_text(textwrap.dedent("""
        import tinysim_probe_a as a

        def work(n):
            return -n

        def other(n):
            return a.caller(n) * 10 + work(n)

        def plain(n):
            return work(n)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import tinysim_probe_a as a
    import tinysim_probe_b as b
    table = [(a, ("work", "caller")), (b, ("work", "other", "plain"))]
    for module, names in table:
        for name in names:
            setattr(module, name, kernels.jit(getattr(module, name)))
    variants = kernels._threaded_variants(table, {"work"}, set(), numba.prange)
    # every caller of a "work" is threaded (names, not modules, decide: b's too)
    assert set(variants) == {"work", "caller", "other", "plain"}
    caller_globals = variants["caller"].py_func.__globals__
    assert caller_globals["prange"] is numba.prange and a.prange is range
    other_globals = variants["other"].py_func.__globals__
    assert other_globals["a"].caller.py_func.__globals__ is caller_globals
    assert other_globals["work"].py_func.__code__ is b.work.py_func.__code__
    assert variants["other"](4) == b.other(4) == (6 + 1) * 10 - 4
    assert variants["plain"](3) == -3
    for name in list(sys.modules):
        if name.startswith("tinysim_probe_"):
            monkeypatch.delitem(sys.modules, name)



_EDITED_RUN = textwrap.dedent("""
    import os, sys, time
    import pyNN.tinysim as sim
    from pynn_tinysim.engine import kernels

    kernels.load()              # this process's kernel sources: read now
    if sys.argv[1] == "load":
        sys.exit(0)
    if sys.argv[1] == "wait":   # another process changes the sources meanwhile
        open(sys.argv[2], "w").close()
        deadline = time.monotonic() + 120
        while not os.path.exists(sys.argv[3]) and time.monotonic() < deadline:
            time.sleep(0.05)
    sim.setup(timestep=0.1, min_delay=0.1, engine="numba")
    cells = sim.Population(5, sim.IF_curr_delta(i_offset=0.0, tau_refrac=0.5))
    cells.record("spikes")
    sim.run(5.0)
    print(sum(len(t) for t in cells.get_data().segments[0].spiketrains))
""")


@pytest.mark.slow       # compiles one small stretch twice (two processes, two sources)
def test_an_older_process_cannot_leave_stale_kernels_for_newer_sources(tmp_path):
    """Numba compiles lazily and keys a cached kernel by its own file: a process that
    loaded the kernels before their sources changed, and compiles after a newer
    process has loaded the kernels of the new sources, must not leave its (older)
    code where the next process loads it. Here the older process compiles the
    IF_curr_delta stretch with the older neurons.py; the edited one adds 100 mV a
    step, so the next process must see spikes where the older code gave none."""
    import os
    import shutil
    import time
    import pynn_tinysim
    tree = tmp_path / "tree"
    shutil.copytree(os.path.dirname(pynn_tinysim.__file__), tree / "pynn_tinysim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("PYNN_TINYSIM_ENGINE", None)

    def start(*args):
        # (in tmp_path: python -c puts its working directory first on sys.path)
        return subprocess.Popen([sys.executable, "-c", _EDITED_RUN, *args], env=env,
                                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    def finish(process):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        return out

    ready, go = tmp_path / "ready", tmp_path / "go"
    older = start("wait", str(ready), str(go))
    deadline = time.monotonic() + 120
    while not ready.exists():       # the older process has read its sources
        assert older.poll() is None and time.monotonic() < deadline, older.stderr.read()
        time.sleep(0.05)
    neurons = tree / "pynn_tinysim" / "engine" / "kernels" / "neurons.py"
    text = neurons.read_text()
    before = "v_new = v[j] * P22[j]\n        v_new += drive[j]\n"
    assert text.count(before) == 1         # (IF_curr_delta's update)
    neurons.write_text(text.replace(before, before.replace("drive[j]\n", "drive[j] + 100.0\n")))
    finish(start("load"))           # a newer process loads the kernels (compiles none)
    go.write_text("")
    assert int(finish(older).split()[-1]) == 0     # the older code: no drive, no spike
    assert int(finish(start("run")).split()[-1]) > 0   # the newer code, not the older's



_FAMILIES = textwrap.dedent("""
    import json
    import pyNN.tinysim as sim
    import pyNN.tinysim.spinnaker as flavour
    from pynn_tinysim.engine import kernels

    def network(sim, celltype, inhibitory_weight, **setup):
        sim.setup(timestep=0.1, min_delay=0.2, rng_seed=5, engine="numba", **setup)
        cells = sim.Population(30, celltype)
        noise = sim.Population(10, sim.SpikeSourcePoisson(rate=300.0))
        times = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0, 2.0, 3.0]))
        sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.5),
                       sim.StaticSynapse(weight=0.05, delay=0.2))
        sim.Projection(times, cells, sim.FixedProbabilityConnector(0.5),
                       sim.StaticSynapse(weight=inhibitory_weight, delay=0.2),
                       receptor_type="inhibitory")
        sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.2),
                       sim.StaticSynapse(weight=0.01, delay=0.4))
        sim.DCSource(amplitude=0.5, start=2.0, stop=6.0).inject_into(cells)
        cells.record(["spikes", "v"])
        sim.run(10.0)
        sim.end()

    network(sim, sim.IF_curr_exp(), -0.05)
    network(flavour, flavour.IF_curr_exp(), 0.05, fixed_point=True)
    k = kernels.loaded()
    print(json.dumps({name: [str(s) for s in d.signatures] for name, d in vars(k).items()
                      if hasattr(d, "signatures")}))
""")


@pytest.mark.slow       # compiles two families' kernels, uncached (~15 s of CPU)
def test_each_kernel_compiled_for_one_signature(tmp_path):
    """Each kernel is compiled once, whichever network calls it: its arguments' types do
    not depend on the network, and no call passes Numba a literal (0, True) that it
    would compile a specialization for. Checked on a fresh cache (a cached stretch
    loads without compiling its callees): the IF_curr_exp stretch and the flavour's
    fixed-point one, with Poisson and array sources, both receptors, a current source
    and a recorded v. A change that multiplies signatures (and so the one-time
    compilation) fails here."""
    import os
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-c", _FAMILIES], capture_output=True, text=True,
                            env=env, check=True)
    signatures = json.loads(result.stdout.strip().splitlines()[-1])
    for name in ("stretch_lif_curr_exp", "stretch_spinnaker_fixed", "lif_curr_exp", "_chunk",
                 "step_uniform", "_fixed_currents", "deliver_static", "_sample", "inject"):
        assert signatures[name], name          # compiled by these runs
    several = {name: s for name, s in signatures.items() if len(s) > 1}
    # except the readers of an optional part of a stretch's net (kernels/stretch.py),
    # compiled once with the part and once with None where a network lacks it (the
    # flavour's Poisson sources are event sources: its stretch has no Poisson tables)
    for name in ("_draw", "_poisson_arrays", "_sample", "inject"):
        if name in several:
            assert len(several[name]) == 2, name
            assert sum("none" in s for s in several.pop(name)) == 1, name
    # and the per-step helpers taking the whole net (kernels.UNCOUNTED, not inlined):
    # once per type of net, here the two stretches' (with and without Poisson tables)
    for name in ("_after_step", "_room"):
        assert len(several.pop(name, ())) == 2, name
    assert several == {}


_PLASTIC = textwrap.dedent("""
    import contextlib, io, json, runpy, sys
    from pynn_tinysim.engine import kernels

    for argv in (["additive", "numba", "0.05"], ["stochastic_tm", "numba", "0.05"],
                 ["recurrent", "numba", "0.05", "--spinnaker"]):
        sys.argv = ["plastic_network.py", *argv]
        with contextlib.redirect_stdout(io.StringIO()):
            runpy.run_path(sys.argv_script, run_name="__main__")
    k = kernels.loaded()
    print(json.dumps({name: [str(s) for s in d.signatures] for name, d in vars(k).items()
                      if hasattr(d, "signatures")}))
""").replace("sys.argv_script", repr(str(BENCHMARKS / "plastic_network.py")))


@pytest.mark.slow       # compiles the plastic kernels uncached (~15 s of CPU)
def test_no_plastic_kernel_compiled_for_a_literal(tmp_path):
    """No plastic kernel is compiled twice for the same types, once for a literal: a call
    passing a helper a literal (a field's number, a count that is 0 on one path, a state
    constant) has Numba compile a specialization of the helper per literal value
    (``_cut`` had 51, one per arena field; the RecurrentRule helpers two to four each:
    ~3.4 s of compilation in all). NEST's STDP and stochastic Tsodyks-Markram in
    stretches and the flavour's RecurrentRule, on a fresh cache."""
    import os
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-c", _PLASTIC], capture_output=True, text=True,
                            env=env, check=True)
    signatures = json.loads(result.stdout.strip().splitlines()[-1])
    for name in ("_pair_pre_spikes", "_pair_column", "_synapse_word", "_keyed_step", "_replay",
                 "_pre_spikes", "_merge_sort", "_open_windows", "recurrent_deliver"):
        assert signatures[name], name          # compiled by these runs

    def unliteral(signature):       # a literal's specialization as the plain type's
        signature = re.sub(r"Literal\[int\]\(-?\d+\)", "int64", signature)
        return re.sub(r"Literal\[bool\]\((True|False)\)", "bool", signature)
    twice = {name: s for name, s in signatures.items()
             if len({unliteral(x) for x in s}) < len(s)}
    assert twice == {}


_UNCOUNTED = textwrap.dedent("""
    import contextlib, io, json, re, runpy, sys
    from pynn_tinysim.engine import kernels

    runs = [("plastic_network.py", a) for a in (
        ["additive", "numba", "0.05"], ["gutig", "numba", "0.05", "--step-loop"],
        ["tm", "numba", "0.05"], ["stochastic", "numba", "0.05"],
        ["stochastic_tm", "numba", "0.05"], ["multi_quantal", "numba", "0.05"],
        ["tau_continuous", "numba", "0.05"], ["additive", "numba", "0.2", "--spinnaker"],
        ["multiplicative", "numba", "0.2", "--spinnaker", "--float"],
        ["recurrent", "numba", "0.2", "--spinnaker"])]
    runs += [("neuromodulation.py", ["--duration", "200"]),
             ("neuromodulation.py", ["--duration", "200", "--float"])]
    for script, argv in runs:
        sys.argv = [script, *argv]
        with contextlib.redirect_stdout(io.StringIO()):
            runpy.run_path(str(sys.benchmarks / script), run_name="__main__")
    k = kernels.loaded()
    report = {}
    for name in kernels.UNCOUNTED:
        d = getattr(k, name)
        counted = []
        for sig, ir in d.inspect_llvm().items():
            own = re.search(r"^define [^@]*@\\S*?%d%s\\w*\\(.*?^}" % (len(name), name), ir,
                            re.M | re.S)
            counted.append(own is None or "@NRT_incref" in own.group(0)
                           or "@NRT_decref" in own.group(0))
        report[name] = {"returns": [str(s.return_type) for s in d.nopython_signatures],
                        "counted": counted}
    print(json.dumps(report))
""").replace("sys.benchmarks", f"__import__('pathlib').Path({str(BENCHMARKS)!r})")


@pytest.mark.slow       # compiles the plastic kernels uncached (~40 s of CPU)
def test_uncounted_helpers_count_no_references_and_return_no_array(tmp_path):
    """The helpers in ``kernels.UNCOUNTED`` (compiled without reference counting: called
    per synapse or event with many arrays) are compiled by the plastic networks that use
    them, their compiled code counts no reference (Numba took the option), and none
    returns an array (whose reference the caller would release without owning it)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-c", _UNCOUNTED], capture_output=True,
                            text=True, env=env, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) == set(kernels.UNCOUNTED)
    for name, compiled in report.items():
        assert compiled["returns"], f"{name}: not compiled by these runs"
        assert not any("Array" in r or "array" in r for r in compiled["returns"]), name
        assert not any(compiled["counted"]), f"{name} counts references"


_PLAIN = textwrap.dedent("""
    import json
    import pyNN.tinysim as sim
    from pynn_tinysim.engine import kernels

    sim.setup(timestep=0.1, min_delay=0.2, rng_seed=5, engine="numba")
    cells = sim.Population(30, sim.IF_curr_exp(i_offset=1.0))
    times = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0, 2.0, 3.0]))
    sim.Projection(times, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5))
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.2),
                   sim.StaticSynapse(weight=0.01, delay=0.4))
    cells.record("spikes")
    sim.run(20.0)
    n_spikes = sum(len(t) for t in cells.get_data().segments[0].spiketrains)
    sim.end()
    k = kernels.loaded()
    print(json.dumps({"n_spikes": n_spikes, **{
        name: [str(s) for s in d.signatures] for name, d in vars(k).items()
        if hasattr(d, "signatures")}}))
""")


@pytest.mark.slow       # compiles the LIF stretch uncached (~6 s of CPU)
def test_a_stretch_compiles_only_the_features_its_network_uses(tmp_path):
    """A network without Poisson sources, current sources or sampled signals runs a
    stretch whose ``net`` holds None for those parts (kernels/stretch.py), so that
    Numba prunes their code: the Poisson draw is not compiled at all, and the current
    injection and the sampling only for a None part (their one-time compilation is
    not paid). Checked on a fresh cache (a cached stretch loads without compiling its
    callees)."""
    import os
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-c", _PLAIN], capture_output=True, text=True,
                            env=env, check=True)
    signatures = json.loads(result.stdout.strip().splitlines()[-1])
    assert signatures.pop("n_spikes") > 0       # the stretch ran, and the cells fired
    assert len(signatures["stretch_lif_curr_exp"]) == 1
    for name in ("poisson_counts", "step_uniform", "invert"):
        assert signatures[name] == [], name     # the draw was pruned
    # the helpers reading an optional part: compiled for None only
    for name in ("_draw", "_poisson_arrays", "_sample", "inject", "exchanging", "export",
                 "exchange_room", "exchange_empty"):
        assert len(signatures[name]) == 1 and "none" in signatures[name][0], name
    # in the stretch's net: the signals, the currents, the exchange (outside MPI), the
    # Poisson tables and the plastic projections; in its kernel's arguments, ``varied``
    # (the cells share their parameters: no per-neuron loop is compiled)
    assert signatures["stretch_lif_curr_exp"][0].count("none") == 6
    assert len(signatures["lif_curr_exp"]) == 1 and "none" in signatures["lif_curr_exp"][0]


def test_cache_saves_take_turns_under_a_lock_on_the_cache_directory(tmp_path):
    """Processes sharing Numba's cache (MPI ranks, test workers) save one at a time:
    Numba names a new data file from the index it read, so two saving at once could
    give two signatures one file (kernels/cache_lock.py)."""
    fcntl = pytest.importorskip("fcntl")
    pytest.importorskip("numba")
    from numba.core import caching

    from pynn_tinysim.engine.kernels import cache_lock
    kernels.load()
    assert getattr(caching.IndexDataCacheFile.save, "tinysim_locked", False)

    def try_lock():
        # another open file description: flock refuses while the first holds it
        fd = os.open(tmp_path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return "free"
        except BlockingIOError:
            return "held"
        finally:
            os.close(fd)

    assert cache_lock.holding_lock(str(tmp_path), try_lock) == "held"
    assert try_lock() == "free"                  # released after the save
    assert cache_lock.holding_lock(str(tmp_path / "missing"), lambda: "saved") == "saved"


_LAZY = _NETWORK + textwrap.dedent("""
    cells = network(40, engine=sys.argv[1])
    k = kernels.loaded()
    made = None if k is None else sorted(
        n for n, d in vars(k).items() if hasattr(d, "py_func"))
    print(json.dumps({"spikes": [t.magnitude.tolist()
                                 for t in cells.get_data().segments[0].spiketrains],
                      "made": made, "all": None if k is None else len(k._modules)}))
""")


@pytest.mark.slow       # compiles the LIF stretch into a fresh cache
def test_dispatchers_made_at_first_use_and_all_before_compiling(tmp_path):
    """A process that compiles (a fresh cache) makes every kernel's dispatcher first, as
    Numba's typing of the callees needs; a later process loading from that cache makes
    only the few it calls. Both give the NumPy reference engine's spikes."""
    import os
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))

    def run(engine):
        out = subprocess.run([sys.executable, "-c", _LAZY, engine], env=env,
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    reference, compiling, loading = run("numpy"), run("numba"), run("numba")
    assert sum(len(t) for t in reference["spikes"]) > 20
    assert compiling["spikes"] == loading["spikes"] == reference["spikes"]
    assert len(compiling["made"]) == compiling["all"] > 200
    assert "stretch_lif_curr_exp" in loading["made"] and len(loading["made"]) < 10
