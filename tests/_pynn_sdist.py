"""PyNN's sdist (the installed version), downloaded once into a cache outside the repository.

Shared by the tests that run material only the sdist has: the system-test
scenarios (test_pynn_scenarios.py) and the example scripts (test_pynn_examples.py).
The cache is ``$TINYSIM_SCENARIO_CACHE`` if set, else ``$XDG_CACHE_HOME/pynn-tinysim``,
else ``~/.cache/pynn-tinysim``; the sdist comes from
``pip download --no-deps --no-binary :all: pyNN==<version>``.
"""

import importlib.metadata
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile


def in_ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def cache_dir():
    override = os.environ.get("TINYSIM_SCENARIO_CACHE")
    if override:
        return pathlib.Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = pathlib.Path(xdg).expanduser() if xdg else pathlib.Path.home() / ".cache"
    return base / "pynn-tinysim"


def _find_sdist(directory, version):
    for path in sorted(directory.glob("*.tar.gz")):
        if path.name.lower() == f"pynn-{version}.tar.gz".lower():
            return path
    return None


def download_sdist(directory, version):
    """The sdist of PyNN ``version`` in ``directory``, downloaded with pip if not there."""
    directory.mkdir(parents=True, exist_ok=True)
    sdist = _find_sdist(directory, version)
    if sdist is not None:
        return sdist
    with tempfile.TemporaryDirectory(dir=directory, prefix=".download-") as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps",
                   "--no-binary", ":all:", "--disable-pip-version-check",
                   "--timeout", "30", "--retries", "2", "--dest", tmp, f"pyNN=={version}"]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL)
        downloaded = _find_sdist(pathlib.Path(tmp), version)
        if proc.returncode != 0 or downloaded is None:
            raise RuntimeError(
                f"could not download PyNN {version}'s sdist ({' '.join(command)} "
                f"exited {proc.returncode}):\n{(proc.stdout + proc.stderr)[-2000:]}")
        target = directory / downloaded.name
        os.replace(downloaded, target)      # atomic: a half-written sdist is never cached
    return target


def example(name):
    """Path of PyNN's ``examples/<name>`` (the installed version's), extracted into the cache."""
    version = importlib.metadata.version("PyNN")
    root = cache_dir()
    target = root / f"pynn-{version}-examples" / name
    if target.exists():
        return target
    sdist = download_sdist(root, version)
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            top, _, rest = member.name.partition("/")
            if rest == f"examples/{name}" and member.isfile():
                data = tar.extractfile(member).read()
                break
        else:
            raise RuntimeError(f"{sdist} has no examples/{name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".example-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, target)                 # atomic
    return target
