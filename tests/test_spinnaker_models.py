"""pyNN.tinysim.spinnaker: sPyNNaker's model names, parameters, defaults and API.

The expected values are a copy of what sPyNNaker 7.4.1 declares
(``pyNN.spiNNaker.X.default_parameters`` / ``default_initial_values``), kept here
so they are checked without sPyNNaker; where sPyNNaker is available (importable
here, or through $TINYSIM_SPYNNAKER_PYTHON) the copy itself is checked against it.
"""

import json
import logging
import os
import subprocess

import numpy as np
import pytest

from pyNN import errors
import pyNN.tinysim.spinnaker as sim

# --- sPyNNaker 7.4.1's declarations, copied by hand -------------------------------------

SPYNNAKER_7_4_DEFAULTS = {
    "IF_curr_exp": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                    "v_thresh": -50.0, "tau_syn_E": 5.0, "tau_syn_I": 5.0,
                    "tau_refrac": 0.1, "i_offset": 0.0},
    "IF_cond_exp": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                    "v_thresh": -50.0, "tau_syn_E": 5.0, "tau_syn_I": 5.0,
                    "tau_refrac": 0.1, "i_offset": 0.0, "e_rev_E": 0.0, "e_rev_I": -70.0},
    "IF_curr_alpha": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                      "v_thresh": -50.0, "tau_syn_E": 0.5, "tau_syn_I": 0.5,
                      "tau_refrac": 0.1, "i_offset": 0.0},
    "IF_curr_delta": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                      "v_thresh": -50.0, "tau_refrac": 0.1, "i_offset": 0.0},
    "Izhikevich": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 2.0, "i_offset": 0.0,
                   "tau_syn_E": 5.0, "tau_syn_I": 5.0},
    "SpikeSourceArray": {"spike_times": None},
    "SpikeSourcePoisson": {"rate": 0.0, "start": 0, "duration": None},
}
SPYNNAKER_7_4_EXTRA_DEFAULTS = {
    "IF_curr_dual_exp": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                         "v_thresh": -50.0, "tau_syn_E": 5.0, "tau_syn_E2": 5.0,
                         "tau_syn_I": 5.0, "tau_refrac": 0.1, "i_offset": 0.0},
    "Izhikevich_cond": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 2.0, "i_offset": 0.0,
                        "tau_syn_E": 5.0, "tau_syn_I": 5.0, "e_rev_E": 0.0, "e_rev_I": -70.0},
    "IFCurDelta": {"tau_m": 20.0, "cm": 1.0, "v_rest": -65.0, "v_reset": -65.0,
                   "v_thresh": -50.0, "tau_refrac": 0.1, "i_offset": 0.0},
}
SPYNNAKER_7_4_INITIAL = {
    "IF_curr_exp": {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
    "IF_cond_exp": {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
    "IF_curr_alpha": {"v": -65.0, "exc_response": 0.0, "exc_exp_response": 0.0,
                      "inh_response": 0.0, "inh_exp_response": 0.0},
    "IF_curr_delta": {"v": -65.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
    "Izhikevich": {"u": -14.0, "v": -70.0, "isyn_exc": 0.0, "isyn_inh": 0.0},
}
#: where sPyNNaker declares None, PyNN needs a typed value meaning the same
NONE_MEANS = {("SpikeSourcePoisson", "duration"): float("inf"),
              ("SpikeSourceArray", "spike_times"): []}

SPYNNAKER_STANDARD_MODELS = ["IF_cond_exp", "IF_curr_exp", "IF_curr_alpha", "IF_curr_delta",
                             "Izhikevich", "SpikeSourceArray", "SpikeSourcePoisson"]


def _ours(name):
    cls = getattr(sim, name, None) or getattr(sim.extra_models, name)
    return cls


def _equivalent(model, key, ours, theirs):
    if theirs is None:
        expected = NONE_MEANS[(model, key)]
        if isinstance(expected, list):
            return list(getattr(ours, "value", ours)) == expected
        return ours == expected
    return ours == theirs


@pytest.mark.parametrize("model", sorted({**SPYNNAKER_7_4_DEFAULTS,
                                          **SPYNNAKER_7_4_EXTRA_DEFAULTS}))
def test_default_parameters_match_spynnaker_7_4(model):
    expected = {**SPYNNAKER_7_4_DEFAULTS, **SPYNNAKER_7_4_EXTRA_DEFAULTS}[model]
    ours = _ours(model).default_parameters
    assert list(ours) == list(expected)           # same names, in sPyNNaker's order
    for key, value in expected.items():
        assert _equivalent(model, key, ours[key], value), (model, key, ours[key], value)


@pytest.mark.parametrize("model", sorted(SPYNNAKER_7_4_INITIAL))
def test_default_initial_values_match_spynnaker_7_4(model):
    assert _ours(model).default_initial_values == SPYNNAKER_7_4_INITIAL[model]


def test_verbatim_copy_in_the_package_matches_this_one():
    from pynn_tinysim.spinnaker.cells import SPINNAKER_DEFAULTS
    for name, expected in {**SPYNNAKER_7_4_DEFAULTS, **SPYNNAKER_7_4_EXTRA_DEFAULTS}.items():
        assert SPINNAKER_DEFAULTS[name] == expected


def _spynnaker_declarations():
    """(defaults, initial values, standard models) from a live sPyNNaker, or skip."""
    code = (
        "import json\n"
        "import pyNN.spiNNaker as sim\n"
        "from spynnaker.pyNN import extra_models as em\n"
        "out = {'defaults': {}, 'initial': {}}\n"
        f"for n in {sorted(SPYNNAKER_7_4_DEFAULTS)!r}:\n"
        "    c = getattr(sim, n)\n"
        "    out['defaults'][n] = dict(c.default_parameters)\n"
        "    out['initial'][n] = dict(getattr(c, 'default_initial_values', {}))\n"
        f"for n in {sorted(SPYNNAKER_7_4_EXTRA_DEFAULTS)!r}:\n"
        "    out['defaults'][n] = dict(getattr(em, n).default_parameters)\n"
        "out['standard'] = sim.list_standard_models()\n"
        "print('JSON' + json.dumps(out))\n")
    try:
        import spynnaker  # noqa: F401
        namespace = {}
        import contextlib
        import io
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(code, namespace)
        text = buffer.getvalue()
    except ImportError:
        python = os.environ.get("TINYSIM_SPYNNAKER_PYTHON")
        if not python:
            pytest.skip("sPyNNaker is not installed here and $TINYSIM_SPYNNAKER_PYTHON is not "
                        "set (pip install spynnaker in a venv of its own to run this check)")
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            pytest.skip(f"could not import pyNN.spiNNaker with {python}: {done.stderr[-300:]}")
        text = done.stdout
    return json.loads(text[text.index("JSON") + 4:].strip().splitlines()[0])


def test_against_live_spynnaker():
    live = _spynnaker_declarations()
    for name, expected in {**SPYNNAKER_7_4_DEFAULTS, **SPYNNAKER_7_4_EXTRA_DEFAULTS}.items():
        assert live["defaults"][name] == expected, name
    for name, expected in SPYNNAKER_7_4_INITIAL.items():
        assert live["initial"][name] == expected, name
    assert [m for m in live["standard"] if m != "AbstractPyNNModel"] == SPYNNAKER_STANDARD_MODELS


def test_list_standard_models():
    assert sorted(sim.list_standard_models()) == sorted(SPYNNAKER_STANDARD_MODELS)


def test_recordables_and_receptors_are_spynnakers():
    for cls in (sim.IF_curr_exp, sim.IF_cond_exp, sim.IF_curr_alpha, sim.IF_curr_delta,
                sim.Izhikevich):
        assert set(cls.recordable) == {"spikes", "v", "gsyn_exc", "gsyn_inh"}
        assert cls.units["gsyn_exc"] == "uS"
        assert tuple(cls.receptor_types) == ("excitatory", "inhibitory")
    assert tuple(sim.extra_models.IF_curr_dual_exp.receptor_types) == (
        "excitatory", "excitatory2", "inhibitory")
    assert sim.IF_cond_exp.conductance_based and not sim.IF_curr_exp.conductance_based


def test_izhikevich_has_synaptic_time_constants():
    assert "tau_syn_E" in sim.Izhikevich.get_parameter_names()
    assert sorted(sim.Izhikevich.get_parameter_names()) == [
        "a", "b", "c", "d", "i_offset", "tau_syn_E", "tau_syn_I"]


def test_initial_values_in_the_constructor_as_spynnaker():
    sim.setup(timestep=1.0)
    cells = sim.Population(2, sim.Izhikevich(a=0.02, v=-75.0, u=0.0))
    assert np.allclose(cells._group.state["v"], -75.0)
    assert np.allclose(cells._group.state["u"], 0.0)


def test_class_and_dict_form_and_float_size():
    sim.setup(timestep=1.0)
    cells = sim.Population(4 / 2, sim.IF_curr_exp, {"cm": 0.25}, label="p")
    assert cells.size == 2
    assert np.allclose(cells.get("cm"), 0.25)
    stim = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [[5, 15, 20, 30]]})
    assert list(stim._group.spike_times[-1]) == [5, 15, 20, 30]


def test_name_says_what_it_is():
    sim.setup(timestep=1.0)
    assert "sPyNNaker" in sim.name() and "tinysim" in sim.name()
    assert "fixed point" in sim.name()
    sim.setup(timestep=1.0, fixed_point=False)
    assert "float64" in sim.name()


def test_board_steering_calls_are_debug_logged_no_ops(caplog):
    sim.setup(timestep=1.0)
    with caplog.at_level(logging.DEBUG, logger="pyNN.tinysim.spinnaker"):
        sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 100 / 2)
        sim.set_number_of_synapse_cores(sim.IF_curr_exp, 1)
        sim.set_allow_delay_extensions(sim.IF_curr_exp, True)
        sim.extra_models.IF_curr_dual_exp.set_model_n_synapse_cores(1)
        cells = sim.Population(3, sim.IF_curr_exp(), label="x", seed=1, n_synapse_cores=0,
                               additional_parameters={"seed": 3})
        cells.set_max_atoms_per_core(10)
    assert caplog.records and all(r.levelno == logging.DEBUG for r in caplog.records)
    with pytest.raises(errors.InvalidParameterValueError):
        sim.set_number_of_neurons_per_core("IF_curr_exp", 10)
    assert sim.get_machine().n_chips == 48      # a described virtual SpiNN-5 board
    with pytest.raises(NotImplementedError, match="max_delay"):
        sim.get_max_delay()


