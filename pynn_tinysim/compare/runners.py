"""Parent side of a run: one child process per (backend, repetition), never the simulator
in the harness's own process (NEST's kernel and sPyNNaker's data view are global
state, and a crash or hang must cost one run, not the comparison).

Each run gets a directory ``<out>/<backend>/seed_<rep>/`` holding the captured
data (``<population>.pkl``), ``status.json`` (child.py), ``stdout.txt`` and
``stderr.txt``. A run that passes its time limit is killed with its process group
and reported as failed (error type ``Timeout``).
"""

import concurrent.futures
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

from . import backends as backends_mod, progress as progress_mod

DEFAULT_TIMEOUT_S = 600.0


@dataclasses.dataclass
class RunSpec:
    backend: backends_mod.Backend
    rep: int
    script: str
    script_args: tuple = ()
    out_dir: str = None                 # None: no capture, streams pass through
    seed_base: int = 12345
    seeds: bool = True                  # patch seeds (seeds.py)
    keep_script_seeds: bool = False
    brian2_target: str = "numpy"
    timeout: float = DEFAULT_TIMEOUT_S
    keep_signals: bool = False

    @property
    def run_dir(self):
        return None if self.out_dir is None else os.path.join(
            self.out_dir, self.backend.name, f"seed_{self.rep}")


@dataclasses.dataclass
class RunResult:
    backend: str
    rep: int
    status: str                  # "ok" | "failed" | "virtual"
    error: dict = None
    returncode: int = None
    wall_s: float = 0.0
    run_dir: str = None
    manifest: dict = None        # child status.json (populations, seeds, timestep...)


def _package_root():
    here = os.path.dirname(os.path.abspath(__file__))       # .../pynn_tinysim/compare
    return os.path.dirname(os.path.dirname(here))


def child_config(spec):
    run_dir = spec.run_dir
    return {
        "backend": spec.backend.name,
        "virtual": spec.backend.virtual,
        "script": os.path.abspath(spec.script),
        "script_args": list(spec.script_args),
        "seed": ({"base": spec.seed_base, "rep": spec.rep,
                  "keep_script_seeds": spec.keep_script_seeds} if spec.seeds else None),
        "capture_dir": run_dir,
        "status_file": os.path.join(run_dir, "status.json") if run_dir else None,
        "brian2_target": spec.brian2_target,
        "phase_file": os.path.join(run_dir, "phase.txt") if run_dir else None,
        "keep_signals": spec.keep_signals,
    }


def child_command(spec):
    return [sys.executable, "-m", "pynn_tinysim.compare.child", json.dumps(child_config(spec))]


def child_env(spec, base_env=None, spinnaker_dir=None):
    """The child's environment: this one, plus what makes the run headless and
    reproducible, plus a private sPyNNaker config for a virtual-board run (written
    under ``spinnaker_dir``, default the run directory)."""
    env = dict(os.environ if base_env is None else base_env)
    root = _package_root()
    if os.path.basename(root) not in ("site-packages", "dist-packages"):
        # a source tree: make the child run this very code
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    if spec.out_dir is not None:
        env.setdefault("MPLBACKEND", "Agg")      # scripts that plt.show() must not block
    env.setdefault("PYTHONHASHSEED", "0")
    if spec.backend.virtual:
        base = spinnaker_dir or spec.run_dir
        home = os.path.join(base, "spinnaker_home")
        os.makedirs(home, exist_ok=True)
        with open(os.path.join(home, ".spynnaker.cfg"), "w") as f:
            f.write(backends_mod.virtual_board_config(os.path.join(base, "spinnaker_reports")))
        env["HOME"] = home
        env["XDG_CONFIG_HOME"] = os.path.join(home, ".config")
    return env


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        proc.kill()


def _wait(proc, spec, progress, t0):
    """Wait for the child (or its time limit), reporting its phase; True when timed out."""
    phase_file = os.path.join(spec.run_dir, "phase.txt") if spec.run_dir else None
    last_phase, last_report = None, t0
    while True:
        elapsed = time.perf_counter() - t0
        remaining = spec.timeout - elapsed if spec.timeout else None
        if remaining is not None and remaining <= 0:
            return True
        try:
            proc.wait(timeout=min(1.0, remaining) if remaining is not None else 1.0)
            return False
        except subprocess.TimeoutExpired:
            pass
        if progress is None or phase_file is None:
            continue
        phase = progress_mod.read(phase_file)
        now = time.perf_counter()
        if phase and (phase != last_phase or now - last_report >= progress_mod.HEARTBEAT_S):
            what = phase
            if phase == "compiling":
                what = "compiling (Brian2 generates and builds code before its first run)"
            progress(f"  {spec.backend.name} seed {spec.rep}: {what} ({now - t0:.0f} s)")
            last_phase, last_report = phase, now


