"""Live I/O of pyNN.tinysim.spinnaker in simulated time (external_devices, connections, live).

What sPyNNaker's live connections promise, checked against the simulation
itself: receive callbacks get each tick's spikes at the ticks get_data
reports; a spike sent from a callback is emitted by the injector at the next
step and reaches its target after the projection's delay; init callbacks get
(label, size, run time, time step); start/resume callbacks run in threads and
what they send arrives; Poisson rates set while running take effect; run_forever
stops at request_stop(). No timing assertions: paced runs are kept short.
"""

import threading

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as sim
from pynn_tinysim.spinnaker import live


@pytest.fixture(autouse=True)
def no_connections_left():
    yield
    for connection in list(live.CONNECTIONS):
        connection.close()


def _trains(population):
    return [np.asarray(t, float) for t in population.get_data("spikes").segments[0].spiketrains]


def test_receive_callbacks_get_the_ticks_get_data_reports():
    got = []
    conn = sim.external_devices.SpynnakerLiveSpikesConnection(receive_labels=["chain"],
                                                              local_port=None)
    conn.add_receive_callback("chain", lambda label, t, ids: got.append((label, t, ids)))
    sim.setup(timestep=1.0)
    chain = sim.Population(5, sim.IF_curr_exp(tau_refrac=2.0), label="chain")
    stim = sim.Population(1, sim.SpikeSourceArray(spike_times=[3, 40]), label="stim")
    sim.Projection(stim, chain, sim.FromListConnector([(0, 0)]), sim.StaticSynapse(weight=5.0))
    sim.Projection(chain, chain, sim.FromListConnector([(i, i + 1) for i in range(4)]),
                   sim.StaticSynapse(weight=5.0, delay=3))
    chain.record("spikes")
    sim.external_devices.activate_live_output_for(chain)
    sim.run(60)
    sim.run(40)                                   # and again in a second run
    expected = sorted((int(t), i) for i, train in enumerate(_trains(chain)) for t in train)
    received = sorted((t, i) for label, t, ids in got for i in ids)
    assert received == expected and len(expected) >= 8
    assert all(label == "chain" for label, _, _ in got)
    assert [t for _, t, _ in got] == sorted(t for _, t, _ in got)    # in time order
    sim.end()


def test_a_spike_sent_from_a_callback_is_emitted_at_the_next_step():
    """The injector's spike is stamped one tick after the callback's tick; the target
    gets it ``delay`` later (the same as a SpikeSourceArray spike at that tick)."""
    calls = []
    conn = sim.external_devices.SpynnakerLiveSpikesConnection(
        receive_labels=["clock"], send_labels=["inj"], local_port=None)

    def answer(label, tick, ids):
        calls.append(tick)
        conn.send_spike("inj", 2)
    conn.add_receive_callback("clock", answer)
    sim.setup(timestep=1.0)
    clock = sim.Population(1, sim.SpikeSourceArray(spike_times=[10, 30]), label="clock")
    inj = sim.Population(4, sim.external_devices.SpikeInjector(database_notify_port_num=1),
                         label="inj")
    post = sim.Population(4, sim.IF_curr_exp(), label="post")
    ref_src = sim.Population(1, sim.SpikeSourceArray(spike_times=[11, 31]), label="ref")
    ref = sim.Population(1, sim.IF_curr_exp(), label="ref_post")
    sim.Projection(inj, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=8.0, delay=4))
    sim.Projection(ref_src, ref, sim.OneToOneConnector(), sim.StaticSynapse(weight=8.0, delay=4))
    sim.external_devices.activate_live_output_for(clock)
    for p in (inj, post, ref):
        p.record("spikes")
    sim.run(50)
    assert calls == [10, 30]
    injected = _trains(inj)
    assert [list(t) for t in injected] == [[], [], [11.0, 31.0], []]
    assert list(_trains(post)[2]) == list(_trains(ref)[0]) and len(_trains(ref)[0]) >= 2
    sim.end()


def test_init_start_and_stop_callbacks_and_thread_sent_spikes():
    inits, stops, sent = [], [], threading.Event()
    conn = sim.external_devices.SpynnakerLiveSpikesConnection(send_labels=["inj"],
                                                              local_port=None)
    conn.add_init_callback("inj", lambda *args: inits.append(args))

    def sender(label, connection):
        assert connection is conn
        if sent.is_set():               # (started again by the second run: nothing to do)
            return
        for i in range(3):
            connection.send_spike(label, i)
        sent.set()
    conn.add_start_resume_callback("inj", sender)
    conn.add_pause_stop_callback("inj", lambda label, c: stops.append(label))
    sim.setup(timestep=1.0)
    inj = sim.Population(3, sim.external_devices.SpikeInjector(), label="inj")
    inj.record("spikes")
    sim.run(200)             # paced (about 0.2 s of wall time) while the thread lives
    assert sent.wait(5.0)
    # a thread is not simulated time: on a loaded machine it may send after the run has
    # ended, and then its spikes come at the first step of the next run
    sim.run(10)
    assert inits == [("inj", 3, 200, 1.0), ("inj", 3, 10, 1.0)]
    trains = _trains(inj)
    assert all(len(t) == 1 and 0 <= t[0] <= 200 for t in trains)
    for _ in range(500):
        if len(stops) == 2:
            break
        threading.Event().wait(0.01)
    assert stops == ["inj", "inj"]
    sim.end()


