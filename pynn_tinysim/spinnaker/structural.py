"""sPyNNaker's structural plasticity classes, simulated (``pyNN.tinysim.spinnaker`` names them as sPyNNaker does).

``StructuralMechanismStatic`` and ``StructuralMechanismSTDP`` with
``RandomSelection`` or ``LastNeuronSelection`` (partner selection),
``DistanceDependentFormation`` and ``RandomByWeightElimination``, with
sPyNNaker 7.4's signatures and defaults. A Projection using one gets a
:class:`~pynn_tinysim.engine.spinnaker.structural.StructuralSynapses` block:
synapses form and disappear during the run at sPyNNaker's rate and with its
rules (that module's docstring says how), and ``Projection.get`` reads the
connections present when it is called, as on the board. The connector's
connections are the initial ones (at most ``s_max`` onto one neuron).
"""

import logging

import numpy as np

from pyNN import errors
from pyNN.standardmodels import build_translations
from pyNN.standardmodels import synapses as pynn_synapses

from .. import simulator as core_simulator
from ..engine.spinnaker import structural as engine
from .synapses import STDPMechanism

logger = logging.getLogger("pyNN.tinysim.spinnaker")

#: sPyNNaker's defaults (synapse_dynamics_structural_common.py)
DEFAULT_F_REW = 10 ** 4.0
DEFAULT_INITIAL_WEIGHT = 0.0
DEFAULT_INITIAL_DELAY = 1.0
DEFAULT_S_MAX = 32


class RandomSelection:
    """sPyNNaker's RandomSelection: a random structural source, then a random neuron of it."""

    def get_parameter_names(self):
        return ()

    def __repr__(self):
        return "RandomSelection()"


class LastNeuronSelection:
    """sPyNNaker's LastNeuronSelection(spike_buffer_size=64): one of the last step's spikes.

    The spikes of the previous time step of the structural sources into the
    target, the first ``spike_buffer_size`` of them (by source and index; on the
    board, in arrival order, and the spikes of other sources into the same core
    also take room in the buffer).
    """

    def __init__(self, spike_buffer_size=64):
        self.spike_buffer_size = _positive_int("spike_buffer_size", spike_buffer_size)

    def get_parameter_names(self):
        return ("spike_buffer_size",)

    def __repr__(self):
        return f"LastNeuronSelection(spike_buffer_size={self.spike_buffer_size})"


class DistanceDependentFormation:
    """sPyNNaker's DistanceDependentFormation(grid=(16, 16), p_form_forward=0.16,
    sigma_form_forward=2.5, p_form_lateral=1.0, sigma_form_lateral=1.0).

    Formation probability from a look-up table indexed by the squared distance
    between the two neurons on a ``grid`` (periodic); the lateral table is used
    when source and target are the same Population.
    """

    def __init__(self, grid=(16, 16), p_form_forward=0.16, sigma_form_forward=2.5,
                 p_form_lateral=1.0, sigma_form_lateral=1.0):
        grid = np.asarray(grid, dtype=int).ravel()
        if grid.size != 2 or (grid < 1).any():
            raise ValueError(f"grid must be two positive sizes (x, y), got {grid.tolist()!r}")
        for name, value in (("p_form_forward", p_form_forward),
                            ("p_form_lateral", p_form_lateral)):
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
        for name, value in (("sigma_form_forward", sigma_form_forward),
                            ("sigma_form_lateral", sigma_form_lateral)):
            if not float(value) > 0.0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
        self.grid = grid
        self.p_form_forward = float(p_form_forward)
        self.sigma_form_forward = float(sigma_form_forward)
        self.p_form_lateral = float(p_form_lateral)
        self.sigma_form_lateral = float(sigma_form_lateral)
        self.ff_distance_probabilities = engine.distance_probability_table(
            grid, self.p_form_forward, self.sigma_form_forward)
        self.lat_distance_probabilities = engine.distance_probability_table(
            grid, self.p_form_lateral, self.sigma_form_lateral)

    def get_parameter_names(self):
        return ("grid", "p_form_forward", "sigma_form_forward", "p_form_lateral",
                "sigma_form_lateral")

    def __repr__(self):
        return (f"DistanceDependentFormation(grid={self.grid.tolist()}, "
                f"p_form_forward={self.p_form_forward}, "
                f"sigma_form_forward={self.sigma_form_forward}, "
                f"p_form_lateral={self.p_form_lateral}, "
                f"sigma_form_lateral={self.sigma_form_lateral})")


