"""What a compiled stretch (:mod:`.stretch`) exchanges with the step loop's per-window
machinery, for Numba: injected currents and, under MPI, the spikes for the exchange.

Two parts of the stretch's ``net`` (built by ``engine/stretch_io.py``)::

    currents: (flat, event_steps, ptr, positions, deltas, inj_state), or None
    exchange: (x_step, x_position, x_id, x_state), or None

``currents`` is None where the network has no current source, ``exchange`` outside
MPI: the code of the functions reading them is then pruned by Numba (a None
argument), so the stretches of such networks do not compile it.

Currents: the change events of the current sources' present window, evaluated in
NumPy by ``CurrentInjection.change_events`` (an AC source's sine, a noise source's
draws): :func:`inject` only adds them, in the step loop's order, so the currents
are the same bits. ``inj_state``: [index of the next event step not applied,
the window's first step, the step the stretch stops at].

Exchange (MPI, see ``engine/exchange.py``): while ``x_state[1]`` is set, the
stretch delivers nothing; every spike of the step goes to the buffers
``x_step/x_position/x_id`` (``x_state[0]`` of them filled), which the Python side
hands to the exchange between calls; :func:`exchange_room` tells whether one more
step fits.
"""


def inject(k, currents):
    """Apply the current changes of step ``k`` (when ``k`` is the next step with a
    change and the stretch runs it), as ``CurrentInjection.advance`` does."""
    if currents is None:
        return
    flat, event_steps, ptr, positions, deltas, state = currents
    i = state[0]
    if k >= state[2] or i >= event_steps.size or event_steps[i] != k:
        return
    j = k - state[1]
    for e in range(ptr[j], ptr[j + 1]):
        flat[positions[e]] += deltas[e]
    state[0] = i + 1


# The exchange's functions below take it as an argument, None outside MPI (so that
# Numba prunes their code there: the stretches of one process compile none of it).

def exchanging(exchange):
    """Whether the step's spikes go to the exchange (which delivers them) rather than
    being delivered by the stretch."""
    if exchange is None:
        return False
    return exchange[3][1] != 0


def export(k, position, ids, exchange):
    """Step ``k``'s spikes of group ``position`` (global ``ids``) into the exchange's
    buffers, where it is exchanging."""
    if exchange is None:
        return
    x_step, x_position, x_id, x_state = exchange
    if x_state[1] == 0:
        return
    x = x_state[0]
    for e in range(ids.size):
        x_step[x] = k
        x_position[x] = position
        x_id[x] = ids[e]
        x += 1
    x_state[0] = x


def exchange_room(exchange, n_spikes_max):
    """Whether the exchange buffers hold one more step's spikes (at most ``n_spikes_max``)."""
    if exchange is None:
        return True
    x_state = exchange[3]
    return x_state[1] == 0 or x_state[0] + n_spikes_max <= exchange[0].size


def exchange_empty(exchange):
    """Whether no spike waits in the exchange's buffers."""
    if exchange is None:
        return True
    return exchange[3][0] == 0
