"""Standard synapse types of pyNN.tinysim."""

from pyNN import errors
from pyNN.standardmodels import synapses, build_translations, check_weights

from .. import simulator

SPINNAKER_HINT = (
    " This script looks written for SpiNNaker (sPyNNaker takes weight magnitudes and "
    "lets the receptor type give the sign). Use negative weights for inhibitory "
    "current-based synapses, or run it unchanged with `import pyNN.tinysim.spinnaker as sim`.")


def check_weights_with_hint(weights, projection):
    """PyNN's weight-sign check; a positive inhibitory current weight gets the SpiNNaker hint."""
    try:
        check_weights(weights, projection)
    except errors.ConnectionError as err:
        if "negative for current-based, inhibitory" in str(err):
            raise errors.ConnectionError(str(err) + "." + SPINNAKER_HINT) from None
        raise


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))
    parameter_checks = {"weight": check_weights_with_hint}

    def _get_minimum_delay(self):
        return simulator.state.min_delay
