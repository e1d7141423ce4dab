"""Ctrl-C during a run: stop at a step boundary, never in the middle of a step.

A step changes many arrays one after the other (each neuron group, the ring
buffer, plastic weights, recorders). A KeyboardInterrupt raised between two of
those changes would leave a state that no number of whole steps produces, and a
following ``run()`` would continue from it with different dynamics.

:func:`deferred_keyboard_interrupt` therefore replaces the SIGINT handler while a
run is in progress by one that only *notes* the request; the step loop looks at
the note after each whole step and, there, hands the request to the handler that
was installed before (:meth:`InterruptRequest.deliver`): Python's default one
raises KeyboardInterrupt, so the run stops at that boundary with its clock,
recordings and plasticity closed there. A second Ctrl-C before the boundary is
reached goes to that handler at once (an escape hatch if one step takes very
long); the network then knows that it was stopped inside a step (see
:meth:`.Network.run`).

A handler installed by someone else is deferred the same way, not bypassed:
brian2, for one, installs its own at import (it turns Ctrl-C into a stop of a
*Brian* run and otherwise calls Python's handler), so a notebook that imported
brian2 would otherwise get KeyboardInterrupt in the middle of a tinysim step.
Whatever that handler does at the boundary -- raise (KeyboardInterrupt or
anything else), or return -- happens between two whole steps; if it returns, the
run goes on. Only SIG_IGN and SIG_DFL (Ctrl-C ignored, or killing the process)
and handlers outside the main thread are left as they are.
"""

import signal
import threading
from contextlib import contextmanager


class InterruptRequest:
    """What the deferred handler noted: ``requested`` is True after one Ctrl-C.

    ``previous``: the SIGINT handler that was installed when the run started (the
    one the request is handed to at a step boundary).
    """

    def __init__(self):
        self.requested = False
        self.depth = 0
        self.previous = signal.default_int_handler

    def handler(self, signum, frame):
        if self.requested:
            # second Ctrl-C: do not wait for the step boundary
            self.requested = False
            self._call_previous(signum, frame)
            return
        self.requested = True

    def take(self):
        """True (once) if an interrupt was requested; the request is then consumed."""
        requested, self.requested = self.requested, False
        return requested

    def deliver(self):
        """At a step boundary: hand a pending request to the previous handler.

        Python's default handler raises KeyboardInterrupt here; another handler
        may raise something else or return (then the caller goes on).
        """
        if self.take():
            self._call_previous(signal.SIGINT, None)

    def _call_previous(self, signum, frame):
        previous = self.previous
        if previous is signal.default_int_handler or not callable(previous):
            raise KeyboardInterrupt
        previous(signum, frame)


#: the one request shared by nested guards (the front's run_until and the engine's run)
_request = InterruptRequest()


def _deferrable(handler):
    """A SIGINT handler that can be deferred: a Python callable (not SIG_IGN/SIG_DFL)."""
    return callable(handler) and handler not in (signal.SIG_IGN, signal.SIG_DFL)


@contextmanager
def deferred_keyboard_interrupt():
    """Within the block, Ctrl-C sets ``request.requested`` instead of raising.

    Yields the :class:`InterruptRequest`; the caller calls ``deliver()`` at its
    boundaries. Nested use is allowed: the outermost block installs and restores
    the handler, and delivers a request noted after the last boundary check.
    """
    request = _request
    install = False
    if request.depth == 0:
        request.requested = False
        if threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGINT)
            install = _deferrable(current)
            if install:
                request.previous = current
                signal.signal(signal.SIGINT, request.handler)
    request.depth += 1
    try:
        yield request
    finally:
        request.depth -= 1
        if install:
            signal.signal(signal.SIGINT, request.previous)
            previous, request.previous = request.previous, signal.default_int_handler
            if request.requested:
                # noted at the very end of the block, after the last boundary check
                request.requested = False
                if previous is signal.default_int_handler:
                    raise KeyboardInterrupt
                previous(signal.SIGINT, None)
