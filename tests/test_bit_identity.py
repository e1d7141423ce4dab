"""Refactors change no result: small reference networks give bit-identical output.

Each network of ``tests/data/make_regression_fixtures.py`` (VA CUBA, VA COBA with its
Poisson kick, the seed-004 Izhikevich network, STDP beside Tsodyks-Markram, and the
seed-004 notebook on pyNN.tinysim.spinnaker) is run again and every spike time, every
recorded v sample and (for STDP) every learned weight must equal the stored fixture
exactly: not approximately, since a refactor that reorders a sum is a change of result.
Three networks have one fixture per exp NumPy dispatches on the CPU
(``make_regression_fixtures.exp_dispatch``); both sets are checked on any machine.
"""

import importlib.util
import os
import pathlib
import subprocess
import sys

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


def assert_same_output(name, got, expected):
    """Every array of ``got`` equals the fixture's exactly."""
    assert sorted(got) == sorted(expected)
    for key, want in expected.items():
        have = np.asarray(got[key])
        assert have.shape == want.shape, f"{name}: {key} has shape {have.shape}, not {want.shape}"
        assert have.dtype.kind == want.dtype.kind
        differ = np.flatnonzero(have.ravel() != want.ravel())
        assert differ.size == 0, (
            f"{name}: {key} differs at {differ.size} places, first at flat index {differ[0]}: "
            f"{have.ravel()[differ[0]]!r} != {want.ravel()[differ[0]]!r}")


def load_fixture(name, dispatch=None):
    path = FIXTURES.fixture_path(name, dispatch)
    if not path.exists():
        pytest.fail(f"no fixture recorded for NumPy's {FIXTURES.exp_dispatch()!r} exp "
                    f"dispatch: {path.name} (see make_regression_fixtures.py)")
    return dict(np.load(path))


@pytest.mark.parametrize("name", sorted(FIXTURES.NETWORKS))
def test_network_output_is_bit_identical(name):
    assert_same_output(name, FIXTURES.run_network(name), load_fixture(name))


def test_c_library_exp_fixtures_hold_where_numpy_has_avx512(tmp_path):
    """The networks again, in a process whose NumPy is denied AVX-512, against the
    C library's fixtures: on an AVX-512 machine, this keeps the set that AVX2 machines
    (such as some CI hosts) use true; elsewhere it repeats the test above."""
    script = (
        "import sys, numpy as np\n"
        f"sys.path.insert(0, {str(DATA)!r})\n"
        "import make_regression_fixtures as f\n"
        "assert f.exp_dispatch() == 'libm', f.exp_dispatch()\n"
        "import os\n"
        "for engine in ('numpy', 'numba'):\n"
        "    os.environ['PYNN_TINYSIM_ENGINE'] = engine\n"
        "    for name in f.EXP_DEPENDENT:\n"
        "        np.savez(f'{sys.argv[1]}{engine}-{name}.npz', **f.run_network(name))\n")
    repo = str(DATA.parent.parent)
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=FIXTURES.AVX512_FEATURES,
               PYTHONPATH=os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])))
    prefix = str(tmp_path / "libm-")
    done = subprocess.run([sys.executable, "-c", script, prefix], env=env, cwd=repo,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for engine in ("numpy", "numba"):
        for name in FIXTURES.EXP_DEPENDENT:
            got_path = pathlib.Path(f"{prefix}{engine}-{name}.npz")
            got = dict(np.load(got_path))
            assert_same_output(f"{name} ({engine})", got, load_fixture(name, "libm"))


def test_fixtures_are_not_empty():
    """The networks must be active, or equality would prove little."""
    paths = [FIXTURES.fixture_path(name, dispatch) for name in FIXTURES.NETWORKS
             for dispatch in ("avx512_skx", "libm")]
    for path in set(paths):
        data = np.load(path)
        name = path.name
        spikes = sum(data[k].size for k in data if k.endswith("_spike_time"))
        assert spikes > 500, name
        assert any(k.endswith("_v") for k in data), name
