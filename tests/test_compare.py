"""The cross-backend harness (pynn_tinysim.compare): fast tests.

Import redirection, seeds and capture run in child processes (they patch
interpreter-wide state), as the harness itself runs them; statistics and the
verdict are tested on synthetic data with known answers; the exit codes through
the real command line. The tinysim-vs-NEST comparison of a tiny network skips
when nest-simulator is not installed. The slow tinysim-vs-Brian2 comparisons of
real networks are in test_compare_backends.py.
"""

import importlib.util
import json
import pathlib
import re
import subprocess
import sys
import textwrap
import types

import neo
import numpy as np
import pytest
import quantities as pq

from pynn_tinysim.compare import backends, redirect, runners, seeds, statistics, verdict

NETWORKS = pathlib.Path(__file__).resolve().parent / "networks"
HAVE_NEST = importlib.util.find_spec("nest") is not None


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def run_child(script, backend="tinysim", args=(), seed=None, capture_dir=None, tmp_path=None,
              keep=False):
    """Run ``script`` in a harness child; (returncode, stdout, status dict or None)."""
    spec = runners.RunSpec(backends.get(backend), 0 if seed is None else seed, str(script),
                           tuple(args), out_dir=None, seeds=seed is not None,
                           keep_script_seeds=keep)
    config = runners.child_config(spec)
    if capture_dir is not None:
        config["capture_dir"] = str(capture_dir)
        config["status_file"] = str(pathlib.Path(capture_dir) / "status.json")
    proc = subprocess.run([sys.executable, "-m", "pynn_tinysim.compare.child", json.dumps(config)],
                          capture_output=True, text=True, timeout=300,
                          env=runners.child_env(spec), cwd=tmp_path)
    status = None
    if capture_dir is not None and (pathlib.Path(capture_dir) / "status.json").exists():
        status = json.loads((pathlib.Path(capture_dir) / "status.json").read_text())
    return proc.returncode, proc.stdout, proc.stderr, status


