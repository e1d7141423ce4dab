"""sPyNNaker's ``external_devices`` (live I/O, robots, retinas) need a real machine.

Any use raises NotImplementedError naming what was asked for.
"""


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError(
        f"pyNN.tinysim.spinnaker does not implement sPyNNaker's external_devices.{name} "
        "(live input/output needs a SpiNNaker machine)")
