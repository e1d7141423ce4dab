"""Atomic write_data (issue 14, item 3): a failed or killed write never damages the
previous file, and a file name is replaced, never appended to (NIX included)."""

import os
import subprocess
import sys
import textwrap

import neo
import numpy as np
import pytest

import pyNN.tinysim as sim


def _network(rate=100.0):
    sim.setup(timestep=0.1)
    cells = sim.Population(5, sim.IF_curr_exp(i_offset=1.0 if rate > 50 else 0.5))
    cells.record(["spikes", "v"])
    sim.run(50.0)
    return cells


def _read(path):
    if path.endswith((".nix", ".h5")):
        io = neo.io.NixIO(path, mode="ro")
        try:
            return io.read_all_blocks()
        finally:
            io.close()
    if path.endswith(".mat"):
        return [neo.io.NeoMatlabIO(path).read_block()]
    return [neo.io.PickleIO(path).read_block()]


def _leftovers(folder, name):
    return [f for f in os.listdir(folder) if f != name]


@pytest.mark.parametrize("ext", [".pkl", ".nix", ".mat"])
def test_writing_twice_replaces_the_file(tmp_path, ext):
    path = str(tmp_path / f"data{ext}")
    cells = _network()
    cells.write_data(path)
    cells.write_data(path)
    blocks = _read(path)
    assert len(blocks) == 1
    v = blocks[0].segments[0].filter(name="v")[0]
    np.testing.assert_array_equal(np.asarray(v.magnitude),
                                  np.asarray(cells.get_data().segments[0]
                                             .filter(name="v")[0].magnitude))
    assert _leftovers(tmp_path, f"data{ext}") == []
    sim.end()


def test_user_opened_nix_io_is_appended_to(tmp_path):
    path = str(tmp_path / "data.nix")
    cells = _network()
    cells.write_data(path)
    io = neo.io.NixIO(path, mode="rw")
    cells.write_data(io)
    io.close()
    assert len(_read(path)) == 2
    sim.end()


#: the neo IO of each extension write_data takes (.nwb needs pynwb, not installed here)
IO_CLASS = {".pkl": "PickleIO", ".nix": "NixIO", ".h5": "NixIO", ".mat": "NeoMatlabIO"}


@pytest.mark.parametrize("ext", sorted(IO_CLASS))
def test_failed_write_leaves_previous_file_intact(tmp_path, monkeypatch, ext):
    path = str(tmp_path / f"data{ext}")
    cells = _network()
    cells.write_data(path)
    before = open(path, "rb").read()
    cls = getattr(neo.io, IO_CLASS[ext])

    def broken_write(self, block):
        with open(self.filename, "ab") as f:
            f.write(b"half a file")
        raise KeyboardInterrupt     # Ctrl-C in the middle of the write

    monkeypatch.setattr(cls, "write_block", broken_write)
    with pytest.raises(KeyboardInterrupt):
        cells.write_data(path)
    assert open(path, "rb").read() == before
    assert _leftovers(tmp_path, f"data{ext}") == []
    monkeypatch.undo()
    assert len(_read(path)) == 1
    sim.end()


@pytest.mark.parametrize("ext", sorted(IO_CLASS))
def test_killed_write_leaves_previous_file_intact(tmp_path, ext):
    """A process killed (no clean-up at all) half-way through a write."""
    path = str(tmp_path / f"data{ext}")
    script = textwrap.dedent(f"""
        import os
        import neo
        import pyNN.tinysim as sim
        sim.setup(timestep=0.1)
        cells = sim.Population(20, sim.IF_curr_exp(i_offset=1.0))
        cells.record(["spikes", "v"])
        sim.run(100.0)
        cells.write_data({path!r})
        print(os.path.getsize({path!r}), flush=True)
        cls = getattr(neo.io, {IO_CLASS[ext]!r})
        def dying_write(self, block):
            with open(self.filename, "ab") as f:
                f.write(b"x" * 100000)
                f.flush()
            os._exit(9)             # as a kill: no finally clause, no atexit
        cls.write_block = dying_write
        cells.write_data({path!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 9, result.stderr
    size_before = int(result.stdout.split()[0])
    assert os.path.getsize(path) == size_before
    blocks = _read(path)
    assert len(blocks) == 1
    # (20 cells: NixIO's writing costs ~20 ms a spike train, and the size of the file
    # does not matter to the kill, which comes after the first 100 kB in any case)
    assert np.asarray(blocks[0].segments[0].filter(name="v")[0]).shape == (1001, 20)


def test_new_file_gets_ordinary_permissions(tmp_path):
    path = str(tmp_path / "data.pkl")
    cells = _network()
    cells.write_data(path)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    sim.end()


def test_record_to_file_and_assembly_write(tmp_path):
    sim.setup(timestep=0.1)
    a = sim.Population(3, sim.IF_curr_exp(i_offset=1.0), label="a")
    b = sim.Population(2, sim.IF_curr_exp(i_offset=1.0), label="b")
    a.record("spikes", to_file=str(tmp_path / "a.pkl"))
    b.record("v")
    sim.run(30.0)
    (a + b).write_data(str(tmp_path / "ab.pkl"))
    (a + b).write_data(str(tmp_path / "ab.pkl"))
    sim.end()
    spikes = _read(str(tmp_path / "a.pkl"))[0].segments[0].spiketrains
    assert len(spikes) == 3 and all(len(st) > 0 for st in spikes)
    assert len(_read(str(tmp_path / "ab.pkl"))) == 1
    assert sorted(os.listdir(tmp_path)) == ["a.pkl", "ab.pkl"]


def test_unsupported_extension_is_refused_without_creating_files(tmp_path):
    cells = _network()
    with pytest.raises(Exception, match="not .*supported"):
        cells.write_data(str(tmp_path / "data.xyz"))
    assert os.listdir(tmp_path) == []
    sim.end()
