"""The child process: one unmodified script, one backend, one repetition.

Started by :mod:`pynn_tinysim.compare.runners` as::

    python -m pynn_tinysim.compare.child '<json config>'

Config keys: ``backend`` (a name in backends.BACKENDS), ``virtual`` (a SpiNNaker
virtual-board run), ``script``, ``script_args``, ``seed`` (``{"base", "rep",
"keep_script_seeds", "rep0_as_written"}``, see seeds.SeedPolicy, or null for no
seed patching), ``capture_dir`` (null: no
capture), ``status_file`` (null: none written), ``brian2_target`` (Brian2's
``prefs.codegen.target``, e.g. ``"numpy"``; null: Brian2's default), ``phase_file``
(progress.py; null: none), ``keep_signals`` (keep every analog signal in the saved data;
default: only the compact membrane summary the statistics and figures need).

A script ending in ``.ipynb`` is a Jupyter notebook: its code cells run in order
(notebook.py), with the same redirection, seeds and capture.

In order: import redirection (redirect.py), seeds (seeds.py), capture (capture.py),
then the script runs as ``__main__`` with ``sys.argv = [script, *script_args]``,
exactly as ``python script.py args`` would run it. The status file says how it
ended: ``ok`` or ``error`` with the exception (stage ``import`` when the backend
itself would not import, ``script`` otherwise), the seeds used, and the
manifest of the data saved. The exit status is the script's (1 for an exception).
"""

import json
import os
import runpy
import sys
import time
import traceback


def _error_record(stage, exc):
    return {
        "stage": stage,
        "type": type(exc).__name__,
        "module": type(exc).__module__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }


def run(config):
    from . import backends, capture as capture_mod, notebook, progress, redirect, seeds

    phase_file = config.get("phase_file")
    progress.write(phase_file, "starting")
    backend = backends.get(config["backend"])
    status = {"backend": backend.name, "virtual": bool(config.get("virtual")),
              "script": config["script"], "script_args": list(config.get("script_args", [])),
              "status": "ok", "error": None, "exit_code": 0}
    t0 = time.perf_counter()
    capture = None
    policy = None
    module = None
    try:
        if backend.name == "brian2" and config.get("brian2_target"):
            import brian2
            brian2.prefs.codegen.target = config["brian2_target"]
        module = redirect.install(backend.module, backend.simulator_name)
        status["module_file"] = getattr(module, "__file__", None)
    except BaseException as exc:  # noqa: B902 - reported, never re-raised
        status.update(status="error", error=_error_record("import", exc), exit_code=1)
        traceback.print_exc()
        return status, None, t0

    if config.get("seed") is not None:
        s = config["seed"]
        policy = seeds.SeedPolicy(base=int(s.get("base", 12345)), rep=int(s.get("rep", 0)),
                                  keep_script_seeds=bool(s.get("keep_script_seeds", False)),
                                  rep0_as_written=bool(s.get("rep0_as_written", True)))
        seeds.install(policy, module, backend_accepts_rng_seed=backend.accepts_rng_seed,
                      brian2_backend=backend.name == "brian2")
    if config.get("capture_dir"):
        capture = capture_mod.Capture(config["capture_dir"],
                                      keep_signals=bool(config.get("keep_signals")))
        capture_mod.install(capture, module)
    progress.install(module, phase_file, brian2=backend.name == "brian2")

    script = os.path.abspath(config["script"])
    sys.argv[:] = [script] + list(config.get("script_args", []))
    sys.path[0] = os.path.dirname(script)
    try:
        if notebook.is_notebook(script):
            notebook.run(script)
        else:
            runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
        if code not in (None, 0):
            status.update(status="error", exit_code=code if isinstance(code, int) else 1,
                          error={"stage": "script", "type": "SystemExit", "module": "builtins",
                                 "message": f"the script exited with status {code}",
                                 "traceback": ""})
    except BaseException as exc:  # noqa: B902 - the script's error is the result
        status.update(status="error", error=_error_record("script", exc), exit_code=1)
        traceback.print_exc()
    finally:
        progress.write(phase_file, "collecting")
        if capture is not None:
            try:
                capture.flush(module if capture.entries else None)
            except BaseException as exc:  # noqa: B902
                capture.errors.append(f"capture failed: {type(exc).__name__}: {exc}")
    status["seeds"] = [list(item) for item in policy.log] if policy is not None else None
    return status, capture, t0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    config = json.loads(argv[0])
    status, capture, t0 = run(config)
    status["wall_s"] = time.perf_counter() - t0
    if capture is not None:
        status.update(capture.manifest())
    if config.get("status_file"):
        with open(config["status_file"], "w") as f:
            json.dump(status, f, indent=1, default=str)
    sys.stdout.flush()
    sys.stderr.flush()
    return int(status["exit_code"] or 0)


if __name__ == "__main__":
    sys.exit(main())
