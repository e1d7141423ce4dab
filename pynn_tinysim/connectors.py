"""Vectorized building of the most used connectors.

PyNN's generic connectors call ``Projection._convergent_connect`` once per
postsynaptic cell, which is correct for every connector but costs Python time
per cell. For AllToAll, OneToOne and FixedProbability -- the bulk of real
models -- :func:`fast_connect` builds all connections with a few array
operations instead. Any other connector (or option, such as
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
    projection._add_connections(pre, post, values["weight"], values["delay"])
