"""Test helper: count the calls of a rule's compiled delivery, so a test can require
that the compiled path really ran (not only that a kernel exists)."""


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
