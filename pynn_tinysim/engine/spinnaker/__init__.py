"""sPyNNaker's semantics on the engine (the ``pyNN.tinysim.spinnaker`` flavour's engine side).

No PyNN import here either. The pieces, composed as sPyNNaker composes its C
neuron implementation (``neuron_impl_standard.h``: neuron model, synapse type,
input type, threshold type):

- :mod:`.fixed_point`: the board's s16.15 / u0.32 arithmetic, and one vocabulary
  (``FixedArith``/``FloatArith``) in which every update rule is written once.
"""
