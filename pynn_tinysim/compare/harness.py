"""``compare()``: one script, several backends, N seeds each -> statistics -> verdict -> report.

The steps live in their own modules (backends: which backends run; runners: the
child processes; statistics: metrics; verdict: agreement; report: files and the
terminal table); this module only wires them together and holds the result.
"""

import dataclasses
import datetime
import os
import shutil

from . import backends as backends_mod
from . import runners, statistics, verdict as verdict_mod

DEFAULT_BACKENDS = ("tinysim", "nest", "brian2", "spinnaker")
DEFAULT_SEEDS = verdict_mod.DEFAULT_SEEDS
#: marks a directory as a tinysim compare report (so that --out may clean it)
MARKER = ".tinysim-compare"
#: what a report directory holds besides the backends' run folders
REPORT_FILES = ("results.json", "summary.md", "report.html", MARKER)


class OutDirInUse(FileExistsError):
    """--out names a non-empty directory that is not a tinysim compare report."""


def default_out_dir(script, now=None):
    stamp = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
    name = os.path.splitext(os.path.basename(script))[0]
    return os.path.abspath(f"tinysim-compare-{name}-{stamp}")


def prepare_out_dir(out_dir):
    """Create ``out_dir``, or empty it when it holds an earlier report (results.json or the
    marker file); refuse (OutDirInUse) a non-empty directory that holds anything else, so
    that stale seed folders never sit beside new results and no user file is deleted."""
    if os.path.isdir(out_dir) and os.listdir(out_dir):
        names = os.listdir(out_dir)
        if MARKER not in names and "results.json" not in names:
            raise OutDirInUse(
                f"{out_dir} exists and is not a tinysim compare report (no results.json); "
                "choose another --out, or leave it out for a new timestamped directory")
        for name in names:
            path = os.path.join(out_dir, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, MARKER), "w") as f:
        f.write("tinysim compare report directory: tinysim compare --out may empty it\n")


@dataclasses.dataclass
class ComparisonResult:
    script: str
    script_args: list
    requested: list
    seeds: int
    out_dir: str
    keep_script_seeds: bool
    base_seed: int
    plan: backends_mod.Plan
    results: list              # runners.RunResult, every run
    runs: dict                 # backend -> {"status", "reps", "populations", ...}
    verdict: verdict_mod.Verdict
    engine: str = statistics.ENGINE
    report_files: dict = dataclasses.field(default_factory=dict)
    keep_signals: bool = False

    @property
    def exit_code(self):
        return self.verdict.exit_code

    @property
    def agree(self):
        return self.verdict.exit_code == verdict_mod.EXIT_AGREE

    def table(self):
        from . import report
        return report.terminal_table(self)


def _load_signals(run_dir, entry):
    name = entry.get("signals_file")
    if not name:
        return None
    import numpy as np
    try:
        with np.load(os.path.join(run_dir, name)) as data:
            return {k: data[k] for k in data.files}
    except Exception:
        return None


def _stats_for_run(result, backend=None):
    """{population key: metrics} and {population key: meta} of one finished run."""
    pops, meta = {}, {}
    manifest = result.manifest or {}
    dt = manifest.get("timestep_ms")
    shift = (backend.spike_stamp_steps * dt) if backend is not None and dt else 0.0
    for entry in manifest.get("populations", []):
        path = os.path.join(result.run_dir, entry["file"])
        try:
            block = statistics.load_block(path)
        except Exception as err:  # a corrupt file is this run's problem, not the harness's
            manifest.setdefault("capture_errors", []).append(
                f"{entry['key']}: cannot read {path}: {type(err).__name__}: {err}")
            continue
        meta[entry["key"]] = {"celltype": entry.get("celltype"), "dt_ms": dt,
                              "size": entry.get("size"), "label": entry.get("label"),
                              "variables": entry.get("variables")}
        if result.status == "virtual":
            continue                 # a virtual board records empty trains: no statistics
        # (a population that recorded but never fired is a valid, silent, result)
        pops[entry["key"]] = statistics.population_statistics(
            block, spike_shift_ms=shift, signals=_load_signals(result.run_dir, entry))
    return pops, meta


