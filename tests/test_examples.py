"""The README's main job and its code block run and print what the README shows."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_va_cuba_example_runs_and_prints_nest_rates(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "va_cuba.py"),
                           "--plot", str(tmp_path / "raster.png")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rates = [float(r) for r in re.findall(r"mean rate ([0-9.]+) Hz", proc.stdout)]
    assert rates == [5.93, 5.74], proc.stdout   # pyNN.nest (on_grid): 5.932 / 5.740 Hz


def test_readme_script_block_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## A script", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    proc = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    claimed = re.search(r"# ([0-9.]+) Hz", block).group(1)
    assert proc.stdout.strip() == f"{claimed} Hz"


# --- every other example, with --smoke (short runs) -----------------------------------

import importlib.util
import os

import pytest

HAVE_MPL = importlib.util.find_spec("matplotlib") is not None


def _run_example(tmp_path, script, *args):
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--smoke", *args],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    if HAVE_MPL:
        written = re.search(r"written to (\S+\.png)", proc.stdout)
        assert written, proc.stdout
        assert (tmp_path / written.group(1)).is_file()
    else:
        assert "skipped" in proc.stdout
    return proc.stdout


@pytest.mark.parametrize("script, args", [
    ("seed004_izhikevich.py", ()),
    ("seed004_izhikevich.py", ("--flavour", "spinnaker")),
    ("synfire_chain.py", ()),
    ("stdp_curve.py", ()),
    ("current_injection.py", ()),
])
def test_example_smoke(tmp_path, script, args):
    out = _run_example(tmp_path, script, *args)
    assert "Hz" in out or "spikes" in out or "weight change" in out


def test_decision_network_stronger_population_wins(tmp_path):
    out = _run_example(tmp_path, "decision_network.py")
    assert "stronger input: exc1" in out
    assert "winner: exc1" in out, out
    rates = dict(re.findall(r"(exc1|exc2|inh): mean rate\s+([0-9.]+) Hz", out))
    assert float(rates["exc2"]) < 0.1 * float(rates["exc1"]), out
    assert float(rates["inh"]) > 5.0, out
