"""Atomic writing of recorded data (``write_data``, ``record(..., to_file=...)``).

neo's IOs write straight into the named file: a run killed half-way through a
write leaves the previous good file truncated, and a NIX file given by name is
opened read-write, so writing it twice appends a second Block. Here a Block is
written to a temporary file in the same folder (same file system, so the final
step is an atomic rename) and only a complete file replaces the target, with
``os.replace``. Whatever stops the write (an exception, Ctrl-C, a kill), the
target holds either its old content or the whole new one; an exception or
Ctrl-C also removes the temporary file (a kill -9 may leave a hidden
``.name.*.tmp<ext>`` file beside it, never a damaged target).

A file *name* is always replaced, whatever the format (as pickle and MATLAB
files are by neo itself). To append a Block to an existing NIX file, pass a
``neo.io.NixIO(filename, mode="rw")`` you opened yourself: an IO object the user
made is written as neo writes it, except pickle and MATLAB IOs, which write one
whole file per call anyway and are made atomic the same way.
"""

import os
import tempfile

import neo
from pyNN import recording

#: extensions PyNN's get_io accepts, and the neo IO each one means
_FORMATS = {".pkl": "pickle", ".pickle": "pickle", ".mat": "matlab", ".nix": "nix",
            ".h5": "nix", ".nwb": "nwb"}


def _io_for(path, kind):
    if kind == "pickle":
        return neo.io.PickleIO(filename=path)
    if kind == "matlab":
        return neo.io.NeoMatlabIO(filename=path)
    if kind == "nix":
        return neo.io.NixIO(filename=path, mode="ow")
    return neo.io.NWBIO(filename=path, mode="w")


def _file_mode(target):
    """Permissions the file would get if written in place (those of the old file, if any)."""
    try:
        return os.stat(target).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _replace_with(target, write):
    """Call ``write(temporary path)``, then move the complete file onto ``target``."""
    target = os.path.abspath(target)
    folder, name = os.path.split(target)
    recording.safe_makedirs(folder)
    ext = os.path.splitext(name)[1]
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=f".tmp{ext}", dir=folder)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:     # on disk before it replaces the old file
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode(target))
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_new(path, kind, block):
    io = _io_for(path, kind)
    try:
        io.write_block(block)
    finally:
        close = getattr(io, "close", None)
        if close is not None:
            close()


def write_block(file, block, suffix=""):
    """Write the neo ``block`` to ``file`` (a file name or a neo IO), atomically where possible.

    ``suffix``: appended to the file name after the format is chosen from its
    extension (PyNN's per-rank files under MPI: ``data.pkl.1``).
    """
    if suffix and not isinstance(file, (str, os.PathLike)):
        file.filename += suffix
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        ext = os.path.splitext(path)[1]
        path += suffix
        kind = _FORMATS.get(ext)
        if kind is None:
            recording.get_io(path)      # PyNN's own error for an unsupported extension
            raise IOError(f"file extension {ext!r} not supported")
        _replace_with(path, lambda tmp: _write_new(tmp, kind, block))
    elif isinstance(file, (neo.io.PickleIO, neo.io.NeoMatlabIO)):
        cls = type(file)
        _replace_with(file.filename, lambda tmp: cls(filename=tmp).write_block(block))
    else:
        file.write_block(block)         # an IO the user opened (e.g. NixIO to append to)
