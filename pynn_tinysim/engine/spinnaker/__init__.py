"""sPyNNaker's semantics on the engine (the ``pyNN.tinysim.spinnaker`` flavour's engine side).

No PyNN import here either. A flavour neuron group is composed as sPyNNaker
composes its C neuron implementation (``neuron_impl_standard.h``), from one
component of each kind (:mod:`.component` is their base):

- :mod:`.neuron_models`: the membrane update of a tick (LIF, truncated IF, Izhikevich);
- :mod:`.synapse_types`: each receptor's input over time (exponential, dual
  exponential, alpha, delta); the synapse type fixes the receptors;
- :mod:`.input_types`: synaptic value -> current (current, conductance, delta);
- :mod:`.thresholds`: who spikes (static, Izhikevich's 30 mV, fixed probability);
- :mod:`.groups`: the groups the front's cell types name (``LIFCurrExp``...), each
  a :class:`~.groups.SpiNNakerNeuronGroup` naming its four components;

and besides:

- :mod:`.sources`: SpikeSourceArray and SpikeSourcePoisson(Variable) as sPyNNaker
  generates them;
- :mod:`.plasticity`: sPyNNaker 7.4's STDP rules;
- :mod:`.fixed_point`: the board's s16.15 / u0.32 arithmetic, and one vocabulary
  (``FixedArith``/``FloatArith``) in which every update rule is written once.
"""