class RandomByWeightElimination:
    """sPyNNaker's RandomByWeightElimination(threshold, prob_elim_depressed=0.0245,
    prob_elim_potentiated=1.36e-4): a synapse whose weight is below ``threshold``
    goes with probability prob_elim_depressed, any other with prob_elim_potentiated.
    """

    def __init__(self, threshold, prob_elim_depressed=0.0245, prob_elim_potentiated=1.36e-4):
        for name, value in (("prob_elim_depressed", prob_elim_depressed),
                            ("prob_elim_potentiated", prob_elim_potentiated)):
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
        self.threshold = float(threshold)
        self.prob_elim_depressed = float(prob_elim_depressed)
        self.prob_elim_potentiated = float(prob_elim_potentiated)

    def get_parameter_names(self):
        return ("prob_elim_depressed", "prob_elim_potentiated", "threshold")

    def __repr__(self):
        return (f"RandomByWeightElimination(threshold={self.threshold}, "
                f"prob_elim_depressed={self.prob_elim_depressed}, "
                f"prob_elim_potentiated={self.prob_elim_potentiated})")


def _positive_int(name, value):
    if int(value) != value or int(value) < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


class _Structural:
    """What both mechanisms share: the rules and their parameters."""

    def _init_structure(self, partner_selection, formation, elimination, f_rew,
                        initial_weight, initial_delay, s_max, with_replacement, seed):
        if not isinstance(partner_selection, (RandomSelection, LastNeuronSelection)):
            raise TypeError("partner_selection must be RandomSelection() or "
                            f"LastNeuronSelection(), got {partner_selection!r}")
        if not isinstance(formation, DistanceDependentFormation):
            raise TypeError(f"formation must be DistanceDependentFormation(...), got {formation!r}")
        if not isinstance(elimination, RandomByWeightElimination):
            raise TypeError(
                f"elimination must be RandomByWeightElimination(...), got {elimination!r}")
        if not float(f_rew) > 0:
            raise ValueError(f"f_rew must be > 0 Hz, got {f_rew!r}")
        if isinstance(initial_delay, (tuple, list)):
            if len(initial_delay) != 2 or float(initial_delay[0]) > float(initial_delay[1]):
                raise ValueError(f"initial_delay must be a delay or a (low, high) pair, "
                                 f"got {initial_delay!r}")
            initial_delay = (float(initial_delay[0]), float(initial_delay[1]))
        elif not float(initial_delay) > 0:
            raise ValueError(f"initial_delay must be > 0 ms, got {initial_delay!r}")
        self.partner_selection = partner_selection
        self.formation = formation
        self.elimination = elimination
        self.f_rew = float(f_rew)
        self.initial_weight = float(initial_weight)
        self.initial_delay = initial_delay
        self.s_max = _positive_int("s_max", s_max)
        self.with_replacement = bool(with_replacement)
        self.seed = seed

    @property
    def p_rew(self):
        """The rewiring period (s), as sPyNNaker names it."""
        return 1.0 / self.f_rew

    def structural_rules(self, dt):
        """The engine's :class:`Rules` for a time step ``dt`` (ms)."""
        delay = self.initial_delay
        low, high = (delay if isinstance(delay, tuple) else (delay, delay))
        # sPyNNaker writes int(delay * steps per ms) (16-bit words)
        lo, hi = max(int(low / dt), 1), max(int(high / dt), 1)
        partner = self.partner_selection
        form, elim = self.formation, self.elimination
        return engine.Rules(
            "last_neuron" if isinstance(partner, LastNeuronSelection) else "random",
            form.grid, form.ff_distance_probabilities, form.lat_distance_probabilities,
            elim.prob_elim_depressed, elim.prob_elim_potentiated, elim.threshold,
            self.f_rew, self.s_max, self.with_replacement, abs(self.initial_weight), lo, hi,
            seed=self.seed, spike_buffer_size=getattr(partner, "spike_buffer_size", 64))

    def get_structural_parameter_names(self):
        names = ["initial_weight", "initial_delay", "f_rew", "p_rew", "s_max",
                 "with_replacement"]
        for rule in (self.partner_selection, self.formation, self.elimination):
            names.extend(rule.get_parameter_names())
        return names


def _minimum_delay(self):
    return core_simulator.state.min_delay


