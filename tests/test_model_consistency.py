"""Model consistency as strict as NEST's (issue 14, item 6).

NEST refuses a reset potential at or above the threshold for every iaf_* model
("Reset potential must be smaller than threshold.") and a reset at or above the
spike cut-off for aeif_* ("Ensure that: V_reset < V_peak ."); such cells would
otherwise fire on every step. Refused at construction and at set(), for whole
Populations and for views, and the network is left unchanged.
"""

import pytest
from pyNN import errors
from pyNN.parameters import ArrayParameter

import pyNN.tinysim as sim

LIF_TYPES = ["IF_curr_exp", "IF_curr_alpha", "IF_curr_delta", "IF_cond_exp", "IF_cond_alpha",
             "IF_cond_exp_gsfa_grr"]


@pytest.fixture(autouse=True)
def _setup():
    sim.setup(timestep=0.1)
    yield
    sim.end()


@pytest.mark.parametrize("name", LIF_TYPES)
@pytest.mark.parametrize("reset,thresh", [(-50.0, -55.0), (-50.0, -50.0)])
def test_reset_not_below_threshold_is_refused(name, reset, thresh):
    celltype = getattr(sim, name)
    with pytest.raises(errors.InvalidParameterValueError,
                       match=rf"{name}: Reset potential must be smaller than threshold: "
                             rf"v_reset={reset!r} mV >= v_thresh={thresh!r} mV"):
        sim.Population(2, celltype(v_reset=reset, v_thresh=thresh))


@pytest.mark.parametrize("name", LIF_TYPES)
def test_set_that_breaks_consistency_is_refused_and_changes_nothing(name):
    cells = sim.Population(4, getattr(sim, name)(v_reset=-70.0, v_thresh=-50.0))
    with pytest.raises(errors.InvalidParameterValueError, match="v_reset=-45.0"):
        cells[1:3].set(v_reset=-45.0)
    with pytest.raises(errors.InvalidParameterValueError, match="v_thresh=-75.0"):
        cells.set(v_thresh=-75.0)
    assert list(cells.get("v_reset", simplify=False)) == [-70.0] * 4
    assert list(cells.get("v_thresh", simplify=False)) == [-50.0] * 4
    cells.set(v_thresh=-60.0, v_reset=-65.0)   # both at once: checked together


@pytest.mark.parametrize("name", ["EIF_cond_exp_isfa_ista", "EIF_cond_alpha_isfa_ista"])
def test_adex_reset_must_be_below_spike_cutoff(name):
    with pytest.raises(errors.InvalidParameterValueError,
                       match=r"v_reset < v_spike.*v_reset=0.0 mV >= v_spike=-10.0 mV"):
        sim.Population(2, getattr(sim, name)(v_reset=0.0, v_spike=-10.0))
    # a reset above the exponential threshold but below the cut-off is valid (NEST too)
    sim.Population(2, getattr(sim, name)(v_reset=-45.0, v_thresh=-50.0, v_spike=0.0))


def test_gif_kernels_need_one_amplitude_per_time_constant():
    """Checked when the run starts (set(tau_eta=...) then set(a_eta=...) must work)."""
    cells = sim.Population(2, sim.GIF_cond_exp(tau_eta=ArrayParameter([1.0, 2.0]),
                                               a_eta=ArrayParameter([1.0])))
    with pytest.raises(ValueError, match=r"tau_eta and a_eta .*cell 0 has "
                                         r"tau_eta=\[1.0, 2.0\] and a_eta=\[1.0\]"):
        sim.run(1.0)
    assert sim.get_current_time() == 0.0
    cells.set(a_eta=ArrayParameter([1.0, 0.5]))
    cells[1:2].set(a_gamma=ArrayParameter([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"tau_gamma and a_gamma .*cell 1"):
        sim.run(1.0)
    cells[1:2].set(tau_gamma=ArrayParameter([5.0, 20.0]))
    sim.run(1.0)
    assert sim.get_current_time() == pytest.approx(1.0)


def test_valid_models_still_fire_normally():
    cells = sim.Population(1, sim.IF_curr_exp(v_reset=-65.0, v_thresh=-50.0, i_offset=1.0))
    cells.record("spikes")
    sim.run(100.0)
    n = len(cells.get_data().segments[0].spiketrains[0])
    assert 0 < n < 100
