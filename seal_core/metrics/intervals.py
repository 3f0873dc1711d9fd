"""Confidence intervals shared by the metrics."""

from __future__ import annotations

from statsmodels.stats.proportion import proportion_confint

__all__ = ["wilson_interval"]


def wilson_interval(k: int, n: int, ci: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a share ``k / n`` at confidence ``ci``; ``(nan, nan)`` when ``n`` is 0.

    Parameters
    ----------
    k, n : int
        Successes and trials.
    ci : float
        Confidence level.

    Returns
    -------
    tuple of float
        (low, high).

    Examples
    --------
    >>> tuple(round(v, 4) for v in wilson_interval(30, 60))
    (0.3774, 0.6226)
    >>> wilson_interval(0, 0)
    (nan, nan)
    """
    if n == 0:
        return (float("nan"), float("nan"))
    lo, hi = proportion_confint(k, n, alpha=1 - ci, method="wilson")
    return float(lo), float(hi)
