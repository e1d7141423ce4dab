"""Example for docs/ARCHITECTURE.md, file 2 of 2: the PyNN standard model of a new cell type.

In the package this class would go into ``pynn_tinysim/standardmodels/cells.py``
(which ``pyNN.tinysim`` exports as a whole, so ``sim.PIF_delta`` would exist). The
PyNN names, defaults and units are declared here; ``engine_model`` names the
engine class (file 1); translations are the identity, since the engine works in
PyNN's units.
"""

from pyNN.standardmodels import StandardCellType

from pynn_tinysim.standardmodels import identity_translations

from engine_pif import PerfectIntegrator


class PIF_delta(StandardCellType):
    """Perfect integrate-and-fire neuron with delta-current synapses (weights in mV)."""

    default_parameters = {"cm": 1.0, "i_offset": 0.0, "v_thresh": 10.0, "v_reset": 0.0}
    default_initial_values = {"v": 0.0}
    recordable = ["spikes", "v"]
    units = {"v": "mV"}
    receptor_types = ("excitatory", "inhibitory")
    conductance_based = False
    translations = identity_translations(*default_parameters)
    engine_model = PerfectIntegrator
