"""sPyNNaker's ``external_devices``: live input and output, in simulated time.

Emulated (see :mod:`.live` for the run loop and how it differs from a board
running in real time, :mod:`.connections` for the connections):

- ``SpynnakerLiveSpikesConnection``, ``SpynnakerPoissonControlConnection``
  (and ``LiveEventConnection``);
- ``SpikeInjector(...)``: a Population whose neurons spike when a connection
  sends them spikes (``send_spike(s)``), at the next time step;
- ``activate_live_output_for(population, ...)``: its spikes go to the receive
  callbacks; ``activate_live_output_to`` is accepted (spikes to another
  Population's device: nothing to do here);
- ``add_poisson_live_rate_control(poisson_population, ...)``: its rates may
  be set while running;
- ``run_forever()``, ``request_stop()``, ``register_database_notification_request``.

Robots, retinas, motors, SPIF and Ethernet devices need hardware: any other
name of sPyNNaker 7.4's ``external_devices`` raises NotImplementedError naming it.
"""

import logging

from pyNN import errors
from pyNN.standardmodels import build_translations

from ..engine.spinnaker import live as engine_live
from . import live
from .cells import SpiNNakerCellType
from .connections import (  # noqa: F401
    LiveEventConnection, SpynnakerLiveSpikesConnection, SpynnakerPoissonControlConnection,
    ConfigurationException, NOTIFY_PORT)

logger = logging.getLogger("pyNN.tinysim.spinnaker")

try:                                    # sPyNNaker re-exports spinnman's EIEIOType
    from spinnman.messages.eieio import EIEIOType          # noqa: F401
except ImportError:
    import enum

    class EIEIOType(enum.Enum):
        """Packet formats of sPyNNaker's live packets (accepted, not used here)."""
        KEY_16_BIT = 0
        KEY_PAYLOAD_16_BIT = 1
        KEY_32_BIT = 2
        KEY_PAYLOAD_32_BIT = 3


class SpikeInjector(SpiNNakerCellType):
    """sPyNNaker's SpikeInjector: neurons that spike when a live connection sends them spikes.

    ``SpikeInjector(notify=True, database_notify_host=None,
    database_notify_port_num=None, database_ack_port_num=None)``; the
    arguments (where the board's database notification goes) are accepted and
    ignored. A spike sent while the network runs is emitted at the next step
    simulated; one sent between runs, at the first step of the next run.
    (``additional_parameters={"virtual_key": ...}`` of the Population: ignored.)
    """

    default_parameters = {}
    default_initial_values = {}
    recordable = ["spikes"]
    units = {}
    translations = build_translations()
    engine_model = engine_live.InjectedSpikes
    conductance_based = False
    injectable = False
    receptor_types = ()
    spinnaker_name = "SpikeInjector"
    #: a reverse-IP-tag source: not bounded by a neuron core's 256 (scripts give it
    #: (width, height) per core)
    absolute_max_atoms_per_core = 2 ** 31 - 1

    def __init__(self, notify=True, database_notify_host=None, database_notify_port_num=None,
                 database_ack_port_num=None):
        logger.debug("SpikeInjector(notify=%r, database_notify_host=%r, "
                     "database_notify_port_num=%r, database_ack_port_num=%r): ports ignored",
                     notify, database_notify_host, database_notify_port_num,
                     database_ack_port_num)
        super().__init__()


#: sPyNNaker 7.4's model class of the same thing (spike_injector module's name)
ExternalDeviceSpikeInjector = SpikeInjector


def _population(population, what):
    if not hasattr(population, "_group_indices") or not hasattr(population, "label"):
        raise errors.InvalidParameterValueError(
            f"{what}: expected a Population of pyNN.tinysim.spinnaker, got {population!r}")
    return getattr(population, "grandparent", None) or population


