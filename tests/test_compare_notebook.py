"""Notebooks as input to ``tinysim run`` / ``tinysim compare``, and the report directory:
cells in order with IPython syntax skipped, the same redirection and capture as scripts,
--out reuse, the HTML report, compact capture.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from pynn_tinysim.compare import harness, notebook

ROOT = pathlib.Path(__file__).resolve().parent.parent


def make_notebook(path, cells, nbformat=4):
    """Write a notebook of code cells (str) and markdown cells (("md", str))."""
    items = []
    for cell in cells:
        if isinstance(cell, tuple):
            items.append({"cell_type": "markdown", "metadata": {}, "source": cell[1]})
        else:
            items.append({"cell_type": "code", "metadata": {}, "outputs": [],
                          "execution_count": None, "source": cell.splitlines(True)})
    if nbformat == 3:
        nb = {"worksheets": [{"cells": [dict(c, input=c.get("source", "")) for c in items]}],
              "metadata": {}, "nbformat": 3, "nbformat_minor": 0}
    else:
        nb = {"cells": items, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def cli(*args, cwd=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "pynn_tinysim.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd)


# --- the notebook reader --------------------------------------------------------------------

def test_ipython_syntax_is_blanked_and_reported():
    code, skipped = notebook.strip_ipython(
        "%matplotlib inline\nx = 1\n!pip install foo\nfiles = !ls\nsim.setup?\ny = x + 1")
    assert code.splitlines() == ["", "x = 1", "", "", "", "y = x + 1"]     # lines kept
    assert skipped == ["%matplotlib inline", "!pip install foo", "files = !ls", "sim.setup?"]
    code, skipped = notebook.strip_ipython("%%time\nz = 2\n")
    assert code == "" and skipped == ["%%time (cell magic: whole cell skipped)"]
    code, _ = notebook.strip_ipython("x = 5 % 3\ny = '!'\n")      # Python, not IPython
    assert code == "x = 5 % 3\ny = '!'\n"


@pytest.mark.parametrize("version", [3, 4])
def test_code_cells_in_order(tmp_path, version):
    path = make_notebook(tmp_path / "n.ipynb", ["a = 1", ("md", "# text"), "b = a + 1"],
                         nbformat=version)
    assert notebook.code_cells(str(path)) == [(1, "a = 1"), (3, "b = a + 1")]
    ns = notebook.run(str(path), note=lambda text: None)
    assert ns["b"] == 2 and ns["__name__"] == "__main__"


def test_not_a_notebook_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("import pyNN.nest as sim\n")
    with pytest.raises(notebook.NotebookError, match="not a readable Jupyter notebook"):
        notebook.code_cells(str(bad))


def test_run_a_notebook_written_for_nest_on_tinysim(tmp_path):
    path = make_notebook(tmp_path / "nb.ipynb", [
        "%matplotlib inline\nimport pyNN.nest as sim",
        "def rate(pop, t):\n    return pop.mean_spike_count() * 1000.0 / t",
        "sim.setup(timestep=0.1)\ncells = sim.Population(10, sim.IF_curr_exp(i_offset=1.0))\n"
        "cells.record('spikes')\nsim.run(100.0)",
        "print(sim.__name__, round(rate(cells, 100.0)))",
    ])
    proc = cli("run", path, "--backend", "tinysim", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "pynn_tinysim" and int(proc.stdout.split()[1]) > 10
    assert "[cell 1]: skipped IPython line: %matplotlib inline" in proc.stderr


def test_a_failing_cell_is_named_in_the_traceback(tmp_path):
    path = make_notebook(tmp_path / "nb.ipynb", ["x = 1", "y = undefined_name + x"])
    proc = cli("run", path, cwd=tmp_path)
    assert proc.returncode == 1
    assert "nb.ipynb [cell 2]" in proc.stderr and "undefined_name + x" in proc.stderr


SPINNAKER_NOTEBOOK = [
    "try:\n    import pyNN.spiNNaker as sim\nexcept ModuleNotFoundError:\n    import pyNN.brian2 as sim",
    "sim.setup(timestep=1.0, min_delay=2.0)\n"
    "cells = sim.Population(40, sim.Izhikevich(i_offset=5.0), label='Excitatory_Cells')\n"
    "cells.record('spikes')",
    "sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1),\n"
    "               sim.StaticSynapse(weight=2.5, delay=2.0), receptor_type='inhibitory')",
    "sim.run(200.0)",
]


@pytest.mark.slow       # two backends, several seeds (~8 s)
def test_compare_a_notebook_written_for_spinnaker(tmp_path):
    """The seed-004 pattern, small: PyNN-standard backends reject the positive inhibitory
    weight (explained), the i_offset written for sPyNNaker is explained although they never
    ran, spinnaker-emu runs it."""
    path = make_notebook(tmp_path / "s.ipynb", SPINNAKER_NOTEBOOK)
    proc = cli("compare", path, "--backends", "tinysim,spinnaker-emu", "--seeds", "3",
               "--out", tmp_path / "rep", "--no-figures", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "FAILED: tinysim rejected the script: ConnectionError" in out
    assert "sPyNNaker's convention" in out
    assert "Excitatory_Cells: Izhikevich i_offset = 5 on tinysim" in out
    assert "the PyNN-standard equivalent is i_offset = 0.005" in out
    assert "not run (seed 0 failed)" in proc.stderr
    report = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert report["runs"]["spinnaker-emu"]["status"] == "ok"
    assert len(report["runs"]["spinnaker-emu"]["seeds"]) == 3


@pytest.mark.slow
def test_the_seed004_notebook_example(tmp_path):
    proc = cli("compare", ROOT / "examples" / "seed004_notebook.ipynb", "--backends",
               "tinysim,spinnaker-emu", "--seeds", "3", "--out", tmp_path / "rep",
               "--no-figures", cwd=tmp_path, timeout=900)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Excitatory_Cells, Inhibitory_Cells: Izhikevich i_offset = 5 on tinysim" in proc.stdout
    assert "ConnectionError" in proc.stdout


# --- report directory ----------------------------------------------------------------------

def test_out_dir_reuse_cleans_a_report_and_refuses_anything_else(tmp_path):
    out = tmp_path / "rep"
    harness.prepare_out_dir(str(out))
    (out / "tinysim" / "seed_7").mkdir(parents=True)
    (out / "results.json").write_text("{}")
    harness.prepare_out_dir(str(out))                 # an earlier report: emptied
    assert sorted(os.listdir(out)) == [harness.MARKER]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("do not delete")
    with pytest.raises(harness.OutDirInUse, match="not a tinysim compare report"):
        harness.prepare_out_dir(str(mine))
    assert (mine / "thesis.tex").read_text() == "do not delete"
    proc = cli("compare", ROOT / "tests" / "networks" / "tiny_net.py", "--backends", "tinysim",
               "--out", mine, cwd=tmp_path)
    assert proc.returncode == 2 and "not a tinysim compare report" in proc.stderr


def test_default_out_dir_has_a_timestamp():
    import datetime
    path = harness.default_out_dir("/x/model.py", datetime.datetime(2026, 11, 30, 17, 5, 9))
    assert os.path.basename(path) == "tinysim-compare-model-20261130-170509"


def test_margin_option_is_checked():
    from pynn_tinysim.compare.cli import parse_margins
    assert parse_margins(["rate_hz=1,0.2", "cv_isi=0.1"]) == {"rate_hz": (1.0, 0.2),
                                                              "cv_isi": (0.1, 0.10)}
    with pytest.raises(ValueError, match="METRIC=ABS"):
        parse_margins(["speed=1"])
    with pytest.raises(ValueError, match="numbers"):
        parse_margins(["rate_hz=fast"])


def test_html_report_is_self_contained_with_tests_and_compact_data(tmp_path):
    script = tmp_path / "net.py"
    script.write_text(
        "import pyNN.nest as sim\n"
        "sim.setup(timestep=0.1)\n"
        "src = sim.Population(40, sim.SpikeSourcePoisson(rate=30.0), label='src')\n"
        "cells = sim.Population(40, sim.IF_curr_exp(), label='cells')\n"
        "sim.Projection(src, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.0))\n"
        "cells.record(['spikes', 'v'])\n"
        "sim.run(300.0)\n")
    from pynn_tinysim.compare import compare
    result = compare(str(script), backends=["tinysim", "spinnaker-emu"], seeds=3,
                     out_dir=str(tmp_path / "rep"))
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "<img" in html and "data:image/png;base64," in html and "src='raster" not in html
    assert "Welch p" in html and "TOST p" in html and "margin" in html
    assert "Holm" in html
    run = tmp_path / "rep" / "tinysim" / "seed_0"
    assert (run / "cells.signals.npz").exists()
    import neo.io
    block = neo.io.PickleIO(str(run / "cells.pkl")).read_block()
    assert not block.segments[0].analogsignals and block.segments[0].spiketrains
    v_mean = [c for c in result.verdict.comparisons if c.metric == "v_mean"]
    assert v_mean and v_mean[0].test["n_a"] == 3          # v statistics from the summary
    for name in ("raster_cells.png", "psth_cells.png", "v_cells.png"):
        assert (tmp_path / "rep" / name).exists(), name
