"""The engine's two declared interfaces: synapse blocks (static = plastic) and neuron state.

- Every projection's block, static (a view of the SynapseStore) or plastic
  (PlasticSynapses), answers the same calls with the same results, and every block
  that delivers is one entry of ``Network.deliveries``.
- A neuron group's ``internal_state`` table is grown, reset and (``recorded``) recorded
  by the base class: shapes, dtypes and fill values follow the declaration.
"""

import numpy as np
import pytest

from pynn_tinysim.engine import Network
from pynn_tinysim.engine.groups import Internal, NeuronGroup
from pynn_tinysim.engine.lif import LIFCurrDelta
from pynn_tinysim.engine.plasticity import TsodyksMarkram
from pynn_tinysim.engine.sources import SpikeArraySource
from pynn_tinysim.engine.synapses import ProjectionSynapses, SynapseStore

PRE = np.array([1, 1, 2, 3])
POST = np.array([4, 5, 4, 5])
WEIGHT = np.array([0.5, 0.25, 1.0, 2.0])
DELAY = np.array([1, 2, 3, 1])


def _network():
    net = Network(dt=1.0, seed=1)
    _, _, src = net.add_neurons(SpikeArraySource, 3, {"spike_times": [np.array([1.0])] * 3}, {})
    params = dict(v_rest=0.0, cm=1.0, tau_m=1e9, tau_refrac=0.0, i_offset=0.0,
                  v_reset=0.0, v_thresh=1e12)
    cells, _, ids = net.add_neurons(LIFCurrDelta, 2, {k: np.full(2, v) for k, v in params.items()},
                                    {"v": 0.0})
    assert list(src) == [1, 2, 3] and list(ids) == [4, 5]
    return net, cells


@pytest.fixture(params=["static", "plastic"])
def block(request):
    net, _ = _network()
    if request.param == "static":
        b = net.new_synapse_block("excitatory")
        b.add(PRE, POST, WEIGHT, DELAY)
    else:
        b = net.new_synapse_block("excitatory", TsodyksMarkram)
        b.add(PRE, POST, WEIGHT, DELAY, U=1.0, tau_rec=1e-9, tau_facil=0.0)
    b.consolidate()
    return b


def test_blocks_read_alike(block):
    assert isinstance(block, ProjectionSynapses)
    assert len(block) == 4
    order = np.lexsort((POST, PRE))   # both keep connections by pre id, then as made
    np.testing.assert_array_equal(block.pre, PRE[order])
    np.testing.assert_array_equal(block.post, POST[order])
    np.testing.assert_array_equal(block.weight, WEIGHT[order])
    np.testing.assert_array_equal(block.delay_steps, DELAY[order])
    assert block.weight_at(3) == 2.0 and block.delay_steps_at(1) == 2
    assert block.wrong_side() is None


def test_blocks_write_alike(block):
    block.set_weight(9.0, 0)
    block.set_delay_steps(5, 3)
    assert block.weight_at(0) == 9.0 and block.delay_steps_at(3) == 5
    block.write({"weight": np.full(4, 0.125)})
    np.testing.assert_array_equal(block.weight, 0.125)
    block.set_delay_steps(np.array([1, 1, 2, 2]))
    np.testing.assert_array_equal(block.delay_steps, [1, 1, 2, 2])
    with pytest.raises(KeyError):
        block.write({"no_such_parameter": np.zeros(4)})


def test_block_parameters_are_mappings(block):
    if block.plastic:
        assert set(block.params) == {"U", "tau_rec", "tau_facil"}
        assert set(block.state) == {"u", "x", "y"}
        assert block.fixed_attributes == {"dendritic_delay_fraction": 1.0}
    else:
        assert dict(block.params) == {} and dict(block.state) == {}
        assert block.fixed_attributes == {}
        with pytest.raises(KeyError):
            block.set_initial_value(slice(None), "u", 0.0)


def test_one_delivery_list_and_equal_delivery():
    """Static and plastic (rule off: U = 1, instant recovery) deliver the same input."""
    results = []
    for model in (None, TsodyksMarkram):
        net, cells = _network()
        b = net.new_synapse_block("excitatory", model)
        extra = {} if model is None else dict(U=1.0, tau_rec=1e-9, tau_facil=0.0)
        b.add(PRE, POST, WEIGHT, DELAY, **extra)
        assert isinstance(net.deliveries[0], SynapseStore)
        assert (b in net.deliveries) == (model is not None)
        assert net.plastic == ([] if model is None else [b])
        net.record_signal(cells, "v", np.arange(2), 1)
        net.run(8)
        results.append(cells.recorders["v"].get(np.arange(2), 0, 9))
    np.testing.assert_array_equal(results[0], results[1])
    # spikes stamped 1 ms (step 1) arrive after their delays: cell 4 gets 0.5 at 2, 1.0 at 4
    np.testing.assert_allclose(results[0][:, 0], [0, 0, 0.5, 0.5, 1.5, 1.5, 1.5, 1.5, 1.5],
                               atol=1e-7)   # tau_m = 1e9 ms: a leak below 1e-8


class _Declared(NeuronGroup):
    parameter_names = ("x",)
    state_names = ("v",)
    receptors = ("a", "b", "c")
    recordable = ("v", "trace")
    internal_state = {
        "_count": Internal(np.int64, 7),
        "_level": Internal(float, np.inf, per_receptor=True, reset=False),
        "trace": Internal(float, 0.0, recorded=True),
    }

    def _compute_propagators(self, dt):
        pass

    def step(self, k, inputs):
        self._count += 1
        self.state["trace"] += 0.5
        return np.zeros(0, np.int64)


def test_declared_internal_state_grows_resets_and_records():
    net = Network(dt=1.0)
    group, _, _ = net.add_neurons(_Declared, 2, {"x": 1.0}, {"v": -1.0})
    net.add_neurons(_Declared, 3, {"x": 2.0}, {"v": -2.0})
    assert group._count.dtype == np.int64 and list(group._count) == [7] * 5
    assert group._level.shape == (3, 5) and np.all(np.isinf(group._level))
    assert group.state["trace"].shape == (5,)
    group._level[1, 2] = 4.0            # a setting made from outside
    net.record_signal(group, "trace", np.arange(5), 1)
    net.run(4)
    assert list(group._count) == [11] * 5
    np.testing.assert_array_equal(group.recorders["trace"].get(np.arange(2), 0, 5)[:, 0],
                                  [0.0, 0.5, 1.0, 1.5, 2.0])
    net.reset()
    assert list(group._count) == [7] * 5
    np.testing.assert_array_equal(group.state["trace"], 0.0)
    np.testing.assert_array_equal(group.state["v"], [-1, -1, -2, -2, -2])
    assert group._level[1, 2] == 4.0    # reset=False: kept


def test_optional_protocol_has_defaults():
    assert NeuronGroup.check_parameters is None and NeuronGroup.check_arrays is None
    assert NeuronGroup.array_parameter_names == () and NeuronGroup.internal_state == {}
    assert SpikeArraySource.array_parameter_names == ("spike_times",)
