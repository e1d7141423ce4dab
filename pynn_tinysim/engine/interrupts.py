"""Ctrl-C during a run: stop at a step boundary, never in the middle of a step.

A step changes many arrays one after the other (each neuron group, the ring
buffer, plastic weights, recorders). A KeyboardInterrupt raised between two of
those changes would leave a state that no number of whole steps produces, and a
following ``run()`` would continue from it with different dynamics.

:func:`deferred_keyboard_interrupt` therefore replaces Python's SIGINT handler
while a run is in progress by one that only *notes* the request; the step loop
looks at the note after each whole step, finishes its bookkeeping (clock,
recordings, plasticity) at that boundary and then raises KeyboardInterrupt.
A second Ctrl-C before the boundary is reached raises at once, as usual (an
escape hatch if one step takes very long); the network then knows that it was
stopped inside a step (see :meth:`.Network.run`).

The handler is only replaced in the main thread and only while it is Python's
default one, so a handler the user installed is left alone.
"""

import signal
import threading
from contextlib import contextmanager


class InterruptRequest:
    """What the deferred handler noted: ``requested`` is True after one Ctrl-C."""

    def __init__(self):
        self.requested = False
        self.depth = 0

    def handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt     # second Ctrl-C: do not wait for the step boundary
        self.requested = True

    def take(self):
        """True (once) if an interrupt was requested; the request is then consumed."""
        requested, self.requested = self.requested, False
        return requested


#: the one request shared by nested guards (the front's run_until and the engine's run)
_request = InterruptRequest()


@contextmanager
def deferred_keyboard_interrupt():
    """Within the block, Ctrl-C sets ``request.requested`` instead of raising.

    Yields the :class:`InterruptRequest`; the caller checks it at its boundaries.
    Nested use is allowed: the outermost block installs and restores the handler.
    """
    request = _request
    install = (request.depth == 0
               and threading.current_thread() is threading.main_thread()
               and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    if request.depth == 0:
        request.requested = False
    if install:
        signal.signal(signal.SIGINT, request.handler)
    request.depth += 1
    try:
        yield request
    finally:
        request.depth -= 1
        if install:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            if request.requested:
                # noted at the very end of the block, after the last boundary check
                request.requested = False
                raise KeyboardInterrupt
