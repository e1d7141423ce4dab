"""The ``tinysim run`` and ``tinysim compare`` subcommands (registered in pynn_tinysim/cli.py).

::

    tinysim run SCRIPT [--backend B] [--seed S] [--out DIR] [-- script args]
    tinysim compare SCRIPT [--backends tinysim,brian2,nest,spinnaker] [--seeds N]
                    [--out DIR] [--margin METRIC=ABS[,REL]] [--strict] [--keep-signals]
                    [--keep-script-seeds] [-- script args]

SCRIPT is a Python script or a Jupyter notebook (``.ipynb``: its code cells run in order,
see notebook.py). Both run it unmodified: whatever backend its import line names, it runs
on the chosen one (see redirect.py). ``compare`` exits 0 when no metric differs, 1 when
some differ or a backend failed, 2 when the script failed everywhere, 3 when nothing
differs but some metrics had too few seeds to judge (or, with --strict, stayed
inconclusive); ``run`` exits with the script's own status.
"""

import os
import sys
import time

from . import backends as backends_mod

BACKEND_CHOICES = tuple(backends_mod.BACKENDS)
DEFAULT_SEEDS = 5          # verdict.DEFAULT_SEEDS (not imported: the parser stays light)
MIN_SEEDS = 3              # verdict.MIN_SEEDS


def _script_args(args):
    return list(getattr(args, "passthrough", None) or [])


def cmd_run(args):
    from . import runners
    if not os.path.isfile(args.script):
        print(f"tinysim run: no such script: {args.script}", file=sys.stderr)
        return 2
    backend = backends_mod.get(args.backend)
    missing = backend.missing()
    if missing:
        print(f"tinysim run: backend {args.backend} is not installed ({', '.join(missing)} "
              f"missing): {backend.install}", file=sys.stderr)
        return 2
    return runners.run_script(args.script, args.backend, _script_args(args), seed=args.seed,
                              keep_script_seeds=args.keep_script_seeds, out_dir=args.out,
                              brian2_target=args.brian2_target, timeout=args.timeout)


def cmd_compare(args):
    from . import harness
    if not os.path.isfile(args.script):
        print(f"tinysim compare: no such script: {args.script}", file=sys.stderr)
        return 2
    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in names if b not in backends_mod.BACKENDS]
    if unknown:
        print(f"tinysim compare: unknown backend(s) {', '.join(unknown)}; choose from "
              f"{', '.join(BACKEND_CHOICES)}", file=sys.stderr)
        return 2
    try:
        margins = parse_margins(args.margin)
    except ValueError as err:
        print(f"tinysim compare: {err}", file=sys.stderr)
        return 2
    if args.seeds < 1:
        print(f"tinysim compare: --seeds must be at least 1 (got {args.seeds})", file=sys.stderr)
        return 2
    started = time.perf_counter()

    def progress(message):
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    try:
        result = harness.compare(args.script, backends=names, seeds=args.seeds, out_dir=args.out,
                                 script_args=_script_args(args),
                                 keep_script_seeds=args.keep_script_seeds,
                                 base_seed=args.base_seed, timeout=args.timeout, jobs=args.jobs,
                                 brian2_target=args.brian2_target, figures=not args.no_figures,
                                 progress=None if args.quiet else progress, margins=margins,
                                 strict=args.strict, keep_signals=args.keep_signals)
    except harness.OutDirInUse as err:
        print(f"tinysim compare: {err}", file=sys.stderr)
        return 2
    print(result.table())
    return result.exit_code


def parse_margins(items):
    """``["rate_hz=0.5,0.1", "cv_isi=0.1"]`` -> {metric: (absolute, relative)}; a relative
    part left out keeps the default one."""
    from . import verdict
    out = {}
    for item in items or []:
        metric, sep, value = item.partition("=")
        metric = metric.strip()
        known = list(verdict.MARGINS) + list(verdict.INFORMATIONAL)
        if not sep or metric not in known:
            raise ValueError(f"--margin {item!r}: expected METRIC=ABS[,REL] with METRIC one of "
                             f"{', '.join(known)}")
        parts = value.split(",")
        try:
            absolute = float(parts[0])
            relative = float(parts[1]) if len(parts) > 1 else \
                dict(verdict.MARGINS, **verdict.INFORMATIONAL_MARGINS)[metric][1]
        except (ValueError, IndexError):
            raise ValueError(f"--margin {item!r}: ABS and REL must be numbers") from None
        if absolute < 0 or relative < 0 or len(parts) > 2:
            raise ValueError(f"--margin {item!r}: expected METRIC=ABS[,REL] with ABS, REL >= 0")
        out[metric] = (absolute, relative)
    return out


