"""Vectorized building of the most used connectors.

PyNN's generic connectors call ``Projection._convergent_connect`` once per
postsynaptic cell, which is correct for every connector but costs Python time
per cell. For AllToAll, OneToOne and FixedProbability -- the bulk of real
models -- :func:`fast_connect` builds all connections with a few array
operations instead. SmallWorldConnector, which PyNN itself leaves
unimplemented, is built here too (see :func:`_small_world_pairs`). Any other connector (or option, such as
``allow_self_connections='NoMutual'``) falls back to PyNN's generic code.

FixedProbability draws exactly the random numbers PyNN's generic code draws,
in the same order: one uniform number per (pre, post) pair, column by column
(postsynaptic cell by cell), from a copy of the connector's RNG (PyNN's lazy
arrays deep-copy it, so the connector's RNG itself is not advanced). So for a
given NumpyRNG seed, pyNN.tinysim builds the very same connections as pyNN.nest
and pyNN.brian2, and a cross-simulator comparison compares the same network.
The draws go by blocks of columns, which bounds memory for large projections.
"""

from copy import deepcopy

import numpy as np

from pyNN import connectors, errors
from pyNN.random import NumpyRNG

_DRAWS_PER_BLOCK = 1 << 21  # uniform numbers drawn at once: bounds memory


def fast_connect(connector, projection):
    """Connect ``projection`` with a vectorized implementation; False if there is none."""
    kind = type(connector)
    if getattr(connector, "location_selector", None) is not None:
        return False
    if kind is connectors.AllToAllConnector and isinstance(connector.allow_self_connections,
                                                          bool):
        pre, post = _all_pairs(projection.pre.size, projection.post.size)
    elif kind is connectors.OneToOneConnector:
        if projection.pre.size != projection.post.size:
            raise errors.InvalidDimensionsError(
                "OneToOneConnector does not support presynaptic and postsynaptic Populations "
                f"of different sizes ({projection.pre.size} and {projection.post.size})")
        pre = post = np.arange(projection.pre.size)
    elif (kind is connectors.FixedProbabilityConnector
          and isinstance(connector.allow_self_connections, bool)
          and isinstance(connector.rng, NumpyRNG)):
        pre, post = _bernoulli_pairs(connector.rng, projection.pre.size, projection.post.size,
                                     connector.p_connect)
    elif (kind is connectors.SmallWorldConnector
          and isinstance(connector.allow_self_connections, bool)):
        pre, post = _small_world_pairs(connector, projection)
    else:
        return False
    if not getattr(connector, "allow_self_connections", True):
        keep = projection._pre_ids[pre] != projection._post_ids[post]
        pre, post = pre[keep], post[keep]
    _connect_pairs(connector, projection, pre, post)
    return True


def _all_pairs(n_pre, n_post):
    """Every (pre, post) pair, column by column as PyNN's generic code orders them."""
    return np.tile(np.arange(n_pre), n_post), np.repeat(np.arange(n_post), n_pre)


def _bernoulli_pairs(rng, n_pre, n_post, p):
    """(pre, post) index arrays of pairs with uniform draw < p, in PyNN's draw order.

    PyNN draws an (n_pre x n_post) matrix of uniforms column by column from a
    copy of ``rng``; we draw the same numbers in blocks of whole columns.
    """
    numpy_rng = deepcopy(rng).rng
    cols_per_block = max(1, _DRAWS_PER_BLOCK // max(n_pre, 1))
    pres, posts = [], []
    for first_col in range(0, n_post, cols_per_block):
        n_cols = min(cols_per_block, n_post - first_col)
        uniform = numpy_rng.uniform(0.0, 1.0, size=n_cols * n_pre).reshape(n_cols, n_pre)
        col, pre = np.nonzero(uniform < p)
        pres.append(pre)
        posts.append(col + first_col)
    if not pres:
        empty = np.zeros(0, np.int64)
        return empty, empty
    return np.concatenate(pres), np.concatenate(posts)


def _small_world_pairs(connector, projection):
    """Watts-Strogatz style small world: local connections, each rewired with a probability.

    Every pair closer than ``degree`` (in the projection's Space) is connected;
    with ``n_connections`` given, each presynaptic cell is instead connected to
    its ``n_connections`` nearest cells (ties broken by index). Then each
    connection, with probability ``rewiring``, gets a new postsynaptic cell drawn
    uniformly (never the presynaptic cell itself when self-connections are not
    allowed). Random numbers come from the connector's RNG.
    """
    rng = connector.rng
    n_pre, n_post = projection.pre.size, projection.post.size
    distances = np.asarray(connector._generate_distance_map(projection).evaluate(), float)
    distances = distances.reshape(n_pre, n_post)
    if not connector.allow_self_connections:
        same = projection._pre_ids[:, None] == projection._post_ids[None, :]
        distances = np.where(same, np.inf, distances)
    if connector.n_connections is None:
        pre, post = np.nonzero(distances < float(connector.d_expression.split("<")[1]))
    else:
        n = int(connector.n_connections)
        if n > np.isfinite(distances).sum(axis=1).min():
            raise errors.ConnectionError(
                f"SmallWorldConnector: n_connections={n} is more than the cells available")
        nearest = np.argsort(distances, axis=1, kind="stable")[:, :n]
        pre, post = np.repeat(np.arange(n_pre), n), nearest.ravel()
    if connector.rewiring > 0 and pre.size:
        rewire = np.asarray(rng.next(pre.size, "uniform", {"low": 0.0, "high": 1.0})) \
            < connector.rewiring
        n_new = int(rewire.sum())
        if n_new:
            new_post = np.asarray(rng.next(n_new, "uniform", {"low": 0.0, "high": 1.0}))
            new_post = np.minimum((new_post * n_post).astype(np.int64), n_post - 1)
            if not connector.allow_self_connections:
                # draw among the n_post - 1 cells other than the presynaptic one
                self_post = _indices_of_ids(projection._post_ids, projection._pre_ids[pre[rewire]])
                new_post = np.minimum((new_post * (n_post - 1) // n_post), n_post - 2)
                has_self = self_post >= 0
                new_post[has_self & (new_post >= self_post)] += 1
            post = post.copy()
            post[rewire] = new_post
    order = np.lexsort((pre, post))
    return pre[order], post[order]


def _indices_of_ids(all_ids, ids):
    """Position of each id in ``all_ids``, -1 where absent."""
    order = np.argsort(all_ids, kind="stable")
    pos = np.clip(np.searchsorted(all_ids, ids, sorter=order), 0, max(all_ids.size - 1, 0))
    found = all_ids[order[pos]] == ids
    return np.where(found, order[pos], -1)


def _connect_pairs(connector, projection, pre, post):
    """Evaluate weights and delays for the given pairs, check them, add the connections."""
    from .projections import _evaluate_per_connection
    parameter_space = connector._parameters_from_synapse_type(projection)
    values = {}
    for name, lazy_value in parameter_space.items():
        values[name] = _evaluate_per_connection(lazy_value, pre, post)
    if connector.safe:
        for name, check in projection.synapse_type.parameter_checks.items():
            if name in values:
                check(values[name], projection)
    weights, delays = values.pop("weight"), values.pop("delay")
    projection._add_connections(pre, post, weights, delays, **values)
