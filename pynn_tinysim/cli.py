"""The ``tinysim`` command: one argparse parser, one subcommand per tool.

Subcommands are registered in ``SUBCOMMANDS`` (name -> ``"module:function"``); the
function receives the ``add_subparsers()`` object, adds its parser and sets
``func`` (called with the parsed arguments; its return value is the exit status).
Modules are imported only to build the parser, so a new tool adds one line here.

For the subcommands in ``PASSTHROUGH``, everything after the first ``--`` is kept
out of argparse and handed over as ``args.passthrough`` (the script's own arguments
for ``tinysim run`` and ``tinysim compare``).
"""

import argparse
import importlib
import sys

#: subcommand -> "module:function" that adds its parser to the subparsers
SUBCOMMANDS = {
    "run": "pynn_tinysim.compare.cli:add_run_command",
    "compare": "pynn_tinysim.compare.cli:add_compare_command",
    "spinnaker-check": "pynn_tinysim.spinnaker.check:add_command",
    "precompile": "pynn_tinysim.engine.kernels.precompile:add_command",
}

#: subcommands whose arguments after "--" belong to the script they run
PASSTHROUGH = {"run", "compare"}


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tinysim", description="pyNN.tinysim tools")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, target in SUBCOMMANDS.items():
        module_name, _, function = target.partition(":")
        try:
            add_command = getattr(importlib.import_module(module_name), function)
        except Exception as err:  # one broken tool must not take the others down
            _add_unavailable(subparsers, name, f"{type(err).__name__}: {err}")
            continue
        add_command(subparsers)
    return parser


def _add_unavailable(subparsers, name, why):
    p = subparsers.add_parser(name, help=f"(unavailable: {why})", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)

    def unavailable(args):
        print(f"tinysim {name}: unavailable in this installation: {why}", file=sys.stderr)
        return 2

    p.set_defaults(func=unavailable)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough = []
    if argv and argv[0] in PASSTHROUGH and "--" in argv:
        i = argv.index("--")
        argv, passthrough = argv[:i], argv[i + 1:]
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    args.passthrough = passthrough
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
