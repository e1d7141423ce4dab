"""The ``tinysim run`` and ``tinysim compare`` subcommands (registered in pynn_tinysim/cli.py).

::

    tinysim run SCRIPT [--backend B] [--seed S] [--out DIR] [-- script args]
    tinysim compare SCRIPT [--backends tinysim,brian2,nest,spinnaker] [--seeds N]
                    [--out DIR] [--keep-script-seeds] [-- script args]

Both run the script unmodified: whatever backend its import line names, it runs on
the chosen one (see redirect.py). ``compare`` exits 0 when all backends agree, 1 when
some disagree or fail, 2 when the script failed everywhere; ``run`` exits with the
script's own status.
"""

import os
import sys

from . import backends as backends_mod

BACKEND_CHOICES = tuple(backends_mod.BACKENDS)


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
    progress = None if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    result = harness.compare(args.script, backends=names, seeds=args.seeds, out_dir=args.out,
                             script_args=_script_args(args),
                             keep_script_seeds=args.keep_script_seeds, base_seed=args.base_seed,
                             timeout=args.timeout, jobs=args.jobs,
                             brian2_target=args.brian2_target, figures=not args.no_figures,
                             progress=progress)
    print(result.table())
    return result.exit_code


def add_run_command(subparsers):
    p = subparsers.add_parser(
        "run", help="run an unmodified PyNN script on one backend",
        description="Run a PyNN script unmodified on BACKEND, whatever backend its import line "
                    "names (import pyNN.nest / pyNN.spiNNaker / get_simulator(...)). Arguments "
                    "after -- go to the script.",
        epilog="example: tinysim run model.py --backend nest -- --n 1000")
    p.add_argument("script", help="the PyNN script")
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
        description="Run a PyNN script unmodified on each backend, SEEDS times each with "
                    "different seeds, and say whether the backends' firing statistics agree "
                    "(within the seed-to-seed spread). Writes results.json, summary.md, "
                    "figures and the recorded data into DIR. Exit status: 0 all agree, 1 some "
                    "disagree or fail, 2 the script failed everywhere. Arguments after -- go to "
                    "the script.",
        epilog="example: tinysim compare model.py --backends tinysim,nest --seeds 3 --out cmp")
    p.add_argument("script", help="the PyNN script")
    p.add_argument("--backends", default=",".join(("tinysim", "brian2", "nest", "spinnaker")),
                   help="comma-separated backends (default tinysim,brian2,nest,spinnaker; also "
                        "spinnaker-emu, neuron); those not installed are skipped")
    p.add_argument("--seeds", type=int, default=3,
                   help="repetitions per backend, each with its own seeds (default 3)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="report directory (default ./tinysim-compare-<script name>)")
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
