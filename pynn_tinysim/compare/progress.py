"""What a running child is doing: its phase, written to a file the parent polls.

Child side, ``install(module, path, brian2=...)`` wraps the backend's ``setup`` (then:
``building``), ``run``/``run_until``/``run_for`` (``simulating``; Brian2's
``Network.before_run`` marks ``compiling`` until code generation is done) and ``end``
(``collecting``). The child itself writes ``starting`` before importing the backend and
``collecting`` while it saves the data.

Parent side, ``read(path)`` gives the current phase; runners.py prints it with the
elapsed time when it changes and every ``HEARTBEAT_S`` seconds while it does not.
"""

import functools
import os

HEARTBEAT_S = 15.0
PHASES = ("starting", "building", "compiling", "simulating", "collecting", "done")


def write(path, phase):
    if not path:
        return
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as f:
            f.write(phase)
        os.replace(tmp, path)
    except OSError:
        pass                       # progress is a courtesy, never a failure


def read(path):
    try:
        with open(path) as f:
            return f.read().strip() or None
    except OSError:
        return None


def _wrap(module, name, before, after=None, path=None):
    original = getattr(module, name, None)
    if original is None or getattr(original, "_pynn_tinysim_progress", False):
        return

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        write(path, before)
        try:
            return original(*args, **kwargs)
        finally:
            if after:
                write(path, after)

    wrapper._pynn_tinysim_progress = True
    setattr(module, name, wrapper)


def install(module, path, brian2=False):
    """Report the phases of a script using ``module`` (the backend) into ``path``."""
    if not path:
        return
    _wrap(module, "setup", "building", "building", path)
    for name in ("run", "run_until", "run_for"):
        _wrap(module, name, "simulating", "building", path)
    _wrap(module, "end", "collecting", None, path)
    if brian2:
        try:
            from brian2.core.network import Network
        except Exception:
            return
        _wrap(Network, "before_run", "compiling", "simulating", path)
