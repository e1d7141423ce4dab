"""The check that a conductance kernel declines every step the NumPy step finds stiff.

A compiled conductance kernel looks for stiff neurons (lambda h past RK4's stability
edge Z_RK4) before it steps, and declines the whole step to the NumPy code, which then
integrates those neurons adaptively. The kernel's look must be a superset of the NumPy
step's, at the edge too, and a declined step must leave the state and the inputs alone.
Each model's test sets the state near its edge (``set_state``) and says whether the
NumPy step would find it stiff (``numpy_finds_stiff``); this runs the trials.
"""

import numpy as np

from pynn_tinysim.engine.kernels import neurons


def assert_declines_where_numpy_is_stiff(loaded, group, k, set_state, numpy_finds_stiff,
                                         input_value=0.0, trials=400, seed=1):
    """``trials`` states from ``set_state(state, rng, trial)`` (the refractory end moved
    by -1, 0 or +1 step after it): the kernel declines wherever ``numpy_finds_stiff()``,
    leaving the state and the inputs as they were; a step it takes consumes the inputs.
    Both outcomes must occur, or the states missed the edge."""
    rng = np.random.default_rng(seed)
    state = group.state
    outcomes = set()
    for trial in range(trials):
        inputs = np.full((2, 1), input_value)
        set_state(state, rng, trial)
        group._active_from[:] = k + int(rng.integers(-1, 2))
        stiff = numpy_finds_stiff()
        name, args = group.compiled_kernel()
        saved = {key: value.copy() for key, value in state.items()}
        declined = neurons.declined(getattr(loaded, name)(k, inputs, *args))
        if declined:
            for key in state:
                assert np.array_equal(state[key], saved[key]), key
            assert (inputs == input_value).all()
        else:
            assert (inputs == 0.0).all()        # consumed
        assert declined or not stiff
        outcomes.add((stiff, declined))
    assert (True, True) in outcomes and (False, False) in outcomes
