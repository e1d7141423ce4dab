"""Portability check: does sPyNNaker map this script, and what does it warn about?

``tinysim spinnaker-check SCRIPT`` runs a PyNN script with sPyNNaker itself
(``pyNN.spiNNaker``) on its *virtual board*: sPyNNaker builds, partitions,
places and routes the network for a SpiNNaker machine (a 48-chip SpiNN-5
board by default) without one, then returns empty recordings. That is a real
test of what would fail or change on the machine: unsupported models or
parameters, delays it rounds or cannot reach, networks that do not fit, the
warnings sPyNNaker logs.

A script is checked unchanged whatever backend it imports: in the checking process every
PyNN backend module name (``pyNN.nest``, ``pyNN.brian2``, ``pyNN.tinysim``,
``pyNN.tinysim.spinnaker``, ``spynnaker8``..., as ``tinysim compare`` redirects them) is an
alias of ``pyNN.spiNNaker``, and ``pyNN.utility.get_simulator`` is handed ``spiNNaker``; the
report says which imports were redirected. A Jupyter notebook (``.ipynb``) is checked
through its code cells (compare/notebook.py).

sPyNNaker is not a dependency of pyNN.tinysim, and its pinned requirements may
not fit the same environment, so the check runs in a separate Python process:
``--python PATH`` (or the environment variable ``TINYSIM_SPYNNAKER_PYTHON``)
names an interpreter that has ``spynnaker`` (``pip install spynnaker`` in a
virtual environment of its own); without either, the current interpreter is
tried. The process gets a private home directory holding a ``.spynnaker.cfg``
that selects the virtual board, and a scratch working directory, so the
user's own sPyNNaker configuration, and the script's output files, are left alone.

Exit status: 0 the script ran and mapped; 1 sPyNNaker failed (or the script
did); 2 no interpreter with sPyNNaker was found.

sPyNNaker reports some things only after a run on a real machine (e.g. how
many delays its connectors clipped up to one time step); for those the check
adds notes derived from the projections sPyNNaker built, marked as such.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

#: environment variable naming a Python interpreter that has sPyNNaker
PYTHON_ENV = "TINYSIM_SPYNNAKER_PYTHON"

VIRTUAL_BOARD_CFG = """[Machine]
virtual_board = True
version = 5
"""

#: sPyNNaker messages that say nothing about the script on a virtual board
_EXPECTED_ON_VIRTUAL_BOARD = ("Data from a virtual run will be empty",)

EXIT_OK, EXIT_FAILED, EXIT_NO_SPYNNAKER = 0, 1, 2


class SpynnakerNotFound(RuntimeError):
    """No Python interpreter with sPyNNaker could be found."""


@dataclass
class CheckResult:
    """What the check found out about one script."""
    script: str
    python: str
    spynnaker_version: str = ""
    mapped: bool = False          # run() completed on the virtual board
    runs: int = 0                 # how many run()/run_until() calls completed
    error: str = ""               # the exception that stopped the script, if any
    error_traceback: str = ""
    warnings: list = field(default_factory=list)   # (count, logger, message)
    notes: list = field(default_factory=list)      # derived by the check, not logged
    seconds: float = 0.0
    returncode: int = 0
    output_tail: str = ""
    redirected: list = field(default_factory=list)  # backend modules run as pyNN.spiNNaker

    @property
    def ok(self):
        return self.mapped and not self.error

    def exit_status(self):
        return EXIT_OK if self.ok else EXIT_FAILED


# The program the checking process runs (sys.argv: script, result file).
_DRIVER = r'''
import importlib, importlib.abc, importlib.util, json, logging, os, runpy, sys, traceback
script, result_path = sys.argv[1], sys.argv[2]
script_dir = sys.argv[3] if len(sys.argv) > 3 else os.path.dirname(os.path.abspath(script))
result = {"mapped": False, "runs": 0, "error": "", "traceback": "", "warnings": [],
          "notes": [], "version": ""}

class _Capture(logging.Handler):
    def emit(self, record):
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        result["warnings"].append([record.levelname, record.name, message])

logging.getLogger().addHandler(_Capture(level=logging.WARNING))

_ALIASES = tuple(sorted(__ALIASES__, key=len, reverse=True))
_TARGET = "pyNN.spiNNaker"
result["redirected"] = []

class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Every other PyNN backend name (and its submodules) -> pyNN.spiNNaker[.X] here."""
    def _map(self, name):
        for alias in _ALIASES:
            if name == alias or name.startswith(alias + "."):
                return alias, _TARGET + name[len(alias):]
        return None
    def find_spec(self, name, path=None, target=None):
        if self._map(name) is None:
            return None
        return importlib.util.spec_from_loader(name, self, is_package=True)
    def create_module(self, spec):
        alias, real = self._map(spec.name)
        if spec.name == alias and alias not in result["redirected"]:
            result["redirected"].append(alias)
        try:
            module = importlib.import_module(real)
        except ImportError:
            parent, _, attr = real.rpartition(".")
            module = getattr(importlib.import_module(parent), attr)
        self._real_spec = getattr(module, "__spec__", None)
        return module
    def exec_module(self, module):
        # the import system gave the module the alias's spec; put its own back
        if getattr(self, "_real_spec", None) is not None:
            module.__spec__ = self._real_spec

