"""What the harness knows about each backend: its module, how to tell it is installed,
the pip command that installs it, and how a SpiNNaker run is configured.

Nothing here imports a simulator: availability is decided with
``importlib.util.find_spec`` so that the parent process stays light and a broken
simulator install shows up as an error of its own run, not of the harness.

Backend names (``--backends``):

``tinysim``
    pyNN.tinysim (this package), PyNN-standard semantics.
``nest``, ``brian2``, ``neuron``
    pyNN.nest, pyNN.brian2, pyNN.neuron.
``spinnaker``
    sPyNNaker (``pyNN.spiNNaker``). On a real board when one is configured
    (``machine_name``, ``spalloc_server`` or ``remote_spinnaker_url`` in
    ``~/.spynnaker.cfg``); otherwise on a virtual board, which maps the network
    (a real portability check) but records no data, and the emulated leg
    ``spinnaker-emu`` is added automatically.
``spinnaker-emu``
    pyNN.tinysim.spinnaker: the tinysim engine with sPyNNaker's semantics.
"""

import configparser
import dataclasses
import importlib.util
import os

#: Every module name a PyNN script may import its backend by. In a child process all
#: of them (less the chosen backend's own) are redirected to the chosen backend.
BACKEND_MODULE_NAMES = (
    "pyNN.nest", "pyNN.brian2", "pyNN.brian", "pyNN.neuron", "pyNN.spiNNaker",
    "pyNN.nemo", "pyNN.pcsim", "pyNN.moose", "pyNN.arbor", "pyNN.mock",
    "pyNN.tinysim", "pyNN.tinysim.spinnaker", "spynnaker8",
)

#: Names that ``pyNN.utility.get_simulator`` may be given on the command line.
SIMULATOR_ARGUMENT_NAMES = {
    name.split(".", 1)[1] for name in BACKEND_MODULE_NAMES if name.startswith("pyNN.")
} | {"spinnaker", "spynnaker", "spynnaker8"}


@dataclasses.dataclass(frozen=True)
class Backend:
    name: str                 # harness name, as given to --backends
    module: str               # the module imported in the child
    requires: tuple           # top-level modules that must be importable
    install: str              # pip command that makes it available
    simulator_name: str       # what get_simulator() is handed on the command line
    accepts_rng_seed: bool    # setup(rng_seed=...) sets the simulator's own RNG
    pynn_standard: bool = True  # PyNN-standard semantics (vs sPyNNaker's)
    virtual: bool = False     # a SpiNNaker virtual board: maps, records nothing
    # the harness sets seeds (seeds.py). Not on sPyNNaker: the board draws its own
    # random numbers, and sPyNNaker rejects a connector rng that has a seed, so
    # giving unseeded NumpyRNGs a seed would make it fail where the script does not.
    harness_seeds: bool = True
    # steps to add to recorded spike times to get NEST's stamping (end of the step in which
    # the threshold was crossed): Brian2 stamps the step's start (0..999 ms, not 1..1000)
    spike_stamp_steps: int = 0

    def missing(self):
        """Names of the required modules that cannot be found (empty if available)."""
        out = []
        for mod in self.requires:
            try:
                found = importlib.util.find_spec(mod)
            except (ImportError, ValueError):
                found = None
            if found is None:
                out.append(mod)
        return out

    @property
    def available(self):
        return not self.missing()


_EXTRA = "pip install 'pynn-tinysim[{}]'"

BACKENDS = {
    "tinysim": Backend("tinysim", "pynn_tinysim", ("pynn_tinysim",), "pip install pynn-tinysim",
                       "tinysim", accepts_rng_seed=True),
    "nest": Backend("nest", "pyNN.nest", ("nest",), _EXTRA.format("nest"), "nest",
                    accepts_rng_seed=True),
    "brian2": Backend("brian2", "pyNN.brian2", ("brian2",), _EXTRA.format("brian2"), "brian2",
                      accepts_rng_seed=False, spike_stamp_steps=1),
    "neuron": Backend("neuron", "pyNN.neuron", ("neuron",), "pip install neuron", "neuron",
                      accepts_rng_seed=False),
    "spinnaker": Backend("spinnaker", "pyNN.spiNNaker", ("spynnaker",),
                         _EXTRA.format("spinnaker"), "spiNNaker", accepts_rng_seed=False,
                         pynn_standard=False, harness_seeds=False),
    "spinnaker-emu": Backend("spinnaker-emu", "pynn_tinysim.spinnaker", ("pynn_tinysim.spinnaker",),
                             "pip install pynn-tinysim (a version with pyNN.tinysim.spinnaker)",
                             "tinysim.spinnaker", accepts_rng_seed=True, pynn_standard=False),
}