def cli(*args, cwd=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "pynn_tinysim.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd)


# --- import redirection ---------------------------------------------------------------------

def test_every_backend_name_resolves_to_the_chosen_backend(tmp_path):
    script = write(tmp_path, "imports.py", """
        import importlib, sys
        import pyNN.spiNNaker as p
        import pyNN.nest as n
        import pyNN.brian2
        import pyNN.neuron as nrn
        import pyNN.tinysim as t
        import pyNN.tinysim.spinnaker as ts
        from pyNN.nest import Population, IF_curr_exp
        from pyNN.utility import get_simulator
        sim, options = get_simulator(("--n", "cells", {"type": int, "default": 3}))
        print("modules", {m.__name__ for m in (p, n, pyNN.brian2, nrn, t, ts, sim,
                                              importlib.import_module("pyNN.nest"))})
        print("population", Population.__module__)
        print("standardmodels", importlib.import_module("pyNN.nest.standardmodels").__name__)
        print("argv", sys.argv[1:], options.n)
    """)
    code, out, err, _ = run_child(script, "tinysim", args=("nest", "--n", "5"), tmp_path=tmp_path)
    assert code == 0, err
    assert "modules {'pynn_tinysim'}" in out
    assert "population pynn_tinysim.populations" in out
    assert "standardmodels pynn_tinysim.standardmodels" in out
    assert "argv ['tinysim', '--n', '5'] 5" in out           # "nest" replaced by the backend


def test_get_simulator_gets_the_backend_name_when_argv_has_none(tmp_path):
    script = write(tmp_path, "gs.py", """
        from pyNN.utility import get_simulator
        sim, options = get_simulator()
        print(sim.__name__, options.simulator)
    """)
    code, out, err, _ = run_child(script, "tinysim", tmp_path=tmp_path)
    assert code == 0, err
    assert out.strip() == "pynn_tinysim tinysim"


def test_a_submodule_the_backend_lacks_is_a_clear_import_error(tmp_path):
    script = write(tmp_path, "sub.py", "import pyNN.spiNNaker.extra_models\n")
    code, out, err, _ = run_child(script, "tinysim", tmp_path=tmp_path)
    assert code == 1
    assert "No module named 'pyNN.spiNNaker.extra_models'" in err
    assert "redirected to 'pynn_tinysim.extra_models'" in err


@pytest.mark.parametrize("argv,expected", [
    (["s.py"], ["s.py", "tinysim"]),
    (["s.py", "nest"], ["s.py", "tinysim"]),
    (["s.py", "spiNNaker", "--n", "3"], ["s.py", "tinysim", "--n", "3"]),
    (["s.py", "--n", "3"], ["s.py", "tinysim", "--n", "3"]),
    (["s.py", "data.txt"], ["s.py", "tinysim", "data.txt"]),
])
def test_rewrite_simulator_argv(argv, expected):
    assert redirect.rewrite_simulator_argv(argv, "tinysim") == expected


def test_redirect_finder_maps_aliases_and_submodules():
    finder = redirect.RedirectFinder({"pyNN.nest", "pyNN.tinysim.spinnaker", "pyNN.tinysim"},
                                     "target")
    assert finder._map("pyNN.nest") == "target"
    assert finder._map("pyNN.nest.cells") == "target.cells"
    assert finder._map("pyNN.tinysim.spinnaker") == "target"       # longest alias first
    assert finder._map("pyNN.tinysim.recording") == "target.recording"
    assert finder._map("pyNN.nestx") is None
    assert finder._map("numpy") is None


# --- seeds ----------------------------------------------------------------------------------

def test_derived_seeds_are_deterministic_and_in_nest_range():
    a = [seeds.derive(12345, rep, "NumpyRNG#0") for rep in range(50)]
    assert a == [seeds.derive(12345, rep, "NumpyRNG#0") for rep in range(50)]
    assert len(set(a)) == 50
    assert all(1 <= s <= 2**31 - 1 for s in a)
    assert seeds.derive(1, 0, "x") != seeds.derive(2, 0, "x")


def test_seed_policy_keeps_explicit_seeds_in_rep0_and_varies_them_after():
    assert seeds.SeedPolicy(rep=0).explicit("NumpyRNG", 42) == 42
    varied = seeds.SeedPolicy(rep=1).explicit("NumpyRNG", 42)
    assert varied != 42 and varied == seeds.SeedPolicy(rep=1).explicit("NumpyRNG", 42)
    assert seeds.SeedPolicy(rep=1, keep_script_seeds=True).explicit("NumpyRNG", 42) == 42
    assert seeds.SeedPolicy(rep=0).default("x") != seeds.SeedPolicy(rep=1).default("x")


@pytest.mark.parametrize("accepts", [True, False])
def test_setup_gets_a_derived_rng_seed(accepts):
    calls = []
    module = types.SimpleNamespace(setup=lambda *a, **kw: calls.append(kw))
    policy = seeds.SeedPolicy(base=7, rep=2)
    seeds._patch_setup(policy, module, accepts, brian2_backend=False)
    module.setup(timestep=0.1)
    module.setup(timestep=0.1, rng_seed=99)
    if accepts:
        assert calls[0]["rng_seed"] == seeds.derive(7, 2, "setup#0")
    else:
        assert "rng_seed" not in calls[0]
    assert calls[1]["rng_seed"] == seeds.derive(7, 2, "setup.rng_seed:99")


def test_numpyrng_seeds_per_repetition(tmp_path):
    script = write(tmp_path, "rngs.py", """
        import numpy as np
        import pyNN.nest as sim
        from pyNN.random import NumpyRNG, RandomDistribution
        sim.setup(timestep=0.1)
        print("unseeded", NumpyRNG().seed, NumpyRNG().seed)
        print("explicit", NumpyRNG(seed=5).seed)
        print("default", RandomDistribution("uniform", (0, 1)).rng.seed)
        np.random.seed(3)
        print("np", np.random.randint(1 << 30))
        print("state", sim.simulator.state.rng_seed)
    """)
    outs = {}
    for rep, keep in ((0, False), (1, False), (1, True)):
        code, out, err, _ = run_child(script, "tinysim", seed=rep, keep=keep, tmp_path=tmp_path)
        assert code == 0, err
        outs[rep, keep] = dict(line.split(" ", 1) for line in out.strip().splitlines())
    rep0, rep1, kept = outs[0, False], outs[1, False], outs[1, True]
    a, b = map(int, rep0["unseeded"].split())
    assert a != b and "None" not in rep0["unseeded"]
    assert rep0["explicit"] == "5" and kept["explicit"] == "5" and rep1["explicit"] != "5"
    assert rep0["unseeded"] != rep1["unseeded"]
    assert rep1["unseeded"] == kept["unseeded"]      # unseeded ones are always derived
    assert rep0["state"] == str(seeds.derive(12345, 0, "setup#0"))
    assert rep0["np"] != rep1["np"] and rep1["np"] == run_child(
        script, "tinysim", seed=1, tmp_path=tmp_path)[1].split("np ")[1].split()[0]


# --- capture ----------------------------------------------------------------------------------

def test_capture_saves_every_recording_population_without_get_data(tmp_path):
    script = write(tmp_path, "net.py", """
        import pyNN.nest as sim
        sim.setup(timestep=0.1)
        a = sim.Population(5, sim.IF_curr_exp(i_offset=1.0), label="driven")
        b = sim.Population(3, sim.SpikeSourcePoisson(rate=100.0))
        c = sim.Population(2, sim.IF_curr_exp(), label="driven")       # same label
        d = sim.Population(2, sim.IF_curr_exp(), label="unrecorded")
        a.record(["spikes", "v"]); b.record("spikes"); c[0:1].record("v")
        sim.run(100.0)
        first = b.get_data(clear=True)
        sim.run(50.0)
        raise RuntimeError("boom after the run")
    """)
    out_dir = tmp_path / "out"
    code, out, err, status = run_child(script, "tinysim", seed=0, capture_dir=out_dir,
                                       tmp_path=tmp_path)
    assert code == 1
    assert status["status"] == "error"
    assert status["error"]["type"] == "RuntimeError" and "boom" in status["error"]["message"]
    keys = {p["key"]: p for p in status["populations"]}
    assert set(keys) == {"driven", "population1", "driven#1"}
    assert keys["driven"]["variables"] == ["spikes", "v"]
    assert status["timestep_ms"] == pytest.approx(0.1)
    block = statistics.load_block(str(out_dir / keys["driven"]["file"]))
    assert len(block.segments[0].spiketrains) == 5
    assert sum(len(st) for st in block.segments[0].spiketrains) > 0
    # the block the script cleared is kept along with what came after it
    sources = statistics.load_block(str(out_dir / keys["population1"]["file"]))
    assert len(sources.segments) == 2


# --- statistics --------------------------------------------------------------------------------

ENGINES = ["numpy"] + (["elephant"] if statistics.HAVE_ELEPHANT else [])


def block_of(trains_ms, t_stop, v=None):
    seg = neo.Segment()
    for i, t in enumerate(trains_ms):
        st = neo.SpikeTrain(np.asarray(t) * pq.ms, t_start=0 * pq.ms, t_stop=t_stop * pq.ms)
        st.annotate(source_index=i)
        seg.spiketrains.append(st)
    if v is not None:
        seg.analogsignals.append(neo.AnalogSignal(v, units="mV", sampling_period=0.1 * pq.ms,
                                                  name="v"))
    block = neo.Block()
    block.segments.append(seg)
    return block


def poisson_trains(n, rate_hz, t_stop_ms, seed):
    rng = np.random.default_rng(seed)
    return [np.sort(rng.uniform(0, t_stop_ms, rng.poisson(rate_hz * t_stop_ms / 1000.0)))
            for _ in range(n)]


@pytest.mark.parametrize("engine", ENGINES)
def test_statistics_of_poisson_trains(engine):
    stats = statistics.population_statistics(block_of(poisson_trains(200, 20.0, 10000.0, 1),
                                                      10000.0), engine=engine)
    assert stats["rate_hz"] == pytest.approx(20.0, rel=0.02)
    assert stats["cv_isi"] == pytest.approx(1.0, abs=0.05)
    assert stats["fano_factor"] == pytest.approx(1.0, abs=0.3)
    assert abs(stats["corr_coef"]) < 0.01
    assert stats["sync_ratio"] == pytest.approx(1 / 200, abs=0.005)
    assert stats["n_cells"] == 200 and not stats["has_v"]
    assert len(stats["per_cell"]["rate_hz"]) == 200


@pytest.mark.parametrize("engine", ENGINES)
def test_statistics_of_regular_synchronous_trains(engine):
    times = np.arange(5.0, 1000.0, 25.0)                    # 40 Hz, every cell the same
    v = np.tile(np.linspace(-70.0, -50.0, 10000)[:, None], (1, 10))
    stats = statistics.population_statistics(block_of([times] * 10, 1000.0, v), engine=engine)
    assert stats["rate_hz"] == pytest.approx(40.0)
    assert stats["cv_isi"] == pytest.approx(0.0, abs=1e-9)
    assert stats["fano_factor"] == pytest.approx(0.0)
    assert stats["corr_coef"] == pytest.approx(1.0)
    assert stats["sync_ratio"] == pytest.approx(1.0)
    assert stats["osc_peak_hz"] == pytest.approx(40.0, abs=1.0)
    assert stats["v_mean"] == pytest.approx(-60.0) and stats["has_v"]
    assert stats["v_std"] == pytest.approx(20 / np.sqrt(12), rel=0.01)


@pytest.mark.skipif(not statistics.HAVE_ELEPHANT, reason="elephant is not installed")
def test_numpy_fallback_matches_elephant():
    block = block_of(poisson_trains(50, 15.0, 2000.0, 3), 2000.0)
    a = statistics.population_statistics(block, engine="numpy")
    b = statistics.population_statistics(block, engine="elephant")
    for metric in statistics.METRICS:
        assert a[metric] == pytest.approx(b[metric], rel=1e-9, abs=1e-12, nan_ok=True), metric


def test_silent_population():
    stats = statistics.population_statistics(block_of([[]] * 5, 500.0))
    assert stats["rate_hz"] == 0.0 and np.isnan(stats["cv_isi"])


# --- verdict ------------------------------------------------------------------------------------

def synthetic_runs(rates, celltype="IF_curr_exp", dt=0.1, n_cells=100, seeds_=3, status=None):
    """backend -> decide() input, each population rate ~ N(mean, 2% sd) per seed."""
    runs = {}
    rng = np.random.default_rng(0)
    for backend, mean in rates.items():
        reps = []
        for _ in range(seeds_):
            r = mean * (1 + 0.02 * rng.standard_normal())
            per_cell = rng.normal(r, 0.2 * r + 1e-9, n_cells).clip(0)
            reps.append({"exc": {"rate_hz": float(per_cell.mean()), "cv_isi": 0.8,
                                 "per_cell": {"rate_hz": per_cell}}})
        runs[backend] = {"status": "ok", "reps": reps,
                         "populations": {"exc": {"celltype": celltype, "dt_ms": dt}}}
    for backend, error in (status or {}).items():
        runs[backend] = {"status": "failed", "error": error, "reps": []}
    return runs


def test_verdict_agree():
    v = verdict.decide(synthetic_runs({"tinysim": 10.0, "nest": 10.1}), ["tinysim", "nest"])
    assert v.exit_code == verdict.EXIT_AGREE, v.disagreements
    assert not v.disagreements
    rate = next(c for c in v.comparisons if c.metric == "rate_hz")
    assert rate.agree and rate.status == verdict.EQUIVALENT and rate.tolerance >= 0.95  # 10%
    assert rate.ks["D"] < 0.3 and rate.ks["n"] == 300        # reported, not decisive


def test_verdict_disagree_explains_rate_ratio():
    v = verdict.decide(synthetic_runs({"tinysim": 10.0, "brian2": 30.0}), ["tinysim", "brian2"])
    assert v.exit_code == verdict.EXIT_DISAGREE
    assert re.search(r"exc \(brian2 vs tinysim\): rates differ [23]\.\d+x", v.disagreements[0])
    assert "Welch p =" in v.disagreements[0] and "3 vs 3 seeds" in v.disagreements[0]


def test_margin_is_the_larger_of_absolute_and_relative():
    assert verdict.margin("rate_hz", [10.0, 10.0, 10.0], [10.0]) == pytest.approx(1.0)
    assert verdict.margin("rate_hz", [2.0], [2.0]) == pytest.approx(0.5)
    assert verdict.margin("rate_hz", [10.0], [30.0]) == pytest.approx(2.0)   # mean of means
    assert verdict.margin("rate_hz", [10.0], [10.0], {"rate_hz": (3.0, 0.0)}) == 3.0
    # a single seed is never judged, whatever the values
    comp = verdict.compare_metric("p", "rate_hz", "a", "b", [10], [15])
    assert comp.status == verdict.TOO_FEW and "at least 3" in comp.reason


def test_ks_is_reported_but_does_not_decide():
    # same mean, different per-cell distribution: reported (D ~ 0.5), not a difference,
    # because cells of one run share their input and are not independent samples
    rng = np.random.default_rng(1)
    a = rng.normal(10, 1, 500)
    b = np.concatenate([rng.normal(5, 1, 250), rng.normal(15, 1, 250)])
    comp = verdict.compare_metric("p", "rate_hz", "x", "y", [a.mean()] * 3, [b.mean()] * 3, a, b)
    assert comp.ks["D"] > 0.4 and comp.ks["p"] < 1e-6
    runs = synthetic_runs({"tinysim": 10.0, "nest": 10.0}, n_cells=400)
    for rep in runs["nest"]["reps"]:        # same mean, half the cells silent
        cells = np.concatenate([np.zeros(200), rng.normal(20.0, 1.0, 200)])
        rep["exc"]["per_cell"]["rate_hz"] = cells
    v = verdict.decide(runs, ["tinysim", "nest"])
    rate = next(c for c in v.comparisons if c.metric == "rate_hz")
    assert rate.ks["D"] > 0.4 and rate.status != verdict.DIFFER


def test_numpy_ks_matches_scipy():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 300), rng.normal(0.3, 1, 200)
    d, p = verdict.ks_2samp(a, b)
    scipy_stats = pytest.importorskip("scipy.stats")
    ref = scipy_stats.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(ref.statistic)
    assert p == pytest.approx(ref.pvalue, rel=0.2)


