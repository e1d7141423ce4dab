"""Hatchling build hook: a wheel carrying precompiled kernels is a platform's wheel.

``python -m pynn_tinysim.engine.kernels.precompile`` fills
``pynn_tinysim/engine/kernels/precompiled/`` with machine code for this platform's
portable CPU target, this Python version and this Numba version (see
pynn_tinysim/engine/kernels/shipped.py). A wheel built after it holds that code, so it
must not be tagged ``py3-none-any``: this hook lets hatchling tag it for the
interpreter and platform building it (e.g. ``cp311-cp311-linux_x86_64``). Without
precompiled kernels (a plain ``pip install .``), and for editable installs, it does
nothing.
"""

import os

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class PrecompiledKernelsHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        if self.target_name != "wheel" or version == "editable":
            return
        directory = os.path.join(self.root, "pynn_tinysim", "engine", "kernels", "precompiled")
        if os.path.isdir(directory) and any(name.startswith("tinysim-")
                                            for name in os.listdir(directory)):
            build_data["pure_python"] = False
            build_data["infer_tag"] = True