class StructuralMechanismStatic(_Structural, pynn_synapses.StaticSynapse):
    """sPyNNaker's StructuralMechanismStatic: rewiring with static weights.

    ``StructuralMechanismStatic(partner_selection, formation, elimination,
    f_rew=10000.0, initial_weight=0.0, initial_delay=1.0, s_max=32,
    with_replacement=True, seed=None, weight=0.0, delay=None)``; ``weight`` and
    ``delay`` are those of the connector's (initial) connections.
    """

    translations = build_translations(("weight", "weight"), ("delay", "delay"))
    _get_minimum_delay = _minimum_delay

    def __init__(self, partner_selection, formation, elimination, f_rew=DEFAULT_F_REW,
                 initial_weight=DEFAULT_INITIAL_WEIGHT, initial_delay=DEFAULT_INITIAL_DELAY,
                 s_max=DEFAULT_S_MAX, with_replacement=True, seed=None, weight=0.0,
                 delay=None):
        self._init_structure(partner_selection, formation, elimination, f_rew,
                             initial_weight, initial_delay, s_max, with_replacement, seed)
        super().__init__(weight=weight, delay=delay)

    @property
    def engine_model(self):
        return engine.structural_model(None)


class StructuralMechanismSTDP(_Structural, STDPMechanism):
    """sPyNNaker's StructuralMechanismSTDP: rewiring of synapses that learn by STDP.

    ``StructuralMechanismSTDP(partner_selection, formation, elimination,
    timing_dependence, weight_dependence, voltage_dependence=None,
    dendritic_delay_fraction=1.0, f_rew=10000.0, initial_weight=0.0,
    initial_delay=1.0, s_max=32, with_replacement=True, seed=None, weight=0.0,
    delay=None, backprop_delay=True)``. The rule is the one STDPMechanism
    simulates for the timing and weight dependence (pair-trace rules).
    """

    def __init__(self, partner_selection, formation, elimination, timing_dependence,
                 weight_dependence, voltage_dependence=None, dendritic_delay_fraction=1.0,
                 f_rew=DEFAULT_F_REW, initial_weight=DEFAULT_INITIAL_WEIGHT,
                 initial_delay=DEFAULT_INITIAL_DELAY, s_max=DEFAULT_S_MAX,
                 with_replacement=True, seed=None, weight=0.0, delay=None,
                 backprop_delay=True):
        self._init_structure(partner_selection, formation, elimination, f_rew,
                             initial_weight, initial_delay, s_max, with_replacement, seed)
        super().__init__(timing_dependence=timing_dependence,
                         weight_dependence=weight_dependence,
                         voltage_dependence=voltage_dependence,
                         dendritic_delay_fraction=dendritic_delay_fraction,
                         weight=weight, delay=delay, backprop_delay=backprop_delay)

    @property
    def engine_model(self):
        inner = STDPMechanism.engine_model.fget(self)
        if inner is None:
            return None
        from ..engine.plasticity import PairTraceRule
        if not issubclass(inner, PairTraceRule):     # pragma: no cover - every rule is one
            return None
        return engine.structural_model(inner)

    @engine_model.setter
    def engine_model(self, value):
        self.__dict__["engine_model"] = value


def is_structural(synapse_type):
    return isinstance(synapse_type, _Structural)


def configure_projection(projection):
    """Give a structural Projection's block its rules, sources and targets (after connecting)."""
    synapse_type = projection.synapse_type
    block = projection._block
    dt = core_simulator.state.dt
    rules = synapse_type.structural_rules(dt)
    pre_pop = getattr(projection.pre, "grandparent", projection.pre)
    post_pop = getattr(projection.post, "grandparent", projection.post)
    block.consolidate()
    post_counts = np.bincount(
        np.searchsorted(np.sort(projection._post_ids), block.post), minlength=1)
    if post_counts.size and post_counts.max() > rules.s_max:
        raise errors.ConnectionError(
            "Too many initial connections per incoming neuron: "
            f"{int(post_counts.max())} onto one neuron of {projection.post.label!r}, "
            f"s_max={rules.s_max} (sPyNNaker: the connector's connections are the initial "
            "ones of the structural projection)")
    rule_params = {name: projection._default_of(name) for name in block.parameter_names}
    block.configure(rules, projection._pre_ids, projection._post_ids,
                    lateral=pre_pop is post_pop, rule_params=rule_params)
