"""Standard current sources of pyNN.tinysim: DCSource, ACSource, StepCurrentSource,
NoisyCurrentSource.

Each wraps an engine source (:mod:`pynn_tinysim.engine.currents`, where the
timing is documented: pyNN.nest's on-grid semantics). Parameters are PyNN's
names and units (nA, ms, Hz, degrees), checked when set; they can be changed
between runs (``source.amplitude = 0.5`` or ``source.set_parameters(...)``) and
act from the current time step. Reading a parameter (``source.amplitude``)
gives its plain value. ``record()`` then ``get_data()`` give the injected
current as a neo AnalogSignal sampled every time step from t = 0, as pyNN.nest
gives it (the value at t is the current during the step starting at t).
"""

import numpy as np

from pyNN import errors
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import electrodes, StandardCurrentSource

from .. import simulator
from . import identity_translations
from ..engine import currents




class _TinysimCurrentSource(StandardCurrentSource):
    """Base class: a PyNN current source backed by an engine current source."""

    engine_class = None

    def __init__(self, **parameters):
        network = simulator.state.require_setup()
        unknown = [name for name in parameters if not self.has_parameter(name)]
        if unknown:
            raise errors.NonExistentParameterError(
                unknown[0], self.__class__.__name__, self.get_parameter_names())
        values = dict(self.default_parameters)
        values.update(parameters)
        self._values = self._checked(values)
        self._engine = self.engine_class(network, self._engine_parameters(self._values))

    # --- parameters ---------------------------------------------------------------

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name != "set" and self.has_parameter(name):
            value = self._values[name]
            return value.copy() if isinstance(value, np.ndarray) else value
        return super().__getattr__(name)

    def set_parameters(self, copy=True, **parameters):
        """Set parameters (PyNN names and units); they act from the current time step."""
        unknown = [name for name in parameters if not self.has_parameter(name)]
        if unknown:
            raise errors.NonExistentParameterError(
                unknown[0], self.__class__.__name__, self.get_parameter_names())
        values = dict(self._values)
        values.update(parameters)
        values = self._checked(values)   # all checked before anything changes
        self._values = values
        self._engine.set_parameters(**self._engine_parameters(values))

    def get_native_parameters(self):
        return ParameterSpace({name: (Sequence(v) if isinstance(v, np.ndarray) else v)
                               for name, v in self._values.items()}, shape=(1,))

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        self.set_parameters(**{name: value for name, value in parameters.items()})

    def _checked(self, values):
        """Validated copies of all parameter values (floats; arrays for sequences)."""
        name = self.__class__.__name__
        out = {}
        for key, value in values.items():
            if isinstance(value, Sequence):
                value = value.value
            if key in ("times", "amplitudes"):
                try:
                    array = np.array(value, dtype=float).ravel()
                except (TypeError, ValueError):
                    raise errors.InvalidParameterValueError(
                        f"{name}: {key} must be a sequence of numbers, not {value!r}") from None
                if not np.isfinite(array).all():
                    raise errors.InvalidParameterValueError(
                        f"{name}: {key} must be finite, got {value!r}")
                out[key] = array
                continue
            try:
                number = float(np.asarray(value, dtype=float).reshape(-1)[0]) \
                    if np.size(value) == 1 else None
            except (TypeError, ValueError):
                number = None
            if number is None or not np.isfinite(number):
                raise errors.InvalidParameterValueError(
                    f"{name}: {key} must be a finite number, not {value!r}")
            if key in ("start", "stop", "stdev", "frequency") and number < 0:
                raise errors.InvalidParameterValueError(
                    f"{name}: invalid value {key}={number!r} (must be >= 0)")
            out[key] = number
        if "start" in out and "stop" in out and out["stop"] < out["start"]:
            # NEST refuses it too ("stop >= start required."); it would inject nothing
            raise errors.InvalidParameterValueError(
                f"{name}: stop={out['stop']!r} ms is before start={out['start']!r} ms "
                "(stop >= start required)")
        self._check_more(out)
        return out

    def _check_more(self, values):
        pass

    def _engine_parameters(self, values):
        return values

    # --- injection ----------------------------------------------------------------

    def inject_into(self, cells):
        """Inject this current into a Population, PopulationView, Assembly or list of IDs."""
        from ..populations import Assembly
        if isinstance(cells, Assembly):
            parts = [(p, None) for p in cells.populations]
        elif hasattr(cells, "_group_indices") and hasattr(cells, "celltype"):
            parts = [(cells, None)]
        else:
            ids = list(cells) if np.iterable(cells) else [cells]
            by_parent = {}
            for cell in ids:
                parent = getattr(cell, "parent", None)
                if parent is None or not hasattr(parent, "_group_indices"):
                    raise TypeError(f"inject_into(): {cell!r} is not a pyNN.tinysim cell ID")
                by_parent.setdefault(id(parent), (parent, []))[1].append(int(cell))
            parts = list(by_parent.values())
        for cells_part, _ in parts:
            if not cells_part.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
        for cells_part, ids in parts:
            group = cells_part._group
            if ids is None:
                positions = np.arange(cells_part.size)
            else:
                positions = np.atleast_1d(np.asarray(
                    cells_part.id_to_index(np.asarray(ids, np.int64)), np.int64))
            # under MPI this rank's group holds some of the cells only: those get the
            # current (a noise source still draws for all, see engine/currents.py)
            held = cells_part._held()
            which = np.arange(positions.size) if held is None else \
                np.flatnonzero(np.isin(positions, held))
            local = cells_part._to_group(positions[which])
            self._engine.add_targets(group, np.atleast_1d(local), positions.size, which)

    # --- recording ----------------------------------------------------------------

    def record(self):
        """Record the injected current (see get_data())."""
        self._engine.record()

    def _get_data(self):
        state = simulator.state
        n = state.network.step_count
        values = self._engine.recorded(n, state.dt)
        return np.arange(n + 1) * state.dt, values


