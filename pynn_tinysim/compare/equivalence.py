"""The statistical test behind each metric's verdict: per-seed values of two backends in,
one of five outcomes out, with the numbers that justify it.

The unit of replication is the seed: each repetition of a backend gives one value of a
metric (say the mean rate of a population), and the values of one backend are treated as
independent draws. Cells within a run are not independent (they share input), which is
why the per-cell KS test is only reported, never decisive (verdict.py).

For backends A and B with ``n_A``, ``n_B`` finite values and a practical margin ``m``:

* **difference** -- Welch's two-sample t-test of equal means (``scipy.stats.ttest_ind``
  with ``equal_var=False``; Welch-Satterthwaite degrees of freedom, valid for small and
  unequal samples with unequal variances). A metric *differs* when its p-value, Holm-
  adjusted across every comparison of the run (``holm``), is below ``alpha`` **and** the
  observed difference of means is larger than the margin: statistically significant and
  large enough to matter. Holm controls the family-wise error rate -- the probability that
  the run reports any false difference, i.e. that CI fails for nothing -- under any
  dependence between metrics (which are strongly correlated: rate, Fano, correlation).
  Benjamini-Hochberg would control only the expected share of false differences among
  those reported, which does not bound how often an exit status of 1 is wrong.
* **equivalence** -- two one-sided Welch tests (TOST, Schuirmann 1987) of ``mu_B - mu_A >
  -m`` and ``mu_B - mu_A < m``: a metric is *equivalent* when both reject at ``alpha``
  (equivalently: the 1 - 2 alpha Welch confidence interval of the difference lies inside
  +-m). No multiplicity correction is needed for the overall claim "all equivalent": it
  is an intersection-union test, which holds at ``alpha`` as it is.
* neither: *inconclusive* -- no difference beyond the margin was found, but the seeds
  are too few (or too noisy) to show the difference is within it.
* fewer than ``min_seeds`` finite values on either side: *too few seeds to judge*.
* no finite value on one or both sides (NaN: a silent population has no CV, a lockstep
  one no correlation): *undefined*, reported as such and never a difference by itself
  (a silent backend is caught by its rate, which is always defined).

When both backends give the same value on every seed (a deterministic metric, e.g. a
synfire chain's spike count), the t statistic does not exist; the verdict is then exact:
equivalent when the values are within the margin, different when they are not.
"""

import math
import warnings

import numpy as np

EQUIVALENT, DIFFER, INCONCLUSIVE, TOO_FEW, UNDEFINED = (
    "equivalent", "differ", "inconclusive", "too few seeds", "undefined")

TEST_NAME = ("Welch t-test (Holm-adjusted across all comparisons) for a difference beyond "
             "the margin; TOST (two one-sided Welch tests) for equivalence within it")


def _scipy_stats():
    try:
        import scipy.stats
    except ImportError:  # pragma: no cover - scipy is in the compare extra and the test extra
        raise ImportError("the comparison's statistical tests need scipy: "
                          "pip install 'pynn-tinysim[compare]'") from None
    return scipy.stats


def margin_for(abs_floor, rel, mean_a, mean_b):
    """The practical margin: the larger of an absolute one and a fraction of the two means' mean
    (symmetric in the backends, so which one is the reference does not matter)."""
    centre = 0.5 * (abs(mean_a) + abs(mean_b))
    return max(float(abs_floor), float(rel) * centre)


def _constant(x):
    return x.size > 0 and float(np.ptp(x)) <= 1e-12 * max(1.0, float(np.max(np.abs(x))))


def welch(a, b, margin, alpha=0.05):
    """Welch test of ``b - a`` against 0 and TOST against +-``margin``.

    Returns a dict: ``n_a``, ``n_b``, ``mean_a``, ``mean_b``, ``diff`` (mean_b - mean_a),
    ``df``, ``p_diff`` (two-sided, uncorrected), ``p_equiv`` (TOST), ``ci`` (the 1 - 2 alpha
    confidence interval of the difference, the one TOST uses), ``exact`` (True when both
    samples are constant and the outcome is decided from the values themselves).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out = {"n_a": int(a.size), "n_b": int(b.size), "mean_a": float(a.mean()),
           "mean_b": float(b.mean()), "margin": float(margin)}
    diff = out["mean_b"] - out["mean_a"]
    out["diff"] = diff
    if _constant(a) and _constant(b):
        within = abs(diff) <= margin
        out.update(df=math.nan, p_diff=(1.0 if diff == 0 else 0.0),
                   p_equiv=(0.0 if within else 1.0), ci=(diff, diff), exact=True)
        return out
    stats = _scipy_stats()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)    # near-identical samples
        res = stats.ttest_ind(b, a, equal_var=False)
        lower = stats.ttest_ind(b + margin, a, equal_var=False, alternative="greater")
        upper = stats.ttest_ind(b - margin, a, equal_var=False, alternative="less")
        ci = res.confidence_interval(confidence_level=1.0 - 2.0 * alpha)
    out.update(df=float(res.df), p_diff=float(res.pvalue),
               p_equiv=float(max(lower.pvalue, upper.pvalue)),
               ci=(float(ci.low), float(ci.high)), exact=False)
    return out


def holm(pvalues):
    """Holm's step-down adjusted p-values (same order as given; NaN stays NaN).

    Written out because scipy has only Benjamini-Hochberg (false_discovery_control): sort,
    multiply the i-th smallest by (m - i), keep them monotone, cap at 1.
    """
    p = np.asarray(pvalues, dtype=float)
    ok = np.flatnonzero(np.isfinite(p))
    adjusted = np.full(p.shape, np.nan)
    if ok.size == 0:
        return adjusted
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    running = 0.0
    for i, idx in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[idx]))
        adjusted[idx] = running
    return adjusted


def outcome(test, p_adjusted, alpha=0.05):
    """EQUIVALENT / DIFFER / INCONCLUSIVE for one tested comparison (see the module doc)."""
    if p_adjusted < alpha and abs(test["diff"]) > test["margin"]:
        return DIFFER
    if test["p_equiv"] < alpha:
        return EQUIVALENT
    return INCONCLUSIVE


def clopper_pearson(k, n, confidence=0.95):
    """Exact binomial confidence interval of k successes in n (for the calibration)."""
    stats = _scipy_stats()
    if n == 0:
        return (0.0, 1.0)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence,
                                                       method="exact")
    return float(ci.low), float(ci.high)
