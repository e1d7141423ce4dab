"""Bad input must give a PyNN error (pyNN.errors) that names the parameter and the value,
never a raw NumPy traceback, and must not lose data the user already recorded.

The backend under test is ``pyNN.<TINYSIM_TEST_BACKEND>`` (default ``tinysim``).
Everything not marked ``tinysim_only`` passes against ``pyNN.nest``.  Where NEST's
behaviour is not sensible, the tinysim requirement is a ``tinysim_only`` test and NEST's
behaviour is recorded in a comment:

* negative/zero tau_m, tau_syn_E, cm on IF_curr_exp: NEST raises ``NESTErrors.BadProperty``
  ("All time constants must be strictly positive." / "Capacitance must be strictly
  positive.") which is not a pyNN.errors class and names neither parameter nor value;
* negative tau_m on IF_cond_exp: NEST accepts it silently (it becomes a negative g_L);
* a scalar StaticSynapse delay out of range: NEST raises NoModelAvailableError;
* run() before setup(): NEST (and pyNN.mock) just run, no error at all.
"""

import importlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

SIM = os.environ.get("TINYSIM_TEST_BACKEND", "tinysim")
sim = importlib.import_module("pyNN." + SIM)

from pyNN import errors  # noqa: E402

tinysim_only = pytest.mark.skipif(SIM != "tinysim", reason="tinysim-specific behaviour")

DT = 0.1


def setup(**extra):
    kw = dict(timestep=DT, min_delay=DT, max_delay=10.0)
    kw.update(extra)
    sim.setup(**kw)


def assert_not_numpy_error(exc):
    """The error must come from PyNN/the backend, not leak out of numpy."""
    module = type(exc).__module__ or ""
    assert not module.startswith("numpy"), (type(exc), exc)
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None and SIM == "tinysim":
        numpy_dir = os.path.dirname(np.__file__)
        filename = tb.tb_frame.f_code.co_filename
        assert not filename.startswith(numpy_dir), (filename, type(exc), exc)


# --------------------------------------------------------------------------- cell parameters

def test_unknown_parameter_in_celltype_constructor():
    setup()
    with pytest.raises(errors.NonExistentParameterError) as excinfo:
        sim.IF_curr_exp(tau_foo=1.0)
    msg = str(excinfo.value)
    assert "tau_foo" in msg
    assert "IF_curr_exp" in msg  # NEST: "tau_foo (valid parameters for IF_curr_exp are: cm, ...)"
    assert "tau_m" in msg
    sim.end()


def test_unknown_parameter_in_population_and_set():
    setup()
    with pytest.raises(errors.NonExistentParameterError) as excinfo:
        sim.Population(2, sim.IF_curr_exp, {"tau_foo": 1.0})
    assert "tau_foo" in str(excinfo.value)
    p = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.NonExistentParameterError) as excinfo:
        p.set(tau_foo=1.0)
    assert "tau_foo" in str(excinfo.value)
    sim.end()


def test_non_numeric_parameter():
    setup()
    with pytest.raises(errors.InvalidParameterValueError) as excinfo:
        sim.Population(2, sim.IF_curr_exp(tau_m="abc"))
    assert "tau_m" in str(excinfo.value)
    sim.end()


def test_wrong_array_size_for_parameter():
    setup()
    p = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidDimensionsError):
        p.set(tau_m=np.array([10.0, 11.0, 12.0]))
    np.testing.assert_allclose(p.get("tau_m"), 20.0)
    sim.end()


@pytest.mark.parametrize("name,value", [("tau_m", -1.0), ("tau_m", 0.0), ("tau_syn_E", -2.0),
                                        ("cm", -0.5)])
def test_invalid_cell_parameter_value_is_rejected(name, value):
    # NEST raises NESTErrors.BadProperty (not a pyNN error; see module docstring).
    setup()
    with pytest.raises(Exception) as excinfo:
        sim.Population(2, sim.IF_curr_exp(**{name: value}))
    assert_not_numpy_error(excinfo.value)
    sim.end()


@tinysim_only
@pytest.mark.parametrize("celltype", ["IF_curr_exp", "IF_cond_exp"])
@pytest.mark.parametrize("name,value", [("tau_m", -1.0), ("tau_syn_E", -2.0), ("cm", -0.5)])
def test_invalid_cell_parameter_value_error_class_and_message(celltype, name, value):
    setup()
    with pytest.raises(errors.InvalidParameterValueError) as excinfo:
        sim.Population(2, getattr(sim, celltype)(**{name: value}))
    msg = str(excinfo.value)
    assert f"{name}={value!r}" in msg          # "tau_m=-1.0", not "np.float64(-1.0)"
    assert "np." not in msg
    sim.end()


@tinysim_only
def test_invalid_parameter_via_set_error_class_and_message():
    setup()
    p = sim.Population(3, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError) as excinfo:
        p.set(tau_m=np.array([10.0, -3.0, 12.0]))
    msg = str(excinfo.value)
    assert "tau_m" in msg and "-3" in msg
    sim.end()


# --------------------------------------------------------------------------- connections

def test_delay_below_time_step():
    # with dt=0.1, 0.04 rounds to 0 steps. NEST: ConnectionError("Delay value 0 is invalid:
    # Delay must be greater than or equal to resolution. ...")
    setup()
    a = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.ConnectionError) as excinfo:
        sim.Projection(a, a, sim.FromListConnector([(0, 1, 0.1, 0.04)]), sim.StaticSynapse())
    assert "delay" in str(excinfo.value).lower()
    sim.end()


