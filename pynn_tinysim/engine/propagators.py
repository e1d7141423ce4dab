"""Closed-form propagators for exact integration of linear subthreshold dynamics.

Rotter & Diesmann (1999) show that a linear system dx/dt = A x is advanced
exactly over a step h by x(t+h) = exp(A h) x(t). For the leaky membrane driven by
exponential or alpha-shaped currents the matrix exponential has a closed form;
the functions here compute its entries elementwise for arrays of parameters.

The entries contain terms like (exp(-h/tau_m) - exp(-h/tau_s)) / (1/tau_m - 1/tau_s),
which lose all precision when tau_m ~ tau_s. They are written through
phi1(x) = (e^x - 1)/x and phi2(x) = (x e^x - e^x + 1)/x^2, evaluated by their
Taylor series near x = 0, so they stay accurate (and finite) for equal time
constants, where the exact solution is h e^(-h/tau) resp. h^2/2 e^(-h/tau).
"""

import numpy as np

_SERIES_CUTOFF = 1e-3  # below this |x| the 4-term Taylor series is exact to < 1e-14


def phi1(x):
    """(exp(x) - 1) / x, accurate near 0 (phi1(0) = 1)."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < _SERIES_CUTOFF
    safe_x = np.where(small, 1.0, x)
    direct = np.expm1(safe_x) / safe_x
    series = 1.0 + x / 2.0 + x * x / 6.0 + x ** 3 / 24.0
    return np.where(small, series, direct)


def phi2(x):
    """(x exp(x) - exp(x) + 1) / x**2 = integral_0^1 s exp(x s) ds, accurate near 0."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < _SERIES_CUTOFF
    safe_x = np.where(small, 1.0, x)
    direct = (safe_x * np.exp(safe_x) - np.expm1(safe_x)) / (safe_x * safe_x)
    series = 0.5 + x / 3.0 + x * x / 8.0 + x ** 3 / 30.0
    return np.where(small, series, direct)


def membrane_decay(h, tau_m):
    """exp(-h/tau_m): how much of (v - v_rest) survives one step."""
    return np.exp(-h / tau_m)


def constant_current_gain(h, tau_m, cm):
    """mV reached after one step from rest under 1 nA of constant current."""
    return -tau_m / cm * np.expm1(-h / tau_m)


def exp_current_gain(h, tau_m, tau_syn, cm):
    """mV added in one step by an exponential current of 1 nA at the step's start.

    Equals tau_m tau_syn / (cm (tau_syn - tau_m)) (e^(-h/tau_syn) - e^(-h/tau_m)).
    """
    a = 1.0 / tau_m - 1.0 / tau_syn
    return h / cm * np.exp(-h / tau_m) * phi1(a * h)


def alpha_derivative_gain(h, tau_m, tau_syn, cm):
    """mV added in one step by the derivative state dI = 1 nA/ms of an alpha current.

    With I(t) = (I0 + dI0 t) e^(-t/tau_syn), dI0 contributes
    (dI0 / cm) integral_0^h e^(-(h-s)/tau_m) s e^(-s/tau_syn) ds.
    """
    a = 1.0 / tau_m - 1.0 / tau_syn
    return h * h / cm * np.exp(-h / tau_m) * phi2(a * h)