def collect(plan, results):
    """Group RunResults by backend and compute statistics."""
    runs = {}
    for backend in plan.run:
        mine = [r for r in results if r.backend == backend.name]
        entry = {"status": "ok", "virtual": backend.virtual, "reps": [], "rep_ids": [],
                 "populations": {}, "errors": [], "results": mine,
                 "wall_s": sum(r.wall_s for r in mine)}
        entry["created"] = next(((r.manifest or {}).get("created") for r in mine
                                 if (r.manifest or {}).get("created")), [])
        for r in mine:
            if r.status == "failed":
                entry["errors"].append({"rep": r.rep, **(r.error or {})})
                continue
            pops, meta = _stats_for_run(r, backend)
            entry["populations"].update({k: v for k, v in meta.items()
                                         if k not in entry["populations"]})
            if r.status == "ok":
                entry["reps"].append(pops)
                entry["rep_ids"].append(r.rep)
        if mine and all(r.status == "failed" for r in mine):
            entry["status"] = "failed"
            entry["error"] = mine[0].error
        elif any(r.status == "virtual" for r in mine):
            entry["status"] = "virtual"
        runs[backend.name] = entry
    return runs


def compare(script, backends=DEFAULT_BACKENDS, seeds=DEFAULT_SEEDS, out_dir=None,
            script_args=(), keep_script_seeds=False, base_seed=12345,
            timeout=runners.DEFAULT_TIMEOUT_S, jobs=1, brian2_target="numpy", figures=True,
            progress=None, margins=None, min_seeds=verdict_mod.MIN_SEEDS,
            alpha=verdict_mod.ALPHA, strict=False, keep_signals=False, html=True, k=None):
    """Run ``script`` (a .py script or a .ipynb notebook) on each backend ``seeds`` times,
    compare, write the report.

    ``margins``: {metric: (absolute, relative)} overriding verdict.MARGINS; ``strict``:
    inconclusive metrics give exit status 3; ``keep_signals``: keep every recorded analog
    signal (default: a compact v summary). ``out_dir`` defaults to a new timestamped
    directory; an earlier report there is replaced, anything else is refused (OutDirInUse).
    Returns a ComparisonResult (``.exit_code``, ``.verdict``, ``.table()``).
    """
    if isinstance(backends, str):
        backends = [b.strip() for b in backends.split(",") if b.strip()]
    if not os.path.isfile(script):
        raise FileNotFoundError(f"no such script: {script}")
    if seeds < 1:
        raise ValueError("seeds must be at least 1")
    if out_dir is None:
        out_dir = default_out_dir(script)
    out_dir = os.path.abspath(out_dir)
    prepare_out_dir(out_dir)

    plan = backends_mod.expand(list(backends))
    if seeds < min_seeds:
        plan.notes.append(f"{seeds} seed(s) per backend: at least {min_seeds} are needed to judge "
                          f"a metric, so the verdict can only be 'too few seeds' (exit 3) or "
                          f"a failure")
    specs = []
    for backend in plan.run:
        n = 1 if backend.virtual else seeds     # a virtual board maps; once is enough
        for rep in range(n):
            specs.append(runners.RunSpec(backend, rep, script, tuple(script_args), out_dir,
                                         seed_base=base_seed, seeds=backend.harness_seeds,
                                         keep_script_seeds=keep_script_seeds,
                                         brian2_target=brian2_target, timeout=timeout,
                                         keep_signals=keep_signals))
    results = runners.run_all(specs, jobs=jobs, progress=progress)
    runs = collect(plan, results)
    if progress:
        progress("computing statistics and tests ...")
    verdict = verdict_mod.decide(runs, [b.name for b in plan.run],
                                 standard={b.name for b in plan.run if b.pynn_standard},
                                 margins=margins, min_seeds=min_seeds, alpha=alpha,
                                 strict=strict)
    if not plan.run:
        verdict.exit_code = verdict_mod.EXIT_FAILED_EVERYWHERE
        verdict.summary = "no requested backend is installed: nothing ran"
        verdict.warnings[:] = [w for w in verdict.warnings if not w.startswith("nothing to compare")]
    result = ComparisonResult(os.path.abspath(script), list(script_args), list(backends), seeds,
                              out_dir, keep_script_seeds, base_seed, plan, results, runs, verdict,
                              keep_signals=keep_signals)
    from . import report
    if progress:
        progress("writing the report ...")
    result.report_files = report.write_all(result, figures=figures, html=html)
    return result