def test_send_errors_name_the_problem():
    conn = sim.external_devices.SpynnakerLiveSpikesConnection(send_labels=["inj", "pop"],
                                                              local_port=None)
    sim.setup(timestep=1.0)
    sim.Population(2, sim.external_devices.SpikeInjector(), label="inj")
    sim.Population(2, sim.IF_curr_exp(), label="pop")
    with pytest.raises(sim.external_devices.ConfigurationException, match="not a send label"):
        conn.send_spike("nope", 0)
    with pytest.raises(sim.external_devices.ConfigurationException, match="SpikeInjector"):
        conn.send_spike("pop", 0)
    with pytest.raises(sim.errors.InvalidParameterValueError, match="outside 0..1"):
        conn.send_spikes("inj", [0, 5])
    with pytest.raises(sim.external_devices.ConfigurationException, match="receive label"):
        conn.add_receive_callback("inj", print)
    sim.end()


def test_poisson_rate_set_while_running_takes_effect_from_the_next_chunk():
    control = sim.external_devices.SpynnakerPoissonControlConnection(
        poisson_labels=["noise"], local_port=None)
    watcher = sim.external_devices.SpynnakerLiveSpikesConnection(receive_labels=["clock"],
                                                                 local_port=None)
    ticks = []

    def switch_on(label, tick, ids):
        ticks.append(tick)
        control.set_rates("noise", [(i, 500.0) for i in range(10)])
    watcher.add_receive_callback("clock", switch_on)
    sim.setup(timestep=1.0, rng_seed=3)
    noise = sim.Population(10, sim.SpikeSourcePoisson(rate=0.0), label="noise")
    clock = sim.Population(1, sim.SpikeSourceArray(spike_times=[100]), label="clock")
    sim.external_devices.add_poisson_live_rate_control(
        noise, database_notify_port_num=control.local_port)
    sim.external_devices.activate_live_output_for(clock)
    noise.record("spikes")
    sim.run(300)
    times = np.concatenate(_trains(noise))
    assert ticks == [100]
    assert times.min() > 100 and times.size > 0.5 * 10 * 500 * 0.2   # ~1000 expected
    with pytest.raises(sim.errors.InvalidParameterValueError, match="rates"):
        control.set_rate("noise", 0, -1.0)
    other = sim.external_devices.SpynnakerPoissonControlConnection(poisson_labels=["quiet"])
    sim.Population(2, sim.SpikeSourcePoisson(rate=1.0), label="quiet")
    with pytest.raises(sim.external_devices.ConfigurationException,
                       match="add_poisson_live_rate_control"):
        other.set_rate("quiet", 0, 5.0)
    sim.end()


def test_run_forever_stops_at_request_stop():
    conn = sim.external_devices.SpynnakerLiveSpikesConnection(receive_labels=["clock"],
                                                              local_port=None)
    conn.add_receive_callback("clock", lambda *a: sim.external_devices.request_stop())
    sim.setup(timestep=1.0)
    clock = sim.Population(1, sim.SpikeSourceArray(spike_times=[30]), label="clock")
    sim.external_devices.activate_live_output_for(clock)
    sim.external_devices.run_forever()
    assert sim.get_current_time() == 31.0       # the chunk (one step) that had the spike
    sim.end()


def test_unimplemented_devices_name_themselves():
    with pytest.raises(NotImplementedError, match="PushBotEthernetMotorDevice"):
        sim.external_devices.PushBotEthernetMotorDevice


def test_live_output_without_a_connection_changes_nothing():
    def chain_spikes(live_output):
        sim.setup(timestep=1.0, rng_seed=5)
        sim.set_number_of_neurons_per_core(sim.external_devices.SpikeInjector, (118, 118))
        src = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0), label="src")
        pop = sim.Population(10, sim.IF_curr_exp(), label="pop")
        sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5))
        pop.record("spikes")
        if live_output:
            sim.external_devices.activate_live_output_for(pop)
            sim.external_devices.activate_live_output_for(src)
        sim.run(200)
        trains = [list(t) for t in _trains(pop)]
        sim.end()
        return trains
    assert not live.active()
    with_output = chain_spikes(True)
    assert with_output == chain_spikes(False) and sum(map(len, with_output)) > 0


def test_the_live_loop_computes_what_an_ordinary_run_computes():
    """Chunks of one step with callbacks in between give the same spikes as one run."""
    def network_spikes():
        sim.setup(timestep=1.0, rng_seed=11)
        src = sim.Population(30, sim.SpikeSourcePoisson(rate=40.0), label="src")
        pop = sim.Population(20, sim.IF_curr_exp(tau_refrac=2.0), label="pop")
        sim.Projection(src, pop, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(1)),
                       sim.StaticSynapse(weight=0.8, delay=2))
        sim.Projection(pop, pop, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(2)),
                       sim.StaticSynapse(weight=0.3, delay=3))
        pop.record("spikes")
        sim.external_devices.activate_live_output_for(pop)
        sim.run(150)
        trains = [list(t) for t in _trains(pop)]
        sim.end()
        return trains
    plain = network_spikes()
    got = []
    conn = sim.external_devices.SpynnakerLiveSpikesConnection(receive_labels=["pop"],
                                                              local_port=None)
    conn.add_receive_callback("pop", lambda label, t, ids: got.extend(ids))
    assert live.active()
    assert network_spikes() == plain
    assert len(got) == sum(map(len, plain)) > 0
