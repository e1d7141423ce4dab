"""Jupyter notebooks as scripts: the code cells of an ``.ipynb``, in order, in one namespace.

``tinysim run NOTEBOOK.ipynb`` and ``tinysim compare NOTEBOOK.ipynb`` run a notebook in
the child process exactly as a script (same import redirection, seeds and capture): each
code cell is compiled under the name ``<notebook> [cell N]`` (so tracebacks point at the
cell, with its source) and executed in one ``__main__`` namespace.

IPython-only syntax has no meaning outside IPython and is skipped with a note on stderr:
line magics (``%matplotlib inline``), shell lines (``!pip install ...``, ``files = !ls``),
help lines (``sim.setup?``) and whole cell magics (``%%time``, ``%%bash``). Raw and markdown
cells are ignored. ``display()`` prints its arguments (no rich output here).
"""

import json
import linecache
import re
import sys

_SHELL_OR_MAGIC = re.compile(r"^\s*(?:[A-Za-z_][\w.]*\s*=\s*)?[%!]")
_HELP = re.compile(r"^\s*[\w.]+\?{1,2}\s*$")


class NotebookError(ValueError):
    """The file is not a notebook this module can read."""


def code_cells(path):
    """[(cell number, source text)] of the notebook's code cells (numbers count every cell
    from 1, as Jupyter shows them in order)."""
    try:
        with open(path, encoding="utf-8") as f:
            nb = json.load(f)
    except (OSError, ValueError) as err:
        raise NotebookError(f"{path} is not a readable Jupyter notebook: {err}") from None
    if not isinstance(nb, dict):
        raise NotebookError(f"{path} is not a Jupyter notebook (no cells)")
    cells = nb.get("cells")
    if cells is None and nb.get("worksheets"):            # nbformat 3
        cells = [c for ws in nb["worksheets"] for c in ws.get("cells", [])]
    if cells is None:
        raise NotebookError(f"{path} is not a Jupyter notebook (no cells)")
    out = []
    for n, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(source)
        out.append((n, source))
    return out


def strip_ipython(source):
    """(python source, [skipped lines]) of one cell: IPython syntax blanked out (line
    numbers are kept, so tracebacks still point at the right line)."""
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        return "", [lines[0].strip() + " (cell magic: whole cell skipped)"]
    kept, skipped = [], []
    continued = False
    for line in lines:
        if continued or _SHELL_OR_MAGIC.match(line) or _HELP.match(line):
            skipped.append(line.strip())
            kept.append("")
            continued = line.rstrip().endswith("\\")
            continue
        kept.append(line)
    return "\n".join(kept), skipped


def to_script(path):
    """The notebook as one Python source text (cells separated by ``# [cell N]`` comments)."""
    parts = []
    for n, source in code_cells(path):
        code, skipped = strip_ipython(source)
        parts.append(f"# [cell {n}]" + "".join(f"\n# skipped: {s}" for s in skipped))
        parts.append(code)
    return "\n".join(parts) + "\n"


def _display(*objects, **kwargs):
    for obj in objects:
        print(obj)


def run(path, namespace=None, note=None):
    """Execute the notebook's code cells in order in ``namespace`` (a new ``__main__`` one
    by default). ``note(text)`` receives the skipped-line notes (default: stderr)."""
    if note is None:
        def note(text):
            print(text, file=sys.stderr, flush=True)
    if namespace is None:
        namespace = {"__name__": "__main__"}
    namespace.setdefault("__file__", path)
    namespace.setdefault("display", _display)
    cells = code_cells(path)
    for n, source in cells:
        code, skipped = strip_ipython(source)
        for line in skipped:
            note(f"tinysim: {path} [cell {n}]: skipped IPython line: {line}")
        if not code.strip():
            continue
        filename = f"{path} [cell {n}]"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        exec(compile(code, filename, "exec"), namespace)
    return namespace


def is_notebook(path):
    return str(path).lower().endswith(".ipynb")