def test_default_timestep_is_one_ms():
    sim.setup()
    assert sim.get_time_step() == 1.0
    assert sim.get_min_delay() == 1.0
    sim.setup(timestep="auto")
    assert sim.get_time_step() == 1.0
    sim.setup(timestep=0.1)
    assert sim.get_time_step() == 0.1 and sim.get_min_delay() == 0.1


def test_setup_checks_min_delay_as_spynnaker():
    with pytest.raises(errors.InvalidParameterValueError, match="multiple"):
        sim.setup(timestep=1.0, min_delay=1.5)
    with pytest.raises(errors.InvalidParameterValueError, match="at least"):
        sim.setup(timestep=1.0, min_delay=0.5)


def test_max_delay_ignored_with_spynnakers_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="pyNN.tinysim.spinnaker"):
        sim.setup(timestep=1.0, min_delay=2, max_delay=2)
    assert "max_delay is not supported by sPyNNaker" in caplog.text


def test_extra_models_implemented_and_not():
    for name in ("IF_curr_dual_exp", "Izhikevich_cond", "IFCurDelta",
                 "SpikeSourcePoissonVariable", "Vogels2011Rule", "SpikeNearestPairRule",
                 "PfisterSpikeTriplet", "WeightDependenceAdditiveTriplet",
                 "AllButMeConnector", "OneToOneOffsetConnector",
                 # simulated since issue 17
                 "IFCondExpStoc", "IF_curr_exp_sEMD", "IFCurrExpCa2Adaptive", "RecurrentRule"):
        assert getattr(sim.extra_models, name) is not None
    for name in ("Izhikevich_cond_dual", "StocExp", "WeightChanger"):
        with pytest.raises(NotImplementedError, match=name):
            getattr(sim.extra_models, name)
    with pytest.raises(NotImplementedError, match="external_devices.PushBotLifEthernet"):
        sim.external_devices.PushBotLifEthernet