sys.meta_path.insert(0, _Alias())

def _write():
    with open(result_path, "w") as f:
        json.dump(result, f)

try:
    import pyNN.spiNNaker as sim
    try:
        import spynnaker
        result["version"] = getattr(spynnaker, "__version__", "") or \
            importlib.import_module("spynnaker._version").__version__
    except Exception:
        pass

    def _counting(run_function):
        def run(*args, **kwargs):
            value = run_function(*args, **kwargs)
            result["runs"] += 1
            result["mapped"] = True
            return value
        return run

    for _name in ("run", "run_until", "run_for"):
        if hasattr(sim, _name):
            setattr(sim, _name, _counting(getattr(sim, _name)))

    try:
        import matplotlib
        matplotlib.use("Agg")
    except Exception:
        pass

    try:
        import pyNN.utility as _utility
        _get_simulator = _utility.get_simulator
        def _spinnaker_get_simulator(*args, **kwargs):
            saved = list(sys.argv)
            sys.argv[:] = saved[:1] + ["spiNNaker"] + saved[1:]
            try:
                return _get_simulator(*args, **kwargs)
            finally:
                sys.argv[:] = saved
        _utility.get_simulator = _spinnaker_get_simulator
    except Exception:
        pass

    sys.path.insert(0, script_dir)
    sys.argv = [script]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exit_:
        if exit_.code not in (None, 0):
            raise

    # what sPyNNaker only reports after a run on a machine: delays to be clipped
    try:
        from spynnaker.pyNN.data import SpynnakerDataView
        from pyNN.random import RandomDistribution
        timestep = SpynnakerDataView.get_simulation_time_step_ms()
        for projection in SpynnakerDataView.iterate_projections():
            info = projection._synapse_information
            delays = info.delays
            label = f"{info.pre_population.label}->{info.post_population.label}"
            if isinstance(delays, RandomDistribution):
                low = delays.parameters.get("low", delays.parameters.get("min"))
                if low is not None and low < timestep:
                    result["notes"].append(
                        f"projection {label}: delays drawn from {delays.name} with low={low} ms; "
                        f"those below the {timestep} ms time step will be clipped up to it")
            elif delays is not None:
                import numpy
                d = numpy.atleast_1d(numpy.asarray(delays, dtype=float))
                n = int((d < timestep).sum())
                if n:
                    result["notes"].append(
                        f"projection {label}: {n} delay value(s) below the {timestep} ms time "
                        f"step (after sPyNNaker's rounding: {sorted(set(float(x) for x in d[d < timestep]))}) "
                        f"will be clipped up to one time step")
    except Exception:
        pass
