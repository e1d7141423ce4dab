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
