"""The per-window inputs and outputs of a compiled stretch (:mod:`.stretch`): injected
currents in, and, under MPI, the spikes out to the exchange.

:class:`StretchIO` builds the ``currents`` and ``exchange`` parts of the ``net``
the compiled loop reads (:mod:`.kernels.window` names their fields) and settles accounts after each call:

* Currents (:mod:`.currents`): every kind of source (DC, step, AC, noise). Their
  values are evaluated in NumPy window by window, as in the step loop, and the
  stretch applies the window's change events itself, in the step loop's order
  (``CurrentInjection.change_events``), so the currents have the same bits. A
  stretch stops at the window's end (:meth:`StretchIO.stop`), where the step loop
  evaluates the next window; afterwards the injection's cursor is moved past the
  changes the stretch applied (:meth:`StretchIO.finish`).
* Exchange (:mod:`.exchange`): under MPI (with exchange windows of at least
  :data:`MIN_EXCHANGE_WINDOW` steps) a stretch delivers nothing itself; it runs
  up to the end of the exchange window, writing every spike (step, group position,
  global id) to buffers that :meth:`StretchIO.hand_over` gives to
  ``SpikeExchange.collect_many`` after each compiled call. The exchange then
  delivers every rank's spikes in the one-process order, as after the step loop.
"""

import numpy as np

#: exchange windows (steps) from which a stretch runs under MPI. A stretch call under
#: MPI costs ~65 us beyond its steps (building its arguments ~30 us, Numba's dispatch
#: ~12 us, handing the spikes over ~20 us); a step of the step loop with compiled
#: kernels ~13 us of Python. Measured (VA CUBA, 2000 cells a rank, 2 ranks, CPU time
#: outside the collective): windows of 2 steps 0.47 s with stretches, 0.27 s without;
#: 10 steps 0.17 s both; 30 steps 0.115 s against 0.135 s. Shorter windows run the step
#: loop with the groups' kernels (the same bits either way).
MIN_EXCHANGE_WINDOW = 10


class StretchIO:
    """Currents and exchange of one run's compiled stretches (see the module docstring).

    ``currents``: the run's ``CurrentInjection`` (None: no current source);
    ``exchange``: the ``SpikeExchange`` under MPI, else None; ``owned``: per global
    id, whether this rank owns the cell (``Network.owned``).
    """

    def __init__(self, currents=None, exchange=None, owned=None):
        self.currents = currents
        self.exchange = exchange
        self.owned = owned
        self._buffers = None            # exchange buffers, allocated at the first call
        self._x_state = np.zeros(2, np.int64)
        self._inj_state = np.zeros(3, np.int64)

    def stop(self, k_stop):
        """``k_stop``, or the end of the current sources' window if earlier."""
        if self.currents is None:
            return k_stop
        return min(k_stop, self.currents.window_end)

    def arrays(self, k_stop, capacity):
        """The ``currents`` and ``exchange`` parts of the ``net`` of a stretch that stops
        at ``k_stop`` (:mod:`.kernels.window`); ``capacity``: how many spikes the
        exchange buffers hold at least (a few steps of every cell). ``currents`` is None
        where there is no current source, ``exchange`` outside MPI (their code is then
        not compiled)."""
        currents = None
        if self.currents is not None:
            flat, steps, ptr, pos, delta, cursor, start = self.currents.change_events()
            self._inj_state[:] = (cursor, start, k_stop)
            currents = (flat, steps, ptr, pos, delta, self._inj_state)
        if self.exchange is not None:
            if self._buffers is None or self._buffers[0].size < capacity:
                self._buffers = tuple(np.empty(capacity, np.int64) for _ in range(3))
            self._x_state[:] = (0, 1)
            return currents, (*self._buffers, self._x_state)
        self._x_state[:] = 0
        return currents, None

    def hand_over(self):
        """Give the spikes of the stretch's last call to the exchange (under MPI)."""
        n = int(self._x_state[0])
        if self.exchange is None or n == 0:
            return
        steps, positions, ids = (b[:n] for b in self._buffers)
        self.exchange.collect_many(steps, positions, ids, self.owned)
        self._x_state[0] = 0

    def finish(self):
        """After a stretch: the current changes it applied are done."""
        if self.currents is not None:
            self.currents.seek(int(self._inj_state[0]))