def run_one(spec, progress=None):
    """Run one child to the end (or its time limit) and read what it left."""
    run_dir = spec.run_dir
    if run_dir:
        os.makedirs(run_dir, exist_ok=True)
        for name in os.listdir(run_dir):              # a rerun into the same DIR
            if name.endswith((".pkl", ".npz")) or name in ("status.json", "phase.txt"):
                os.remove(os.path.join(run_dir, name))
    env = child_env(spec)
    t0 = time.perf_counter()
    stdout = open(os.path.join(run_dir, "stdout.txt"), "w") if run_dir else None
    stderr = open(os.path.join(run_dir, "stderr.txt"), "w") if run_dir else None
    try:
        proc = subprocess.Popen(child_command(spec), env=env, stdout=stdout, stderr=stderr,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        timed_out = _wait(proc, spec, progress, t0)
        if timed_out:
            _kill_group(proc)
            proc.wait()
        returncode = proc.returncode
    finally:
        for f in (stdout, stderr):
            if f is not None:
                f.close()
    wall = time.perf_counter() - t0
    result = RunResult(spec.backend.name, spec.rep, "ok", returncode=returncode, wall_s=wall,
                       run_dir=run_dir)
    status = None
    if run_dir and os.path.exists(os.path.join(run_dir, "status.json")):
        with open(os.path.join(run_dir, "status.json")) as f:
            status = json.load(f)
        result.manifest = status
    if timed_out:
        result.status = "failed"
        result.error = {"stage": "script", "type": "Timeout",
                        "message": f"ran past the time limit of {spec.timeout:g} s and was killed"}
    elif status is not None and status.get("status") == "error":
        result.status = "failed"
        result.error = status.get("error")
    elif returncode != 0:
        result.status = "failed"
        result.error = {"stage": "script", "type": "ChildError",
                        "message": f"the child process exited with status {returncode}"
                                   + (": " + _tail(run_dir) if run_dir else "")}
    elif spec.backend.virtual:
        result.status = "virtual"
    return result


def _tail(run_dir, n=5):
    try:
        with open(os.path.join(run_dir, "stderr.txt")) as f:
            lines = [line.rstrip() for line in f if line.strip()]
        return " | ".join(lines[-n:])
    except OSError:
        return ""


def dir_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def _mb(n):
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def run_all(specs, jobs=1, progress=None):
    """Run ``specs`` (``jobs`` at a time) and return their RunResults in the same order.

    After the first run that saved data, ``progress`` gets an estimate of the report's
    size (that run's data times the number of runs)."""
    results = [None] * len(specs)
    estimated = []
    failed_first = {}         # backend -> RunResult of its repetition 0, when that failed

    def one(i):
        spec = specs[i]
        first = failed_first.get(spec.backend.name)
        if first is not None:
            # the same script failing on repetition 0 fails the same way on the others
            # (a wrong weight sign, a missing API): do not spend minutes proving it
            results[i] = RunResult(spec.backend.name, spec.rep, "failed",
                                   error=dict(first.error or {}, not_run=True),
                                   run_dir=None)
            if progress:
                progress(f"  {spec.backend.name} seed {spec.rep}: not run (seed 0 failed)")
            return results[i]
        if progress:
            progress(f"running {spec.backend.name} seed {spec.rep} ({i + 1}/{len(specs)}) ...")
        results[i] = run_one(spec, progress)
        r = results[i]
        if r.status == "failed" and spec.rep == 0:
            failed_first[spec.backend.name] = r
        if progress:
            what = r.status if r.status != "failed" else \
                f"failed ({(r.error or {}).get('type', '?')})"
            progress(f"  {spec.backend.name} seed {spec.rep}: {what} in {r.wall_s:.1f} s")
            if not estimated and r.run_dir and r.status == "ok":
                size = dir_size(r.run_dir)
                estimated.append(size)
                progress(f"  captured {_mb(size)} in this run: the report will hold about "
                         f"{_mb(size * len(specs))} for {len(specs)} run(s)"
                         + ("" if spec.keep_signals else
                            " (analog signals summarised; --keep-signals keeps them)"))
        return r

    if jobs <= 1:
        for i in range(len(specs)):
            one(i)
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(one, range(len(specs))))
    return results


def run_script(script, backend_name, script_args=(), seed=None, keep_script_seeds=False,
               out_dir=None, brian2_target=None, timeout=None):
    """``tinysim run``: the script on one backend, its output on this terminal.

    Returns the script's exit status. ``seed``: None runs the script's own seeds
    untouched; an int derives every seed from it (explicit ones in the script too,
    unless ``keep_script_seeds``).
    """
    backend = backends_mod.get(backend_name)
    if backend.name == "spinnaker":
        configured, _ = backends_mod.spinnaker_board_configured()
        if not configured:
            backend = backends_mod.SPINNAKER_VIRTUAL
    if seed is not None and not backend.harness_seeds:
        print(f"tinysim run: --seed is ignored on {backend.name} (its random numbers are "
              "drawn on the board)", file=sys.stderr)
        seed = None
    spec = RunSpec(backend, 0, script, tuple(script_args), out_dir=None,
                   seed_base=seed if seed is not None else 0, seeds=seed is not None,
                   keep_script_seeds=keep_script_seeds, brian2_target=brian2_target,
                   timeout=timeout or 0)
    config = child_config(spec)
    if config["seed"] is not None:
        config["seed"]["rep0_as_written"] = False      # --seed S changes explicit seeds too
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        config["capture_dir"] = os.path.abspath(out_dir)
        config["status_file"] = os.path.join(os.path.abspath(out_dir), "status.json")
    spinnaker_dir = None
    if backend.virtual:
        import tempfile
        spinnaker_dir = tempfile.mkdtemp(prefix="tinysim-spinnaker-")
        print("tinysim run: no SpiNNaker board configured; sPyNNaker runs on a virtual board "
              f"(config and reports in {spinnaker_dir}): it maps the network but records "
              "no data. --backend spinnaker-emu emulates SpiNNaker with pyNN.tinysim.spinnaker.",
              file=sys.stderr)
    env = child_env(spec, spinnaker_dir=spinnaker_dir)
    cmd = [sys.executable, "-m", "pynn_tinysim.compare.child", json.dumps(config)]
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait(timeout=timeout or None)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return 124
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        return proc.wait()