@tinysim_only
def test_delay_error_names_value():
    setup()
    a = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.ConnectionError) as excinfo:
        sim.Projection(a, a, sim.FromListConnector([(0, 1, 0.1, 0.04)]), sim.StaticSynapse())
    msg = str(excinfo.value)
    assert "delay" in msg.lower() and "0.04" in msg
    with pytest.raises(errors.ConnectionError) as excinfo:
        sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1, delay=25.0))
    msg = str(excinfo.value)
    assert "delay" in msg.lower() and "25" in msg
    sim.end()


def test_unknown_receptor_type():
    # NEST: ConnectionError("User gave receptor_types=foo, receptor_types must be one of:
    # 'excitatory', 'inhibitory'")
    setup()
    a = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.ConnectionError) as excinfo:
        sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1),
                       receptor_type="foo")
    msg = str(excinfo.value)
    assert "foo" in msg
    assert "excitatory" in msg and "inhibitory" in msg
    sim.end()


def test_mixed_sign_weights():
    setup()
    a = sim.Population(2, sim.IF_curr_exp())
    # NEST: ConnectionError("Weights must be either all positive or all negative").
    # (Note: pyNN.nest does not check the signs of FromListConnector weights at all.)
    with pytest.raises(errors.ConnectionError):
        sim.Projection(a, a, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=np.array([[0.1, 0.1], [-0.1, 0.1]])))
    sim.end()


# --------------------------------------------------------------------------- recording

def test_record_unknown_variable():
    # NEST: RecordingError("Cannot record Variable(name='foo', location=None, label=None)
    # from cell type IF_curr_exp. Available variables are spikes,v")
    setup()
    p = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.RecordingError) as excinfo:
        p.record("foo")
    assert "foo" in str(excinfo.value)
    with pytest.raises(errors.RecordingError) as excinfo:
        p.record("gsyn_exc")  # current-based cell has no conductance
    assert "gsyn_exc" in str(excinfo.value)
    sim.end()


# --------------------------------------------------------------------------- lifecycle

RUN_BEFORE_SETUP = textwrap.dedent("""
    import importlib, sys, warnings
    warnings.simplefilter("ignore")
    sim = importlib.import_module("pyNN." + sys.argv[1])
    try:
        sim.run(10.0)
    except AttributeError as e:
        print("RESULT:AttributeError:" + str(e))
    except Exception as e:
        print("RESULT:" + type(e).__module__ + "." + type(e).__name__ + ":" + str(e))
    else:
        print("RESULT:no error")
""")


def _run_before_setup():
    proc = subprocess.run([sys.executable, "-c", RUN_BEFORE_SETUP, SIM],
                          capture_output=True, text=True, timeout=120,
                          cwd=os.path.dirname(os.path.abspath(__file__)))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT:")]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(lines) == 1, proc.stdout[-2000:]
    return lines[0][len("RESULT:"):]


def test_run_before_setup_no_attribute_error():
    # NEST (and pyNN.mock) run without complaint here.
    result = _run_before_setup()
    assert not result.startswith("AttributeError"), result


@tinysim_only
def test_run_before_setup_clear_error():
    result = _run_before_setup()
    assert result != "no error"
    assert "setup" in result, result


def test_recorded_data_survives_an_error():
    setup()
    p = sim.Population(3, sim.IF_curr_exp(i_offset=1.0))
    p.record(["spikes", "v"])
    sim.run(100.0)
    before = p.get_data().segments[0]
    spikes_before = [np.array(st) for st in before.spiketrains]
    assert sum(len(s) for s in spikes_before) > 0
    with pytest.raises(Exception) as excinfo:
        p.set(tau_m=-1.0)
    assert_not_numpy_error(excinfo.value)
    # nothing changed, nothing lost
    assert p.get("tau_m") == pytest.approx(20.0)
    after = p.get_data().segments[0]
    for a, b in zip(spikes_before, after.spiketrains):
        np.testing.assert_array_equal(a, np.array(b))
    v_after = [s for s in after.analogsignals if s.name == "v"][0]
    assert v_after.shape == (1001, 3)
    # and the simulation can go on
    sim.run(10.0)
    later = p.get_data().segments[0]
    v_later = [s for s in later.analogsignals if s.name == "v"][0]
    assert v_later.shape == (1101, 3)
    for a, b in zip(spikes_before, later.spiketrains):
        np.testing.assert_array_equal(a, np.array(b)[:len(a)])
    sim.end()


@tinysim_only
def test_recorded_data_survives_an_error_tinysim_error_class():
    setup()
    p = sim.Population(3, sim.IF_curr_exp(i_offset=1.0))
    p.record("spikes")
    sim.run(100.0)
    n_before = sum(len(st) for st in p.get_data().segments[0].spiketrains)
    with pytest.raises(errors.InvalidParameterValueError) as excinfo:
        p.set(tau_m=-1.0)
    assert "tau_m" in str(excinfo.value) and "-1" in str(excinfo.value)
    assert sum(len(st) for st in p.get_data().segments[0].spiketrains) == n_before
    sim.end()


@tinysim_only
def test_negative_poisson_rate():
    # NEST: NESTErrors.BadProperty("The rate cannot be negative.")
    setup()
    with pytest.raises(errors.InvalidParameterValueError) as excinfo:
        sim.Population(2, sim.SpikeSourcePoisson(rate=-10.0))
    assert "rate" in str(excinfo.value) and "-10" in str(excinfo.value)
    sim.end()
