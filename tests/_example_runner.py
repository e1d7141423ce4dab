"""Run one of PyNN's example scripts with a backend and save some of its globals as JSON.

    python _example_runner.py BACKEND SCRIPT OUT.json NAME [NAME ...]

runs SCRIPT as ``python SCRIPT BACKEND`` would (``get_simulator`` reads the
backend from argv) in the current directory, then writes ``{NAME: value}`` for
the requested module-level names (arrays as lists of floats). Exits with
status 3 when the backend cannot be imported (NEST not installed).

One workaround, for the reference backends only: PyNN 0.13's generic
``OneToOneConnector`` fails between two one-cell Populations under NumPy 2
(``pyNN/connectors.py`` calls ``nonzero()`` on a 0-d mask), which stops
``simple_STDP.py`` on pyNN.nest; there it is replaced by the same single
connection made by ``AllToAllConnector``.
"""

import importlib
import json
import runpy
import sys

import numpy as np


def _patch_one_to_one():
    from pyNN import connectors

    original = connectors.OneToOneConnector.connect

    def connect(self, projection):
        if projection.pre.size == 1 and projection.post.size == 1:
            return connectors.AllToAllConnector(safe=self.safe).connect(projection)
        return original(self, projection)

    connectors.OneToOneConnector.connect = connect


def main(argv):
    backend, script, out, names = argv[0], argv[1], argv[2], argv[3:]
    try:
        importlib.import_module("pyNN." + backend)
    except Exception as exc:  # pragma: no cover - depends on the environment
        sys.stderr.write(f"pyNN.{backend} not importable: {exc!r}\n")
        return 3
    if backend != "tinysim":
        _patch_one_to_one()
    sys.argv = [script, backend]
    namespace = runpy.run_path(script, run_name="__main__")
    result = {name: np.asarray(namespace[name], float).tolist() for name in names}
    with open(out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
