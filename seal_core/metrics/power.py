"""Chance and power: is a figure distinguishable from a coin flip, and what could this slice have detected at all?

**Against a coin flip.** An RM that guesses agrees with people on half the pairs. ``chance_test(k, n)`` is the exact
two-sided binomial test of ``k`` agreements in ``n`` pairs against ½ (ties count as not agreeing, as in SEAL). An RM
whose ``p ≥ 0.05`` is *at chance* on the slice: its resistance cannot be told apart from guessing.

**Minimum detectable effect (MDE)** at power ``1 − β`` (80%) and two-sided level ``α`` (5%), z = standard normal
quantiles:

* a regression coefficient with standard error ``se`` (imprint): ``MDE = (z_{1−α'/2} + z_{1−β}) · se``, with
  ``α' = α / m`` for ``m`` features under Bonferroni or Holm (their strictest step), and ``α' = α`` unadjusted;
* a paired change in agreement (McNemar: pre vs post RM on the same pairs, or the same RM before and after a
  perturbation), with ``ψ`` the share of discordant pairs on the slice (pairs where the two verdicts differ: for a
  perturbation, its flip rate): the smallest ``δ`` (difference of the two agreement rates) with
  ``Φ((δ√n − z_{1−α/2}√ψ) / √(ψ − δ²)) = 1 − β``, the normal approximation of Connor (1987), solved numerically.
  The exact test is a little more conservative; the tests check the formula against simulated exact tests.

A result that is not significant and whose MDE exceeds the stated effect of interest (``AGREEMENT_EFFECT`` = 5
percentage points of agreement; ``IMPRINT_EFFECT_SD`` = 0.2 sd of an RM's scores) is *underpowered*: "no effect
found" there does not mean "no effect".
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.stats import binomtest, norm

from seal_core.errors import SealInputError

ALPHA = 0.05
POWER = 0.80
AGREEMENT_EFFECT = 0.05  # 5 percentage points of agreement with people
IMPRINT_EFFECT_SD = 0.2  # 0.2 sd of the RM's scores (a "small" effect)


def _check(alpha: float, power: float) -> None:
    if not 0 < alpha < 1:
        raise SealInputError(f"alpha must be between 0 and 1, got {alpha}")
    if not 0 < power < 1:
        raise SealInputError(f"power must be between 0 and 1, got {power}")


def chance_test(k: int, n: int) -> float:
    """Exact two-sided binomial p-value of ``k`` agreements in ``n`` pairs against a coin flip (½); NaN for n = 0.

    Examples
    --------
    >>> round(chance_test(60, 100), 4), round(chance_test(50, 100), 4)
    (0.0569, 1.0)
    """
    if n < 0 or not 0 <= k <= n:
        raise SealInputError(f"need 0 ≤ k ≤ n, got k={k}, n={n}")
    return float(binomtest(int(k), int(n), 0.5).pvalue) if n else float("nan")


def mde_coefficient(se: float | np.ndarray, *, n_tests: int = 1, alpha: float = ALPHA, power: float = POWER):
    """Smallest true coefficient a two-sided z-test at level ``alpha / n_tests`` detects with ``power``.

    Examples
    --------
    >>> round(mde_coefficient(0.1), 4)  # (1.95996 + 0.84162) · 0.1
    0.2802
    """
    _check(alpha, power)
    if n_tests < 1:
        raise SealInputError(f"n_tests must be at least 1, got {n_tests}")
    z = norm.isf(alpha / n_tests / 2) + norm.ppf(power)
    return z * np.asarray(se, dtype=float) if np.ndim(se) else float(z * se)


def mde_paired(n: int, discordant: float, *, alpha: float = ALPHA, power: float = POWER) -> float:
    """Smallest difference of two paired agreement rates that McNemar's test detects with ``power``, given ``n``
    pairs of which a share ``discordant`` differ. NaN when no pair is discordant (no variation to test) or when
    even every discordant pair moving one way would not reach ``power``.

    Examples
    --------
    >>> round(mde_paired(1000, 0.2), 4)
    0.0396
    """
    _check(alpha, power)
    if not 0 <= discordant <= 1:
        raise SealInputError(f"the discordant share must be in [0, 1], got {discordant}")
    if n <= 0 or discordant == 0:
        return float("nan")
    za, psi = norm.isf(alpha / 2), float(discordant)

    def gap(d: float) -> float:
        return norm.cdf((d * math.sqrt(n) - za * math.sqrt(psi)) / math.sqrt(max(psi - d * d, 1e-300))) - power

    if gap(psi * (1 - 1e-12)) < 0:
        return float("nan")
    return float(brentq(gap, 1e-12, psi * (1 - 1e-12), xtol=1e-10))


def underpowered(p: float, mde: float, effect: float, *, alpha: float = ALPHA) -> bool:
    """Not significant, and the slice could not have detected ``effect`` (its MDE is larger, or undefined)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return False
    return bool(p >= alpha and (math.isnan(mde) or mde > effect))


def underpowered_note(effect: float, mde: float, *, unit: str = "percentage points", scale: float = 100.0) -> str:
    """The label for an underpowered result, in words.

    Examples
    --------
    >>> print(underpowered_note(0.05, 0.091).replace(" (", "\\n("))
    underpowered: this slice could not have detected an effect of 5 percentage points
    (the smallest it detects with 80% power is 9.1 percentage points)
    """
    need = (
        "no effect is detectable"
        if math.isnan(mde)
        else f"the smallest it detects with 80% power is {mde * scale:.2g} {unit}"
    )
    return f"underpowered: this slice could not have detected an effect of {effect * scale:g} {unit} ({need})"
