"""The connector registry: one entry describes a connector to building and to the memory estimate."""

import numpy as np
import pytest
from pyNN import connectors as pynn_connectors

import pyNN.tinysim as sim
from pynn_tinysim import connectors, memory


class DiagonalConnector(pynn_connectors.Connector):
    """Cell i to cell i and i + 1 (a PyNN connector tinysim knows only through the registry)."""

    def connect(self, projection):
        raise AssertionError("the registry's builder should have been used")


def _diagonal_pairs(connector, projection):
    n = min(projection.pre.size, projection.post.size)
    pre = np.concatenate([np.arange(n), np.arange(n - 1)])
    post = np.concatenate([np.arange(n), np.arange(1, n)])
    connectors.connect_pairs(connector, projection, pre, post)


@pytest.fixture
def registered():
    connectors.register(DiagonalConnector, _diagonal_pairs,
                        expected=lambda c, n_pre, n_post: 2 * min(n_pre, n_post) - 1)
    sim.setup(timestep=0.1)
    yield
    del connectors.REGISTRY[DiagonalConnector]
    sim.end()


def test_registered_connector_builds_and_is_estimated(registered, monkeypatch):
    cells = sim.Population(5, sim.IF_curr_exp())
    prj = sim.Projection(cells, cells, DiagonalConnector(), sim.StaticSynapse(weight=0.5))
    assert sorted(prj.get("weight", format="list")) == sorted(
        [(i, i, 0.5) for i in range(5)] + [(i, i + 1, 0.5) for i in range(4)])
    assert memory.expected_connections(DiagonalConnector(), 5, 5) == 9
    # the same entry drives the memory check: too little memory for 9 synapses
    monkeypatch.setattr(memory, "available_memory", lambda: 9 * memory.BYTES_PER_SYNAPSE - 1)
    with pytest.raises(memory.InsufficientMemoryError):
        sim.Projection(cells, cells, DiagonalConnector(), sim.StaticSynapse(weight=0.5))


def test_every_vectorized_connector_has_an_estimate_or_says_none():
    for connector_class, entry in connectors.REGISTRY.items():
        assert callable(entry.build) and callable(entry.supported) and callable(entry.expected)
    assert connectors.expected_connections(sim.AllToAllConnector(), 3, 4) == 12
    assert connectors.expected_connections(sim.FixedProbabilityConnector(0.5), 10, 10) == 50
    assert connectors.expected_connections(sim.FromListConnector([]), 3, 4) is None
