"""Kernels shipped precompiled (pynn_tinysim/engine/kernels/shipped.py, built by
kernels/precompile.py): a process whose own cache is empty loads them and compiles
nothing, with the same spikes as code compiled for its own CPU; where its CPU lacks the
portable target's features, or the directory has another stamp, it compiles as before."""

import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap

import pytest

from pynn_tinysim.engine.kernels import precompile, shipped

V3 = shipped.PORTABLE["x86_64"][1]


def test_portable_target_per_architecture():
    assert shipped.portable_target("x86_64") == ("x86-64-v3", "")
    assert shipped.portable_target("AMD64") == ("x86-64-v3", "")
    assert shipped.portable_target("aarch64") == ("generic", "")
    assert shipped.portable_target("riscv64") is None


def test_host_runs_portable_needs_every_feature_of_the_level():
    assert shipped.host_runs_portable(V3 | {"avx512f"}, machine="x86_64")
    assert not shipped.host_runs_portable(V3 - {"avx2"}, machine="x86_64")
    assert not shipped.host_runs_portable({"sse2", "cx16"}, machine="x86_64")
    assert shipped.host_runs_portable(set(), machine="arm64")
    assert not shipped.host_runs_portable(V3, machine="riscv64")


def test_directory_follows_the_environment(monkeypatch):
    monkeypatch.setenv(shipped.ENVIRONMENT, "/somewhere")
    assert shipped.directory() == "/somewhere"
    monkeypatch.delenv(shipped.ENVIRONMENT)
    assert shipped.directory().endswith(os.path.join("kernels", "precompiled"))


# a process running an IF_curr_exp network of the precompile tool (the variant argv[2];
# 0: what --quick compiles), counting Numba's compilations and the kernels the shipped
# directory answered (argv[1] "no-avx2": as on a CPU without the portable features)
_RUN = """
import json, sys
from numba.core import event
from pynn_tinysim.engine.kernels import precompile, shipped
if sys.argv[1] == "no-avx2":
    shipped._usable = (False, None)
compiled = []
class Listener(event.Listener):
    def on_start(self, e): compiled.append(e.data["dispatcher"].py_func.__name__)
    def on_end(self, e): pass
event.register("numba:compile", Listener())
answered = []
original = shipped.load_overload
def counting(*args):
    data = original(*args)
    if data is not None:
        answered.append(1)
    return data
shipped.load_overload = counting
precompile.run_network("IF_curr_exp", *precompile.VARIANTS[int(sys.argv[2])])
print(json.dumps({"compiled": compiled, "answered": len(answered)}))
"""

# a process printing the spike trains of that network (the variant argv[1])
_SPIKES = """
import json, sys
from pynn_tinysim.engine.kernels import precompile
block = precompile.run_network("IF_curr_exp", *precompile.VARIANTS[int(sys.argv[1])])
print(json.dumps([[float(t) for t in st] for st in block.segments[0].spiketrains]))
"""


def _env(tmp_path, cache, precompiled):
    return dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / cache),
                PYNN_TINYSIM_ENGINE="numba", **{shipped.ENVIRONMENT: str(precompiled)})


