"""Partitioner hints of sPyNNaker and PACMAN, accepted as no-ops (served where they are absent).

``pacman.model.partitioner_splitters`` (``SplitterFixedLegacy``,
``SplitterOneToOneLegacy``...) and
``spynnaker.pyNN.extra_algorithms.splitter_components``
(``SplitterPopulationVertexFixed``, ``SplitterPopulationVertexNeuronsSynapses``...)
tell the board's tool chain how to cut a Population into cores. A Population
takes one as ``additional_parameters={"splitter": ...}``; there are no cores
here, so each is an object that records its arguments and does nothing (a
debug log line says so).
"""

import logging

logger = logging.getLogger("pyNN.tinysim.spinnaker")


class Splitter:
    """A partitioner hint: kept, with its arguments, and otherwise ignored."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        logger.debug("%s(%s): partitioner hint, no cores to split into here (ignored)",
                     type(self).__name__,
                     ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]))

    def __repr__(self):
        return f"{type(self).__name__}(no-op in pyNN.tinysim.spinnaker)"


def _splitter(name):
    return type(name, (Splitter,), {"__module__": __name__,
                                    "__doc__": f"{name}: a partitioner hint, a no-op here."})


#: pacman.model.partitioner_splitters
PACMAN_SPLITTERS = ("AbstractSplitterCommon", "SplitterFixedLegacy", "SplitterOneToOneLegacy",
                    "SplitterOneAppOneMachine", "SplitterExternalDevice")
#: spynnaker.pyNN.extra_algorithms.splitter_components
SPYNNAKER_SPLITTERS = ("SplitterPopulationVertex", "SplitterPopulationVertexFixed",
                       "SplitterPopulationVertexNeuronsSynapses", "SplitterPoissonDelegate",
                       "SplitterDelayVertexSlice", "AbstractSpynnakerSplitterDelay",
                       "AbstractSupportsOneToOneSDRAMInput")

for _name in PACMAN_SPLITTERS + SPYNNAKER_SPLITTERS:
    globals()[_name] = _splitter(_name)
del _name


def spynnaker_splitter_selector():
    """sPyNNaker's pass that picks splitters: nothing to pick here."""
    logger.debug("spynnaker_splitter_selector(): no cores here (ignored)")