#: The virtual-board variant of the spinnaker leg (chosen by ``expand``).
SPINNAKER_VIRTUAL = dataclasses.replace(BACKENDS["spinnaker"], virtual=True)


def get(name):
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}") from None


# --- SpiNNaker configuration ---------------------------------------------------------

def spinnaker_user_configs(cwd=None):
    """The sPyNNaker configuration files that exist, in the places sPyNNaker reads them
    (its user locations, then ``./spynnaker.cfg`` in the run directory)."""
    home = os.path.expanduser("~")
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    candidates = [os.path.join(xdg, ".spynnaker.cfg"), os.path.join(home, ".spynnaker.cfg"),
                  os.path.join(cwd or os.getcwd(), "spynnaker.cfg")]
    return [path for path in candidates if os.path.isfile(path)]


def spinnaker_board_configured(cwd=None):
    """(configured?, description): is a real SpiNNaker machine named in the config?"""
    parser = configparser.ConfigParser()
    files = spinnaker_user_configs(cwd)
    try:
        parser.read(files)
    except configparser.Error as err:
        return False, f"unreadable sPyNNaker config ({err})"
    if not parser.has_section("Machine"):
        return False, "no [Machine] section in " + (", ".join(files) or "any ~/.spynnaker.cfg")

    def value(key):
        for option in (key, key.replace("_", ""), "machineName" if key == "machine_name" else key):
            for opt in parser.options("Machine"):
                if opt.lower() == option.lower():
                    v = parser.get("Machine", opt).strip()
                    return None if v in ("", "None") else v
        return None

    if (value("virtual_board") or "").lower() in ("true", "1", "yes"):
        return False, "virtual_board = True in " + ", ".join(files)
    for key in ("machine_name", "spalloc_server", "remote_spinnaker_url"):
        v = value(key)
        if v:
            return True, f"{key} = {v} ({', '.join(files)})"
    return False, "no machine_name / spalloc_server / remote_spinnaker_url in " + (
        ", ".join(files) or "~/.spynnaker.cfg")


def virtual_board_config(report_dir):
    """Text of the temporary ``.spynnaker.cfg`` for a virtual-board run (SPINNAKER.md)."""
    return ("[Machine]\n"
            "virtual_board = True\n"
            "version = 5\n"
            "\n"
            "[Reports]\n"
            f"default_report_file_path = {report_dir}\n")


# --- --backends expansion -------------------------------------------------------------

@dataclasses.dataclass
class Plan:
    """What runs: the backends to run, and the requested ones that won't, with why."""
    run: list
    skipped: dict            # name -> reason (with the pip command)
    notes: list


def expand(names, cwd=None):
    """Turn the requested backend names into a Plan.

    ``spinnaker`` without a configured board becomes the virtual-board run plus
    ``spinnaker-emu`` (when pyNN.tinysim.spinnaker is importable).
    """
    run, skipped, notes = [], {}, []
    seen = set()

    def add(backend):
        if backend.name + ("/virtual" if backend.virtual else "") not in seen:
            seen.add(backend.name + ("/virtual" if backend.virtual else ""))
            run.append(backend)

    for name in names:
        backend = get(name)
        if name == "spinnaker":
            configured, why = spinnaker_board_configured(cwd)
            emu = BACKENDS["spinnaker-emu"]
            if backend.available:
                if configured:
                    add(backend)
                    notes.append(f"spinnaker: real board ({why})")
                else:
                    add(SPINNAKER_VIRTUAL)
                    notes.append(
                        f"spinnaker: no board configured ({why}); sPyNNaker runs on a virtual "
                        "board, which checks that the script maps but records no data")
            else:
                skipped["spinnaker"] = (f"sPyNNaker is not installed: {backend.install}")
            if not configured or not backend.available:
                if emu.available:
                    add(emu)
                    notes.append("spinnaker: emulated by pyNN.tinysim.spinnaker (spinnaker-emu)")
                else:
                    skipped["spinnaker-emu"] = "emulation unavailable: pyNN.tinysim.spinnaker " \
                                               "is not importable in this installation"
            continue
        missing = backend.missing()
        if missing:
            skipped[name] = f"{', '.join(missing)} not installed: {backend.install}"
        else:
            add(backend)
    return Plan(run, skipped, notes)