class DCSource(_TinysimCurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = identity_translations(*electrodes.DCSource.default_parameters)
    engine_class = currents.DCCurrent


class ACSource(_TinysimCurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = identity_translations(*electrodes.ACSource.default_parameters)
    engine_class = currents.ACCurrent


class StepCurrentSource(_TinysimCurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = identity_translations(*electrodes.StepCurrentSource.default_parameters)
    engine_class = currents.StepCurrent

    def _check_more(self, values):
        times, amplitudes = values["times"], values["amplitudes"]
        if times.size != amplitudes.size:
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource: times ({times.size} values) and amplitudes "
                f"({amplitudes.size} values) must have the same length")
        if times.size and times.min() < 0:
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource: times must be >= 0 ms, got {times.min()!r}")
        if times.size > 1 and np.min(np.diff(times)) <= 0:
            raise errors.InvalidParameterValueError(
                "StepCurrentSource: times must be strictly increasing, got "
                f"{times.tolist()!r}")

        # times are rounded to the grid; of several in one time step the last amplitude
        # wins; these are the values read back (as in pyNN.nest, .neuron and .brian2)
        dt = simulator.state.dt
        steps = currents.grid_step(times, dt)
        last = np.append(steps[1:] != steps[:-1], True) if steps.size else np.zeros(0, bool)
        values["times"] = steps[last] * dt
        values["amplitudes"] = amplitudes[last]


class NoisyCurrentSource(_TinysimCurrentSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__ + """
    pyNN.tinysim: the values are drawn from the simulator's own streams (seeded by
    setup(rng_seed=...)), independently for each target cell as in NEST; an ``rng``
    argument is accepted and not used.
    """
    translations = identity_translations(*electrodes.NoisyCurrentSource.default_parameters)
    engine_class = currents.NoisyCurrent

    def __init__(self, rng=None, **parameters):
        super().__init__(**parameters)

    def _check_more(self, values):
        dt = simulator.state.dt
        n = values["dt"] / dt
        if values["dt"] <= 0 or n < 1 - 1e-9 or abs(n - round(n)) > 1e-6 * max(1.0, n):
            raise errors.InvalidParameterValueError(
                f"NoisyCurrentSource: dt={values['dt']!r} ms must be a whole multiple of "
                f"the simulation time step ({dt} ms)")