def test_numpy_ks_without_scipy(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_scipy(name, *args, **kwargs):
        if name.startswith("scipy"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_scipy)
    d, p = verdict.ks_2samp(np.arange(100.0), np.arange(100.0) + 50)
    assert d == pytest.approx(0.5) and p < 1e-8
    d, p = verdict.ks_2samp(np.arange(100.0), np.arange(100.0) + 0.5)
    assert p > 0.5


def test_izhikevich_at_one_spike_per_step_names_i_offset():
    runs = synthetic_runs({"tinysim": 1000.0, "spinnaker-emu": 18.0}, celltype="Izhikevich", dt=1.0)
    v = verdict.decide(runs, ["tinysim", "spinnaker-emu"], standard={"tinysim"})
    assert v.exit_code == verdict.EXIT_DISAGREE
    assert re.search(r"rates differ 5\d\.\dx \(\d+ Hz on tinysim", v.disagreements[0])
    assert "Izhikevich i_offset semantics differ between sPyNNaker and PyNN" in v.disagreements[0]


def test_saturation_on_every_backend_is_a_warning():
    runs = synthetic_runs({"tinysim": 1000.0, "nest": 1000.0}, celltype="Izhikevich", dt=1.0)
    v = verdict.decide(runs, ["tinysim", "nest"], standard={"tinysim", "nest"})
    assert v.exit_code == verdict.EXIT_AGREE
    assert any("every time step" in w and "i_offset" in w for w in v.warnings)


def test_failure_is_explained_and_others_still_compared():
    error = {"stage": "script", "type": "ConnectionError",
             "message": "Weights must be negative for current-based, inhibitory synapses"}
    runs = synthetic_runs({"tinysim": 10.0, "nest": 10.0}, status={"brian2": error})
    v = verdict.decide(runs, ["tinysim", "brian2", "nest"])
    assert v.exit_code == verdict.EXIT_DISAGREE
    assert v.failures["brian2"].startswith("brian2 rejected the script: ConnectionError: Weights")
    assert "SpiNNaker" in v.failures["brian2"] and "pyNN.tinysim.spinnaker" in v.failures["brian2"]
    assert any(c.backend == "nest" for c in v.comparisons)


def test_failures_with_the_same_cause_are_one_line():
    weights = {"stage": "script", "type": "ConnectionError",
               "message": "Weights must be negative for current-based, inhibitory synapses"}
    other = {"stage": "script", "type": "ValueError", "message": "bad value"}
    failures = {b: verdict.explain_failure(b, e)
                for b, e in (("tinysim", weights), ("nest", weights), ("brian2", other))}
    lines = verdict.grouped_failures(failures)
    assert len(lines) == 2
    assert lines[0].startswith("tinysim, nest rejected the script: ConnectionError: Weights")
    assert lines[1] == "brian2 rejected the script: ValueError: bad value"


def test_failed_everywhere():
    error = {"type": "ValueError", "message": "bad"}
    v = verdict.decide({"tinysim": {"status": "failed", "error": error, "reps": []},
                        "nest": {"status": "failed", "error": error, "reps": []}},
                       ["tinysim", "nest"])
    assert v.exit_code == verdict.EXIT_FAILED_EVERYWHERE


def test_silent_backend():
    v = verdict.decide(synthetic_runs({"tinysim": 12.0, "nest": 0.0}), ["tinysim", "nest"])
    assert "nest is silent where tinysim fires at 1" in v.disagreements[0]


# --- backends -------------------------------------------------------------------------------------

def test_plan_skips_missing_backends_with_pip_command(monkeypatch):
    monkeypatch.setattr(backends.Backend, "missing",
                        lambda self: [] if self.name == "tinysim" else [self.requires[0]])
    plan = backends.expand(["tinysim", "brian2", "spinnaker"])
    assert [b.name for b in plan.run] == ["tinysim"]
    assert "pip install 'pynn-tinysim[brian2]'" in plan.skipped["brian2"]
    assert "pip install 'pynn-tinysim[spinnaker]'" in plan.skipped["spinnaker"]
    assert "emulation unavailable" in plan.skipped["spinnaker-emu"]


def test_spinnaker_board_detection(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert not backends.spinnaker_board_configured(cwd=tmp_path)[0]
    (tmp_path / ".spynnaker.cfg").write_text("[Machine]\nvirtual_board = True\nversion = 5\n")
    assert not backends.spinnaker_board_configured(cwd=tmp_path)[0]
    (tmp_path / ".spynnaker.cfg").write_text("[Machine]\nmachineName = 192.168.240.253\n"
                                             "version = 5\n")
    configured, why = backends.spinnaker_board_configured(cwd=tmp_path)
    assert configured and "192.168.240.253" in why
    assert "virtual_board = True" in backends.virtual_board_config("/r")


# --- the command line and exit codes ------------------------------------------------------------

def test_run_passes_arguments_and_exit_status(tmp_path):
    script = write(tmp_path, "args.py", """
        import sys
        import pyNN.spiNNaker as sim
        print(sim.__name__, sys.argv[1:])
        sys.exit(3)
    """)
    proc = cli("run", script, "--backend", "tinysim", "--", "--n", "7", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.strip() == "pynn_tinysim ['--n', '7']"


def test_compare_exit_2_when_the_script_fails_everywhere(tmp_path):
    script = write(tmp_path, "broken.py", """
        import pyNN.nest as sim
        sim.setup(timestep=0.1)
        sim.Population(3, sim.IF_curr_exp(tau_m=-1.0))
    """)
    proc = cli("compare", script, "--backends", "tinysim", "--seeds", "1", "--out",
               tmp_path / "rep", "--no-figures", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "FAILED: tinysim rejected the script" in proc.stdout
    assert "tau_m" in proc.stdout
    report = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert report["verdict"]["exit_code"] == 2


def test_compare_exit_2_when_no_backend_is_installed(tmp_path, monkeypatch):
    from pynn_tinysim.compare import compare
    monkeypatch.setattr(backends.Backend, "missing", lambda self: [self.requires[0]])
    script = write(tmp_path, "s.py", "import pyNN.nest\n")
    result = compare(str(script), backends=["nest", "brian2"], seeds=1, out_dir=str(tmp_path / "r"))
    assert result.exit_code == 2
    assert "nothing ran" in result.table() and "skipped" in result.table()


def test_seed004_as_written_for_spinnaker_is_explained(tmp_path):
    proc = cli("compare", NETWORKS / "seed004_spinnaker.py", "--backends", "tinysim",
               "--seeds", "1", "--out", tmp_path / "rep", "--no-figures", cwd=tmp_path)
    assert proc.returncode in (1, 2), proc.stdout + proc.stderr   # 1 when spinnaker-emu ran
    assert "ConnectionError" in proc.stdout
    assert "sPyNNaker's convention" in proc.stdout and "pyNN.tinysim.spinnaker" in proc.stdout


@pytest.mark.skipif(not HAVE_NEST, reason="nest-simulator is not installed")
def test_wait_reports_each_phase(tmp_path):
    """The parent prints each phase the child writes, with the elapsed time (no timing:
    a stand-in child moves to the next phase at each of the parent's polls)."""
    phases = iter(["starting", "building", "simulating", "collecting"])

    class Child:
        def wait(self, timeout):
            phase = next(phases, None)
            if phase is None:
                return 0
            (tmp_path / "phase.txt").write_text(phase)
            raise subprocess.TimeoutExpired("child", timeout)

    spec = types.SimpleNamespace(run_dir=str(tmp_path), timeout=None, rep=0,
                                 backend=types.SimpleNamespace(name="tinysim"))
    lines = []
    assert runners._wait(Child(), spec, lines.append, 0.0) is False
    assert [re.search(r"tinysim seed 0: (\w+) \(\d+ s\)$", line).group(1) for line in lines] \
        == ["starting", "building", "simulating", "collecting"]


@pytest.mark.slow       # both backends, several repetitions each (~10 s)
def test_compare_tinysim_and_nest_on_a_tiny_network(tmp_path):
    out = tmp_path / "report"
    proc = cli("compare", NETWORKS / "tiny_net.py", "--backends", "tinysim,nest", "--seeds", "3",
               "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verdict: no difference in" in proc.stdout
    # progress: the size estimate after the first run (the phase lines appear only for
    # runs longer than the parent's 1 s poll: test_wait_reports_each_phase checks them)
    assert "the report will hold about" in proc.stderr
    report = json.loads((out / "results.json").read_text())
    assert report["runs"]["nest"]["status"] == "ok"
    seeds0 = report["runs"]["tinysim"]["seeds"][0]
    assert seeds0["populations"]["cells"]["rate_hz"] > 10
    assert len(report["runs"]["nest"]["seeds"]) == 3
    # repetition k gives the same seeds to both backends
    assert [s["seeds_used"] for s in report["runs"]["tinysim"]["seeds"]] == \
        [s["seeds_used"] for s in report["runs"]["nest"]["seeds"]]
    assert (out / "summary.md").read_text().startswith("# Cross-backend comparison")
    assert (out / "nest" / "seed_2" / "cells.pkl").exists()
    if importlib.util.find_spec("matplotlib"):
        for fig in ("raster", "hist", "psth", "v"):
            assert (out / f"{fig}_cells.png").exists(), fig
        assert "data:image/png;base64," in (out / "report.html").read_text()
    # compact capture: v summarised, not pickled
    assert (out / "nest" / "seed_0" / "cells.signals.npz").exists()
    assert report["comparisons"][0]["test"]["n"] == 3


@pytest.mark.skipif(not HAVE_NEST, reason="nest-simulator is not installed")
def test_compare_exit_1_when_backends_disagree(tmp_path):
    script = write(tmp_path, "differs.py", """
        import pyNN.tinysim as sim
        rate = 10.0 if sim.__name__ == "pynn_tinysim" else 40.0
        sim.setup(timestep=1.0)
        src = sim.Population(50, sim.SpikeSourcePoisson(rate=rate), label="src")
        src.record("spikes")
        sim.run(1000.0)
    """)
    from pynn_tinysim.compare import assert_backends_agree
    from pynn_tinysim.compare.pytest_helper import BackendsDisagree
    with pytest.raises(BackendsDisagree) as info:
        assert_backends_agree(str(script), backends=["tinysim", "nest"], seeds=3,
                              out_dir=str(tmp_path / "rep"))
    message = str(info.value)
    assert "backends disagree on differs.py" in message
    # 10 vs 40 Hz: about 4x (3 seeds of 50 Poisson cells: each mean within a few %)
    ratio = re.search(r"src \(nest vs tinysim\): rates differ ([0-9.]+)x", message)
    assert ratio and 3.5 < float(ratio.group(1)) < 4.5, message
    assert info.value.result.exit_code == 1
    # short: no helper source, the report's path at the end, the report kept with figures
    assert len(message.splitlines()) <= 6 and "def assert_backends_agree" not in message
    assert message.splitlines()[-1] == f"report: {tmp_path / 'rep' / 'report.html'}"
    assert (tmp_path / "rep" / "report.html").exists()
    if importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "rep" / "psth_src.png").exists()


def test_assert_backends_agree_skips_a_missing_backend():
    if importlib.util.find_spec("neuron") is not None:
        pytest.skip("NEURON is installed here")
    from pynn_tinysim.compare import assert_backends_agree
    with pytest.raises(pytest.skip.Exception, match="pip install neuron"):
        assert_backends_agree("networks/tiny_net.py", backends=["tinysim", "neuron"])
