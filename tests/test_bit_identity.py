"""Refactors change no result: small reference networks give bit-identical output.

Each network of ``tests/data/make_regression_fixtures.py`` (VA CUBA, VA COBA with its
Poisson kick, the seed-004 Izhikevich network, STDP beside Tsodyks-Markram, and the
seed-004 notebook on pyNN.tinysim.spinnaker) is run again and every spike time, every
recorded v sample and (for STDP) every learned weight must equal the stored fixture
exactly: not approximately, since a refactor that reorders a sum is a change of result.
"""

import importlib.util
import pathlib

import numpy as np
import pytest

DATA = pathlib.Path(__file__).resolve().parent / "data"


def _fixtures_module():
    spec = importlib.util.spec_from_file_location(
        "make_regression_fixtures", DATA / "make_regression_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURES = _fixtures_module()


@pytest.mark.parametrize("name", sorted(FIXTURES.NETWORKS))
def test_network_output_is_bit_identical(name):
    expected = dict(np.load(DATA / f"regression_{name}.npz"))
    got = FIXTURES.run_network(name)
    assert sorted(got) == sorted(expected)
    for key, want in expected.items():
        have = np.asarray(got[key])
        assert have.shape == want.shape, f"{name}: {key} has shape {have.shape}, not {want.shape}"
        assert have.dtype.kind == want.dtype.kind
        differ = np.flatnonzero(have.ravel() != want.ravel())
        assert differ.size == 0, (
            f"{name}: {key} differs at {differ.size} places, first at flat index {differ[0]}: "
            f"{have.ravel()[differ[0]]!r} != {want.ravel()[differ[0]]!r}")


def test_fixtures_are_not_empty():
    """The networks must be active, or equality would prove little."""
    for name in FIXTURES.NETWORKS:
        data = np.load(DATA / f"regression_{name}.npz")
        spikes = sum(data[k].size for k in data if k.endswith("_spike_time"))
        assert spikes > 500, name
        assert any(k.endswith("_v") for k in data), name
