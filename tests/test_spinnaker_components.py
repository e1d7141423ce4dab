"""The sPyNNaker-flavour groups as compositions of components (engine/spinnaker/).

Each group's parameters, state variables, receptors and weight scale come from
its neuron model, synapse type, input type and threshold type; these are the
tables sPyNNaker 7.4 declares for the models (pyNN.spiNNaker's
``default_parameters``/``default_initial_values``; conductances x 1024).
"""

import numpy as np
import pytest

from pynn_tinysim.engine.network import Network
from pynn_tinysim.engine.spinnaker import groups as g
from pynn_tinysim.engine.spinnaker import settings
from pynn_tinysim.engine.spinnaker.plasticity import SpinnakerSTDP

LIF = {"tau_m", "cm", "v_rest", "v_reset", "v_thresh", "tau_refrac", "i_offset"}
IZK = {"a", "b", "c", "d", "i_offset"}
EI = ("excitatory", "inhibitory")

EXPECTED = {
    g.LIFCurrExp: (LIF | {"tau_syn_E", "tau_syn_I"}, ("v", "isyn_exc", "isyn_inh"), EI, 1.0),
    g.LIFCondExp: (LIF | {"tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I"},
                   ("v", "isyn_exc", "isyn_inh"), EI, 1024.0),
    g.LIFCurrAlpha: (LIF | {"tau_syn_E", "tau_syn_I"},
                     ("v", "exc_response", "exc_exp_response", "inh_response",
                      "inh_exp_response"), EI, 1.0),
    g.LIFCurrDelta: (LIF, ("v", "isyn_exc", "isyn_inh"), EI, 1.0),
    g.IFTruncDelta: (LIF - {"v_rest"}, ("v", "isyn_exc", "isyn_inh"), EI, 1.0),
    g.LIFCurrDeltaFixedProb: (LIF | {"p_thresh"}, ("v", "isyn_exc", "isyn_inh"), EI, 1.0),
    g.LIFCurrDualExp: (LIF | {"tau_syn_E", "tau_syn_E2", "tau_syn_I"},
                       ("v", "isyn_exc", "isyn_exc2", "isyn_inh"),
                       ("excitatory", "excitatory2", "inhibitory"), 1.0),
    g.IzhikevichCurrExp: (IZK | {"tau_syn_E", "tau_syn_I"}, ("v", "u", "isyn_exc", "isyn_inh"),
                          EI, 1.0),
    g.IzhikevichCondExp: (IZK | {"tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I"},
                          ("v", "u", "isyn_exc", "isyn_inh"), EI, 1024.0),
}


@pytest.mark.parametrize("group", list(EXPECTED), ids=lambda c: c.__name__)
def test_declarations_follow_from_the_components(group):
    params, state, receptors, scale = EXPECTED[group]
    assert set(group.parameter_names) == params
    assert len(group.parameter_names) == len(params)
    assert group.state_names == state
    assert group.receptors == receptors
    assert group.global_weight_scale == scale
    # the arrays each component owns are declared on the group (grown and reset by it)
    own = {"refract_timer"} if "tau_refrac" in params else {"this_h"}
    if group.synapse_type.__name__ == "AlphaSynapses":
        own.add("alpha_q")
    assert own | {"gsyn_exc", "gsyn_inh", "_saturation"} == set(group.internal_state)


def test_each_group_has_one_object_of_each_component():
    network = Network(dt=1.0)
    group, _, _ = network.add_neurons(
        g.IzhikevichCondExp, 3, {name: 1.0 for name in g.IzhikevichCondExp.parameter_names}, {})
    parts = (group.neuron, group.synapses, group.input, group.threshold)
    assert [type(p).__name__ for p in parts] == [
        "Izhikevich", "ExponentialSynapses", "ConductanceInput", "IzhikevichThreshold"]
    assert all(p.group is group for p in parts)
    assert group.this_h.shape == (3,) and np.isnan(group.this_h).all()


def test_flavour_settings_are_a_declared_field_of_the_network():
    network = Network(dt=1.0)
    assert network.spinnaker is None
    # without settings, the flavour's neurons model the board, its STDP uses exact decays
    assert settings.neurons_in_fixed_point(network)
    assert not settings.traces_in_fixed_point(network)
    group, _, _ = network.add_neurons(
        g.LIFCurrExp, 1, {name: 1.0 for name in g.LIFCurrExp.parameter_names}, {})
    for fixed in (False, True):
        settings.configure(network, settings.FlavourSettings(fixed_point=fixed))
        assert group.fixed_point is fixed
        assert settings.traces_in_fixed_point(network) is fixed
        rule = network.new_synapse_block("excitatory", SpinnakerSTDP)
        rule.start_run(1.0)
        assert rule._board is fixed
