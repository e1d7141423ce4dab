"""placeholder"""


def prepare(flavour):
    pass