def add_run_command(subparsers):
    p = subparsers.add_parser(
        "run", help="run an unmodified PyNN script on one backend",
        description="Run a PyNN script (or the code cells of a .ipynb notebook) unmodified on BACKEND, whatever backend its import line "
                    "names (import pyNN.nest / pyNN.spiNNaker / get_simulator(...)). Arguments "
                    "after -- go to the script.",
        epilog="example: tinysim run model.py --backend nest -- --n 1000")
    p.add_argument("script", help="the PyNN script or Jupyter notebook (.ipynb)")
    p.add_argument("--backend", "-b", default="tinysim", choices=BACKEND_CHOICES,
                   help="backend to run on (default tinysim; spinnaker without a configured "
                        "board runs on a virtual board)")
    p.add_argument("--seed", type=int, default=None,
                   help="derive every RNG seed from this one, those the script sets explicitly "
                        "included (default: the script's own seeds, untouched)")
    p.add_argument("--keep-script-seeds", action="store_true",
                   help="with --seed: keep the seeds the script sets explicitly, derive the rest")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="also save every Population's recorded data in DIR (neo .pkl)")
    p.add_argument("--brian2-target", default="numpy",
                   help="Brian2 code generation target (default numpy: no C++ compiler)")
    p.add_argument("--timeout", type=float, default=None, help="seconds before the run is killed")
    p.set_defaults(func=cmd_run)
    return p


def add_compare_command(subparsers):
    p = subparsers.add_parser(
        "compare", help="run a script on several backends and compare firing statistics",
        description="Run a PyNN script (or notebook) unmodified on each backend, SEEDS times "
                    "each with different seeds, and test per metric whether the backends' "
                    "firing statistics differ (Welch t-test, Holm-adjusted, beyond a practical "
                    "margin) or are equivalent (TOST within the margin). Writes results.json, "
                    "summary.md, report.html, figures and the recorded data into DIR. Exit "
                    "status: 0 no difference, 1 a difference or a failed backend, 2 the script "
                    "failed everywhere, 3 too few seeds to judge. Arguments after -- go to the "
                    "script.",
        epilog="example: tinysim compare model.py --backends tinysim,nest --seeds 5 --out cmp")
    p.add_argument("script", help="the PyNN script or Jupyter notebook (.ipynb)")
    p.add_argument("--backends", default=",".join(("tinysim", "brian2", "nest", "spinnaker")),
                   help="comma-separated backends (default tinysim,brian2,nest,spinnaker; also "
                        "spinnaker-emu, neuron); those not installed are skipped")
    p.add_argument("--seeds", type=int, default=DEFAULT_SEEDS,
                   help=f"repetitions per backend, each with its own seeds (default "
                        f"{DEFAULT_SEEDS}; at least {MIN_SEEDS} are needed to judge a metric)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="report directory (default ./tinysim-compare-<script>-<date-time>); "
                        "an earlier report there is replaced, any other non-empty "
                        "directory is refused")
    p.add_argument("--margin", action="append", metavar="METRIC=ABS[,REL]", default=[],
                   help="practical equivalence margin of a metric: the larger of ABS and REL "
                        "x the mean (e.g. rate_hz=0.5,0.1, the default); repeatable")
    p.add_argument("--strict", action="store_true",
                   help="exit 3 when a metric is inconclusive (not shown equivalent)")
    p.add_argument("--keep-signals", action="store_true",
                   help="keep every recorded analog signal in the saved data (default: only "
                        "the per-cell mean/sd and the mean trace of v)")
    p.add_argument("--keep-script-seeds", action="store_true",
                   help="keep the seeds the script sets explicitly (NumpyRNG(seed=...), "
                        "setup(rng_seed=...)) in every repetition; by default they are kept in "
                        "the first repetition only, so the repetitions also vary the network")
    p.add_argument("--base-seed", type=int, default=12345, help="base of the derived seeds")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="seconds before one run is killed (default 600)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="runs at a time (default 1)")
    p.add_argument("--brian2-target", default="numpy",
                   help="Brian2 code generation target (default numpy; 'cython' or 'auto' "
                        "compile C++, faster for large networks)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd_compare)
    return p


def main(argv=None):
    """``python -m pynn_tinysim.compare.cli`` == ``tinysim``."""
    from ..cli import main as cli_main
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
