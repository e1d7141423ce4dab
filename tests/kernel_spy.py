"""Test helpers: count the calls of a rule's compiled delivery and the steps of the
compiled stretches, so a test can require that the compiled path really ran (not only
that a kernel exists)."""


def spy_on_deliveries(monkeypatch, cls, method, on_call):
    """Wrap ``cls.method`` (which returns a delivery function, or None where the rule
    keeps NumPy) so that every call of the delivery it returns first calls
    ``on_call(args)``."""
    original = getattr(cls, method)

    def counting(self, kernels):
        deliver = original(self, kernels)
        if deliver is None:
            return None

        def wrapped(*args):
            on_call(args)
            return deliver(*args)
        return wrapped
    monkeypatch.setattr(cls, method, counting)


def spy_on_stretch_takes(monkeypatch, cls, on_call):
    """Wrap ``cls.stretch_arrays`` (what a compiled stretch takes from a plastic rule) so
    that each call first calls ``on_call()``: the rule was delivered inside a stretch."""
    original = cls.stretch_arrays

    def stretch_arrays(self, k_stop, capacity=0):
        on_call()
        return original(self, k_stop, capacity)
    monkeypatch.setattr(cls, "stretch_arrays", stretch_arrays)


def count_stretch_steps(monkeypatch):
    """A list that gets the number of steps each compiled stretch runs (engine/stretch.py's
    ``CompiledStretch.run``), so a test can require that the stretches ran (the step
    loop would give the same bits)."""
    from pynn_tinysim.engine.stretch import CompiledStretch
    steps = []
    original = CompiledStretch.run

    def counting(self, k, k_end):
        reached = original(self, k, k_end)
        steps.append(reached - k)
        return reached
    monkeypatch.setattr(CompiledStretch, "run", counting)
    return steps
