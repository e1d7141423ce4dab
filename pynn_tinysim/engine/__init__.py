"""PyNN-agnostic NumPy simulation engine.

Nothing in this package imports PyNN: it deals in arrays, integer time steps and
the units PyNN uses (ms, mV, nA, nF, uS, Hz). The PyNN front end in
:mod:`pynn_tinysim` translates populations and projections into calls on a
:class:`~pynn_tinysim.engine.network.Network`.

The pieces:

- :mod:`.network`: the clock, the registry of neuron groups, the step loop;
- :mod:`.groups`: the struct-of-arrays base class every neuron model shares, with
  declared state (``state_names``, ``internal_state``) that it grows, resets and records;
- :mod:`.lif`, :mod:`.izhikevich`, :mod:`.sources`: the model families;
- :mod:`.adex`, :mod:`.hh`, :mod:`.adaptive`: nonlinear families (AdEx, Hodgkin-Huxley,
  gsfa_grr and GIF), integrated by RK4 with exact conductances (:mod:`.conductances`);
- :mod:`.multisynapse`: point neurons (LIF, AdExp) with any number of named receptors,
  one engine class per receptor signature (PyNN's PointNeuron);
- :mod:`.renewal_sources`: gamma, dead-time Poisson and inhomogeneous gamma sources;
- :mod:`.currents`: current sources and their injection into neuron groups;
- :mod:`.propagators`: closed-form propagators for exact integration;
- :mod:`.synapses`: static connectivity, one CSR by presynaptic neuron for the whole
  network (12 bytes a synapse), and spike delivery into the delay ring buffer; the
  two interfaces every synapse block shares, whether static or plastic:
  ``ProjectionSynapses`` (what a projection reads and writes) and ``Delivery`` (what
  the step loop calls, through one list);
- :mod:`.ring`: the ring buffer's row layout (where each neuron's input sits) and
  the synapse keys that point into it;
- :mod:`.plasticity`: synapses whose weights or transmission change (STDP,
  short-term plasticity, stochastic release), one object per projection;
- :mod:`.recorders`: preallocated recording of state variables and spikes;
- :mod:`.kernels`: the compiled engine: Numba versions of the hot loops (neuron steps,
  delivery), bit-identical to the NumPy code, and the choice of engine;
- :mod:`.stretch`: whole stretches of steps in one compiled call, for networks made
  only of parts with kernels; :mod:`.stretch_io`: the current sources' changes they
  apply and, under MPI, the spikes they hand to the exchange.
- :mod:`.spinnaker`: sPyNNaker's models, sources, plasticity rules and fixed-point
  arithmetic, for the ``pyNN.tinysim.spinnaker`` flavour.
"""

from .network import Network  # noqa: F401