def test_extra_models_plasticity_rules_are_simulated_in_their_combinations():
    sim.setup(timestep=1.0)
    a = sim.Population(2, sim.IF_curr_exp())
    b = sim.Population(2, sim.IF_curr_exp())
    rules = [sim.extra_models.Vogels2011Rule(alpha=0.12, tau=20.0, A_plus=1e-4),
             sim.extra_models.SpikeNearestPairRule(tau_plus=16.7)]
    assert rules[0].alpha == 0.12
    for rule in rules:
        mechanism = sim.STDPMechanism(timing_dependence=rule,
                                      weight_dependence=sim.AdditiveWeightDependence())
        sim.Projection(a, b, sim.AllToAllConnector(), synapse_type=mechanism)
    triplet = sim.extra_models.WeightDependenceAdditiveTriplet(0.0, 1.0, 0.01, 0.01)
    sim.Projection(a, b, sim.AllToAllConnector(), synapse_type=sim.STDPMechanism(
        timing_dependence=sim.extra_models.PfisterSpikeTriplet(16.8, 33.7, 101, 125, 5e-10,
                                                               7e-3),
        weight_dependence=triplet))
    mechanism = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                                  weight_dependence=triplet)
    with pytest.raises(NotImplementedError, match="WeightDependenceAdditiveTriplet"):
        sim.Projection(a, b, sim.AllToAllConnector(), synapse_type=mechanism)


def test_non_flavour_cell_type_is_refused():
    import pyNN.tinysim as core
    sim.setup(timestep=1.0)
    with pytest.raises(errors.NoModelAvailableError, match="pyNN.tinysim.spinnaker"):
        sim.Population(1, core.IF_cond_alpha())


def test_flavour_needs_its_own_setup():
    import pyNN.tinysim as core
    core.setup(timestep=0.1)
    with pytest.raises(errors.InvalidModelError, match="spinnaker.setup"):
        sim.Population(1, sim.IF_curr_exp())
