"""Objects of a previous setup() (issue 14, item 5): every use raises a clear error,
as NEST does, instead of reading arrays the simulation no longer uses (NaN v, no
spikes) or connecting cells of the new network by their old ids."""

import pytest

import pyNN.tinysim as sim
import pyNN.tinysim.spinnaker as spin
from pynn_tinysim.simulator import StaleObjectError


def _old_network(backend=sim):
    backend.setup(timestep=0.1)
    pre = backend.Population(3, backend.IF_curr_exp(), label="old")
    post = backend.Population(3, backend.IF_curr_exp(), label="old_post")
    prj = backend.Projection(pre, post, backend.AllToAllConnector(),
                             backend.StaticSynapse(weight=0.5, delay=1.0))
    backend.setup(timestep=0.1)
    return pre, post, prj


USES = {
    "record": lambda p, q, prj: p.record("v"),
    "get": lambda p, q, prj: p.get("tau_m"),
    "set": lambda p, q, prj: p.set(tau_m=3.0),
    "initialize": lambda p, q, prj: p.initialize(v=-60.0),
    "view_get": lambda p, q, prj: p[0:2].get("tau_m"),
    "id_attribute": lambda p, q, prj: p[1].tau_m,
    "assembly_record": lambda p, q, prj: (p + q).record("spikes"),
    "get_data": lambda p, q, prj: p.get_data(),
    "inject": lambda p, q, prj: sim.DCSource(amplitude=1.0).inject_into(p),
    "new_projection_from_old": lambda p, q, prj: sim.Projection(
        p, sim.Population(2, sim.IF_curr_exp()), sim.AllToAllConnector()),
    "new_projection_to_old_view": lambda p, q, prj: sim.Projection(
        sim.Population(2, sim.IF_curr_exp()), q[0:1], sim.AllToAllConnector()),
    "projection_get": lambda p, q, prj: prj.get("weight", format="list"),
    "projection_set": lambda p, q, prj: prj.set(weight=0.3),
    "projection_len": lambda p, q, prj: len(prj),
}


@pytest.mark.parametrize("use", sorted(USES))
def test_use_of_old_object_raises(use):
    pre, post, prj = _old_network()
    with pytest.raises(StaleObjectError, match="before the last call of setup"):
        USES[use](pre, post, prj)
    sim.end()


def test_error_names_the_object():
    pre, post, prj = _old_network()
    with pytest.raises(StaleObjectError, match="Population 'old'"):
        pre.get("v_rest")
    sim.end()


def test_new_network_is_untouched_and_runs():
    pre, post, prj = _old_network()
    with pytest.raises(StaleObjectError):
        sim.Projection(pre, post, sim.AllToAllConnector())
    cells = sim.Population(2, sim.IF_curr_exp(i_offset=1.0))
    cells.record("v")
    sim.run(10.0)
    assert cells.get_data().segments[0].filter(name="v")[0].shape == (101, 2)
    sim.end()


def test_spinnaker_flavour_refuses_old_objects_too():
    pre, post, prj = _old_network(spin)
    with pytest.raises(StaleObjectError):
        pre.record("spikes")
    with pytest.raises(StaleObjectError):
        prj.get("weight", format="list")
    spin.end()


def test_reset_keeps_objects_valid():
    sim.setup(timestep=0.1)
    cells = sim.Population(2, sim.IF_curr_exp(i_offset=1.0))
    cells.record("spikes")
    sim.run(20.0)
    sim.reset()
    sim.run(20.0)
    assert len(cells.get_data().segments) == 2
    sim.end()