def _python(code, env, *args):
    result = subprocess.run([sys.executable, "-c", code, *args], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A directory the precompile tool filled (``--quick``: one network), beside a
    stale stamp's directory it must remove."""
    pytest.importorskip("numba")
    if not shipped.host_runs_portable():
        pytest.skip("this CPU lacks the portable target's features")
    out = tmp_path_factory.mktemp("precompiled")
    (out / "tinysim-stale").mkdir()
    (out / "tinysim-stale" / "x.nbi").write_bytes(b"")
    result = subprocess.run([sys.executable, "-m", "pynn_tinysim.cli", "precompile",
                             "--out", str(out), "--families", "IF_curr_exp", "--quick"],
                            capture_output=True, text=True)     # (tinysim precompile)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_tool_writes_one_stamp_directory(built):
    names = os.listdir(built)
    assert len(names) == 1 and names[0].startswith("tinysim-") and names[0] != "tinysim-stale"
    files = os.listdir(built / names[0])
    assert any(f.startswith("stretch.stretch_lif_curr_exp-") and f.endswith(".nbi")
               for f in files)
    # every index holds code for the portable target only
    for name in files:
        if name.endswith(".nbi"):
            with open(built / names[0] / name, "rb") as index:
                pickle.load(index)
                overloads = pickle.loads(index.read())[1]
            assert {key[1][1:] for key in overloads} == {shipped.portable_target()}


def test_a_fresh_cache_loads_the_shipped_kernels_and_compiles_nothing(built, tmp_path):
    # the index's record of its source's modification time, which an installation
    # does not keep, is not what makes it valid: make it wrong
    stamp_dir = built / os.listdir(built)[0]
    for name in os.listdir(stamp_dir):
        if name.endswith(".nbi"):
            path = stamp_dir / name
            with open(path, "rb") as index:
                version = pickle.load(index)
                _, overloads = pickle.loads(index.read())
            with open(path, "wb") as index:
                pickle.dump(version, index, protocol=-1)
                index.write(pickle.dumps(((0.0, 1), overloads), protocol=-1))
    out = _python(_RUN, _env(tmp_path, "user", built), "plain", "0")
    assert out["compiled"] == [] and out["answered"] > 0
    # nothing was written to the process's own cache
    assert not [f for _, _, files in os.walk(tmp_path / "user") for f in files
                if f.endswith(".nbi")]


def test_shipped_code_gives_the_spikes_of_code_compiled_here(built, tmp_path):
    shipped_trains = _python(_SPIKES, _env(tmp_path, "user", built), "0")
    own_trains = _python(_SPIKES, _env(tmp_path, "own", ""), "0")
    numpy_trains = _python(_SPIKES, dict(_env(tmp_path, "own", ""),
                                         PYNN_TINYSIM_ENGINE="numpy"), "0")
    assert sum(map(len, shipped_trains)) > 0
    assert shipped_trains == own_trains == numpy_trains


def test_without_the_features_or_the_stamp_a_process_compiles(built, tmp_path):
    out = _python(_RUN, _env(tmp_path, "a", built), "no-avx2", "0")
    assert "stretch_lif_curr_exp" in out["compiled"] and out["answered"] == 0
    other = tmp_path / "other"          # the same files under another sources' stamp
    shutil.copytree(built / os.listdir(built)[0], other / "tinysim-0123456789abcdef0123")
    out = _python(_RUN, _env(tmp_path, "b", other), "plain", "0")
    assert "stretch_lif_curr_exp" in out["compiled"] and out["answered"] == 0


def test_where_no_cache_directory_is_writable_the_shipped_kernels_still_load(built, tmp_path):
    """Numba may look only at NUMBA_CACHE_DIR, and that cannot be made (it names a path
    under a file): the kernels are not cached, but those shipped load, read only."""
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("")
    prelude = textwrap.dedent("""
        from numba.core import caching
        impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
        locator = (getattr(caching, "UserProvidedCacheLocator", None)
                   or caching._UserProvidedCacheLocator)
        impl._locator_classes = [locator]       # NUMBA_CACHE_DIR only
    """)
    before = sorted(os.listdir(built / os.listdir(built)[0]))
    env = dict(_env(tmp_path, "unused", built), NUMBA_CACHE_DIR=str(blocker / "cache"))
    out = _python(prelude + _RUN, env, "plain", "0")
    assert out["compiled"] == [] and out["answered"] > 0
    assert sorted(os.listdir(built / os.listdir(built)[0])) == before     # nothing written
    assert [p.name for p in tmp_path.iterdir()] == [blocker.name]


def test_a_network_the_set_lacks_compiles_around_the_shipped_callees(built, tmp_path):
    """A network unlike the shipped one (spike-array input and a current source): its
    stretch compiles here, calling kernels loaded from the shipped directory (their
    code linked into it), with the NumPy engine's spikes."""
    variant = precompile.VARIANTS.index((False, False, True, False))
    out = _python(_RUN, _env(tmp_path, "user", built), "plain", str(variant))
    assert "stretch_lif_curr_exp" in out["compiled"] and out["answered"] > 0
    trains = _python(_SPIKES, _env(tmp_path, "user", built), str(variant))
    numpy_trains = _python(_SPIKES, dict(_env(tmp_path, "own", ""),
                                         PYNN_TINYSIM_ENGINE="numpy"), str(variant))
    assert sum(map(len, trains)) > 0 and trains == numpy_trains


def test_a_damaged_precompiled_file_is_compiled_instead(built, tmp_path):
    """A truncated index or data file in the set: that kernel is compiled here (with a
    warning naming it), the run goes on and gives the NumPy engine's spikes."""
    damaged = tmp_path / "damaged"
    shutil.copytree(built, damaged)
    stamp_dir = damaged / os.listdir(damaged)[0]
    for name in os.listdir(stamp_dir):
        if name.startswith("stretch.stretch_lif_curr_exp-") and name.endswith(".nbc"):
            (stamp_dir / name).write_bytes((stamp_dir / name).read_bytes()[:100])
    env = _env(tmp_path, "user", damaged)
    result = subprocess.run([sys.executable, "-c", _RUN, "plain", "0"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert "stretch_lif_curr_exp" in out["compiled"] and out["answered"] > 0
    assert "is unusable" in result.stderr and "stretch_lif_curr_exp" in result.stderr
    trains = _python(_SPIKES, _env(tmp_path, "user2", damaged), "0")
    numpy_trains = _python(_SPIKES, dict(_env(tmp_path, "own", ""),
                                         PYNN_TINYSIM_ENGINE="numpy"), "0")
    assert trains == numpy_trains
