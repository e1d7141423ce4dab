"""Smoke runs of the benchmark scripts (benchmarks/*.py) on pyNN.tinysim.

Each script runs in a subprocess at a tiny size and short duration; we check that it
exits 0 and that its --json output has finite firing rates. Not timed.
"""

import json
import math
import os
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")

CASES = {
    "va_cuba": ["va_benchmark.py", "CUBA", "--n", "200", "--duration", "100"],
    "va_coba": ["va_benchmark.py", "COBA", "--n", "200", "--duration", "100"],
    "va_cuba_record_v": ["va_benchmark.py", "CUBA", "--n", "200", "--duration", "100",
                         "--record-v", "3"],
    "seed004": ["seed004_izhikevich.py", "--n", "200", "--duration", "100"],
    "brunel": ["brunel.py", "--scale", "0.01", "--duration", "50"],
    "microcircuit": ["microcircuit.py", "--scale", "0.005", "--duration", "100",
                     "--transient", "20"],
    "hh_cond_exp2": ["hh_single.py", "--duration", "5"],
    "va_mpi_profile": ["va_mpi_profile.py", "--delay", "1.0", "--n", "200", "--duration", "50"],
}


def _run(argv, tmp_path):
    out = tmp_path / "result.json"
    cmd = [sys.executable, os.path.join(BENCH, argv[0])] + argv[1:] + ["--simulator", "tinysim",
                                                                      "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize("name", sorted(CASES))
def test_benchmark_script_runs(name, tmp_path):
    result = _run(CASES[name], tmp_path)
    rates = {k: v for k, v in result.items() if k.startswith("rate_") and k.endswith("_hz")}
    assert rates, result
    assert all(math.isfinite(v) and v >= 0 for v in rates.values()), rates
    assert result["simulator"] == "tinysim"
    assert result["build_s"] >= 0 and result["run_s"] >= 0
    if name == "microcircuit":
        assert len(rates) == 8
    if name == "va_cuba_record_v":
        assert result["record_v"] == 3
    if name == "hh_cond_exp2":
        # PyNN's example cell first spikes at 2.63 ms (tests/test_kernels.py, NEST agrees)
        assert result["spikes_hh"] == 1 and result["v_samples"] == 5001


def test_run_py_writes_table_and_markers(tmp_path):
    md = tmp_path / "RESULTS.md"
    md.write_text("# Benchmark results\n\nkept text\n")
    out = tmp_path / "records.json"
    cmd = [sys.executable, os.path.join(BENCH, "run.py"), "--networks", "va_cuba",
           "--sizes", "100", "--duration", "50", "--simulators", "tinysim,no_such_backend",
           "--results-md", str(md), "--plot", "", "--json", str(out), "--timeout", "400"]
    # a cache of its own, which the warm-up must fill (generous limits: it compiles
    # the Numba kernels, on a machine that may be loaded)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba_cache"))
    for _ in range(2):      # the second run must replace the section, not append
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    text = md.read_text()
    assert text.count("<!-- run.py results begin -->") == 1
    assert "kept text" in text
    assert "no_such_backend not available" in text
    records = json.loads(out.read_text())["records"]
    assert len(records) == 1 and records[0]["result"]["rate_exc_hz"] >= 0
    # the warm-up ran on the compiled engine: the kernel cache holds VA CUBA's stretch
    assert records[0]["warm_up"]["ok"] and records[0]["warm_up"]["wall_s"] > 0
    cached = [name for _, _, names in os.walk(env["NUMBA_CACHE_DIR"]) for name in names]
    assert any(name.startswith("stretch.stretch_lif_curr_exp") for name in cached), cached
    assert records[0]["peak_rss_mb"] > 0
    assert "| syn. events/s | neuron updates/s |" in text
    # 100 cells, 50 ms at dt 0.1: 50 000 neuron updates in the run phase
    result = records[0]["result"]
    assert records[0]["neuron_updates_per_s"] == pytest.approx(50000 / result["run_s"])
    assert records[0]["synaptic_events_per_s"] > 0


def _run_py():
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_run", os.path.join(BENCH, "run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_py_warms_up_compiling_tinysim_engines_only(monkeypatch):
    """Before each timed run of a tinysim engine that compiles, run.py runs the same
    network and size for WARM_UP_MS ms on the compiled engine, with the same ranks;
    none for the NumPy engine, other simulators, or with --no-warm-up."""
    run = _run_py()
    calls = []

    def fake_run_one(python, argv, sim, timeout, ranks=1, extra_env=()):
        calls.append((sim, list(argv), ranks, dict(extra_env)))
        return {"simulator": sim, "command": " ".join(argv), "wall_s": 1.0,
                "peak_rss_mb": 1.0, "returncode": 0, "timed_out": False,
                "result": {"run_s": 0.5, "build_s": 0.1}}

    monkeypatch.setattr(run, "run_one", fake_run_one)
    monkeypatch.setattr(run, "available", lambda python, sim: (True, ""))
    records = run.main(["--networks", "va_cuba,microcircuit,hh_cond_exp2", "--sizes", "400",
                        "--scales", "0.05", "--duration", "2000", "--ranks", "1,2",
                        "--simulators", "tinysim,tinysim-numpy,tinysim-2threads,nest",
                        "--no-write", "--plot", ""])
    timed = [c for c in calls if not c[3]]
    warm = [c for c in calls if c[3]]
    assert all(c[3] == {"PYNN_TINYSIM_ENGINE": "numba"} for c in warm)
    # each warm-up comes just before its timed run: same simulator, ranks, network
    for i, (sim, argv, ranks, env) in enumerate(calls):
        if env:
            nxt = calls[i + 1]
            assert (nxt[0], nxt[2], run.warm_up_argv(nxt[1])) == (sim, ranks, argv)
            assert not nxt[3] and argv[argv.index("--duration") + 1] == "50"
    # tinysim and tinysim-2threads on 1 and 2 ranks, three networks; not numpy, not nest
    assert sorted({(c[0], c[2]) for c in warm}) == [("tinysim", 1), ("tinysim", 2),
                                                    ("tinysim-2threads", 1),
                                                    ("tinysim-2threads", 2)]
    assert len(warm) == 12 and len(timed) == 3 * 7
    micro = [c[1] for c in warm if c[1][0] == "microcircuit.py"][0]
    assert micro[micro.index("--transient") + 1] == "25"
    hh = [c[1] for c in warm if c[1][0] == "hh_single.py"][0]
    assert hh[-2:] == ["--duration", "50"]
    assert all(("warm_up" in r) == (r["simulator"].split("@")[0] in
                                     ("tinysim", "tinysim-2threads")) for r in records)
    calls.clear()
    run.main(["--networks", "va_cuba", "--sizes", "400", "--simulators", "tinysim",
              "--no-warm-up", "--no-write", "--plot", ""])
    assert [c[3] for c in calls] == [{}]


def test_run_py_throughput_from_spike_counts_and_out_degree():
    throughput = _run_py().throughput
    # the script's own count wins; updates: 1000 cells x 10 000 steps in 2 s
    result = {"run_s": 2.0, "n": 1000, "duration_ms": 1000.0, "dt_ms": 0.1,
              "synaptic_events": 6e6, "spikes_exc": 1, "connections": 5}
    assert throughput(result) == (3e6, 5e6)
    # else recorded spikes of the network's cells x mean recurrent out-degree (20 000
    # connections / 1000 cells); the seed004 thalamus (a source) is not a network cell
    del result["synaptic_events"]
    result.update(spikes_exc=300, spikes_inh=100, spikes_thalamus=999, connections=20000)
    assert throughput(result) == (400 * 20.0 / 2.0, 5e6)
    assert throughput({"run_s": 1.0}) == (None, None)
    assert throughput(None) == (None, None)


@pytest.mark.slow       # Brian2 generates and compiles C++
def test_brian2_native_va_runs(tmp_path):
    """The VA network in plain Brian2 (run.py's brian2-native): its fastest target when a
    C++ compiler is there, else the numpy target; rates in the VA CUBA range."""
    import shutil
    pytest.importorskip("brian2")
    target = "cpp_standalone" if shutil.which("g++") else "numpy"
    out = tmp_path / "result.json"
    cmd = [sys.executable, os.path.join(BENCH, "brian2_native_va.py"), "CUBA", "--n", "400",
           "--duration", "200", "--target", target, "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["simulator"] == f"brian2-native ({target})"
    assert result["connections"] > 0
    # 400 cells at p = 0.02 (in-degree 8): tonic firing near 1/(refractory + charging time)
    assert 5.0 < result["rate_exc_hz"] < 100.0, result


@pytest.mark.slow       # compiles a parallel probe kernel and the threaded delivery (~10 s)
def test_delivery_threads_gives_the_one_thread_bits():
    """benchmarks/delivery_threads.py at a small size: every strategy, the same ring."""
    pytest.importorskip("numba")
    proc = subprocess.run([sys.executable, os.path.join(BENCH, "delivery_threads.py"),
                           "--cells", "3000", "--out-degree", "200", "--spikes", "20"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "the one-thread bits in all: True" in proc.stdout
    assert proc.stdout.count("ns an event") == 3