def activate_live_output_for(population, database_notify_host=None,
                             database_notify_port_num=None, database_ack_port_num=None,
                             port=None, host=None, tag=None, strip_sdp=True, use_prefix=False,
                             key_prefix=None, prefix_type=None, message_type=None,
                             right_shift=0, payload_as_time_stamps=True, notify=True,
                             use_payload_prefix=True, payload_prefix=None,
                             payload_right_shift=0, number_of_packets_sent_per_time_step=0,
                             translate_keys=False, partition_ids=None):
    """Send the spikes of ``population`` to the live connections' receive callbacks.

    The board arguments (hosts, ports, tags, key and payload formats) are
    accepted and ignored: callbacks get (label, tick, neuron indices).
    """
    population = _population(population, "activate_live_output_for")
    here = live.session()
    if population not in here.live_outputs:
        here.live_outputs.append(population)


def activate_live_output_to(population, device, partition_id=None):
    """sPyNNaker: send ``population``'s spikes to a device vertex. No devices here: ignored."""
    _population(population, "activate_live_output_to")
    logger.debug("activate_live_output_to(%s, %r): no devices here, ignored",
                 population.label, device)


def add_poisson_live_rate_control(poisson_population, control_label_extension="_control",
                                  receive_port=None, database_notify_host=None,
                                  database_notify_port_num=None):
    """Let a SpynnakerPoissonControlConnection set the rates of ``poisson_population``."""
    population = _population(poisson_population, "add_poisson_live_rate_control")
    if "rate" not in population.celltype.get_parameter_names():
        raise errors.InvalidParameterValueError(
            f"add_poisson_live_rate_control: {population.label!r} is not a SpikeSourcePoisson")
    here = live.session()
    here.poisson_controls[f"{population.label}{control_label_extension}"] = population


def register_database_notification_request(hostname, notify_port, ack_port):
    """Board setting (who is told the database is ready): every connection is, here."""
    logger.debug("register_database_notification_request(%r, %r, %r): ignored",
                 hostname, notify_port, ack_port)


def run_forever(sync_time=0.0):
    """Run until :func:`request_stop` is called (from a callback or another thread)."""
    from .control import run_forever as control_run_forever
    return control_run_forever(sync_time)


def request_stop():
    """Stop a :func:`run_forever` at the end of the present chunk of simulated time."""
    live.request_stop()


#: the rest of sPyNNaker 7.4's external_devices.__all__: hardware devices
NOT_IMPLEMENTED = (
    "ExternalFPGARetinaDevice", "MunichRetinaDevice", "MunichMotorDevice", "ArbitraryFPGADevice",
    "PushBotRetinaViewer", "ExternalDeviceLifControl", "SPIFRetinaDevice", "ICUBRetinaDevice",
    "SPIFOutputDevice", "SPIFInputDevice", "MunichIoSpiNNakerLinkProtocol", "PushBotLaser",
    "PushBotLED", "PushBotMotor", "PushBotSpeaker", "PushBotRetinaResolution",
    "PushBotLifEthernet", "PushBotEthernetLaserDevice", "PushBotEthernetLEDDevice",
    "PushBotEthernetMotorDevice", "PushBotEthernetSpeakerDevice",
    "PushBotEthernetRetinaDevice", "PushBotLifSpinnakerLink",
    "PushBotSpiNNakerLinkLaserDevice", "PushBotSpiNNakerLinkLEDDevice",
    "PushBotSpiNNakerLinkMotorDevice", "PushBotSpiNNakerLinkSpeakerDevice",
    "PushBotSpiNNakerLinkRetinaDevice", "SPIFLiveSpikesConnection", "EthernetControlPopulation",
    "EthernetSensorPopulation", "run_sync", "continue_simulation", "protocols")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError(
        f"pyNN.tinysim.spinnaker does not implement sPyNNaker's external_devices.{name} "
        "(devices need a SpiNNaker machine); live spikes in and out, Poisson rate control "
        "and SpikeInjector are emulated")