except BaseException as exc:
    result["error"] = f"{type(exc).__name__}: {exc}"
    result["traceback"] = traceback.format_exc()
finally:
    _write()
'''


def driver_source():
    """The checking program, with the backend module names to redirect filled in."""
    from ..compare.backends import BACKEND_MODULE_NAMES
    aliases = [name for name in BACKEND_MODULE_NAMES if name != "pyNN.spiNNaker"]
    return _DRIVER.replace("__ALIASES__", repr(aliases))


def _has_spynnaker(python, timeout=300):
    try:
        done = subprocess.run([python, "-c", "import spynnaker"], capture_output=True,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def find_spynnaker_python(python=None):
    """An interpreter that can import spynnaker: ``python``, $TINYSIM_SPYNNAKER_PYTHON, or this one."""
    candidates = [python] if python else [os.environ.get(PYTHON_ENV), sys.executable]
    tried = []
    for candidate in candidates:
        if not candidate:
            continue
        tried.append(candidate)
        if _has_spynnaker(candidate):
            return candidate
    raise SpynnakerNotFound(
        "sPyNNaker is not installed for " + " or ".join(tried or ["this Python"]) + ".\n"
        "The check runs your script with sPyNNaker itself. Install it in an environment of "
        "its own, e.g.\n"
        "    python3 -m venv spinnaker-env && spinnaker-env/bin/pip install spynnaker\n"
        f"then pass --python spinnaker-env/bin/python (or set {PYTHON_ENV}).")


def check_script(script, python=None, timeout=900):
    """Run ``script`` on sPyNNaker's virtual board; a :class:`CheckResult`.

    Raises :class:`SpynnakerNotFound` when no interpreter has sPyNNaker, and
    FileNotFoundError when the script does not exist.
    """
    script = os.path.abspath(script)
    if not os.path.isfile(script):
        raise FileNotFoundError(f"no such script: {script}")
    python = find_spynnaker_python(python)
    workdir = tempfile.mkdtemp(prefix="tinysim-spinnaker-check-")
    try:
        home = os.path.join(workdir, "home")
        os.makedirs(os.path.join(home, ".config"))
        with open(os.path.join(home, ".spynnaker.cfg"), "w") as f:
            f.write(VIRTUAL_BOARD_CFG)
        driver = os.path.join(workdir, "tinysim_check_driver.py")
        with open(driver, "w") as f:
            f.write(driver_source())
        script_dir = os.path.dirname(script)
        if script.lower().endswith(".ipynb"):
            from ..compare import notebook
            converted = os.path.join(workdir, os.path.basename(script)[:-6] + "_notebook.py")
            with open(converted, "w") as f:
                f.write(notebook.to_script(script))
            run_script = converted
        else:
            run_script = script
        result_path = os.path.join(workdir, "result.json")
        run_dir = os.path.join(workdir, "run")
        os.makedirs(run_dir)
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
                   MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
        start = time.monotonic()
        try:
            done = subprocess.run([python, driver, run_script, result_path, script_dir],
                                  cwd=run_dir, env=env,
                                  capture_output=True, text=True, timeout=timeout)
            returncode, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            returncode = -1
            output = (exc.stdout or "") if isinstance(exc.stdout, str) else ""
            output += f"\n(timed out after {timeout} s)"
        result = CheckResult(script=script, python=python, returncode=returncode,
                             seconds=time.monotonic() - start, output_tail=output[-4000:])
        if os.path.exists(result_path):
            with open(result_path) as f:
                found = json.load(f)
            result.spynnaker_version = found.get("version", "")
            result.mapped = bool(found.get("mapped"))
            result.runs = int(found.get("runs", 0))
            result.error = found.get("error", "")
            result.error_traceback = found.get("traceback", "")
            result.warnings = _summarise(found.get("warnings", []))
            result.notes = list(found.get("notes", []))
            result.redirected = list(found.get("redirected", []))
        else:
            result.error = (f"the checking process ended (status {returncode}) without a "
                            "result; see its output")
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _summarise(records):
    """(count, logger, message) for each distinct warning, in first-seen order."""
    counts = {}
    for level, logger, message in records:
        if any(message.startswith(text) for text in _EXPECTED_ON_VIRTUAL_BOARD):
            continue
        key = (logger, message.strip())
        counts[key] = counts.get(key, 0) + 1
    return [(n, logger, message) for (logger, message), n in counts.items()]


def format_report(result):
    """A human-readable report of a :class:`CheckResult`."""
    lines = [f"sPyNNaker portability check of {result.script}",
             f"  sPyNNaker {result.spynnaker_version or '(version unknown)'} on a virtual "
             f"SpiNN-5 board, Python {result.python} ({result.seconds:.1f} s)"]
    for name in result.redirected:
        lines.append(f"  note: the script imports {name}; checked as pyNN.spiNNaker (every "
                     "PyNN backend import is redirected to sPyNNaker, as tinysim compare does)")
    if result.ok:
        lines.append(f"  MAPS: the script ran to the end; run() was mapped "
                     f"{result.runs} time(s) (recordings on a virtual board are empty)")
    elif result.mapped:
        lines.append(f"  MAPS, BUT THE SCRIPT FAILED after {result.runs} run(s): {result.error}")
    elif result.error:
        lines.append(f"  DOES NOT MAP (the script failed before run()): {result.error}")
    else:
        lines.append("  NOTHING TO MAP: the script ended without calling run() or "
                     "run_until(), so sPyNNaker never built the network (does it run only "
                     "with command-line arguments, or under a condition?)")
    if result.warnings:
        lines.append(f"  sPyNNaker warned ({len(result.warnings)} distinct):")
        for n, logger, message in result.warnings:
            times = f" (x{n})" if n > 1 else ""
            first_line = message.splitlines()[0] if message else message
            lines.append(f"    - {first_line}{times}   [{logger}]")
    else:
        lines.append("  sPyNNaker logged no warnings")
    for note in result.notes:
        lines.append(f"  note (derived by tinysim; sPyNNaker reports it only after a run on a "
                     f"machine): {note}")
    if result.error and result.error_traceback:
        tail = result.error_traceback.strip().splitlines()[-6:]
        lines.append("  traceback (last lines):")
        lines.extend("    " + line for line in tail)
    return "\n".join(lines)


def add_command(subparsers):
    """Add ``spinnaker-check`` to the ``tinysim`` command (see pynn_tinysim.cli)."""
    parser = subparsers.add_parser(
        "spinnaker-check",
        help="run a PyNN script with sPyNNaker on its virtual board: does it map, what "
             "does sPyNNaker warn about?",
        description=__doc__.split("\n\n")[1] if __doc__ else None)
    parser.add_argument("script", help="the PyNN script (written for pyNN.spiNNaker or "
                                       "pyNN.tinysim.spinnaker)")
    parser.add_argument("--python", default=None,
                        help=f"Python interpreter that has sPyNNaker (default: ${PYTHON_ENV}, "
                             "else this one)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds before the check gives up (default 900)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=_command)
    return parser


def _command(args):
    try:
        result = check_script(args.script, python=args.python, timeout=args.timeout)
    except SpynnakerNotFound as exc:
        print(f"tinysim spinnaker-check: {exc}", file=sys.stderr)
        return EXIT_NO_SPYNNAKER
    except FileNotFoundError as exc:
        print(f"tinysim spinnaker-check: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        data = dict(result.__dict__, ok=result.ok)
        print(json.dumps(data, indent=1))
    else:
        print(format_report(result))
    return result.exit_status()
