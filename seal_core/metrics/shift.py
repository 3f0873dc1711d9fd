"""Reward vectors, reward directions and reward shift θ (seal-method.md §6).

For pair i, the pre-D RM gives ``u_i = (r̲(chosen), r̲(rejected))`` and the post-D RM ``v_i = (r(chosen), r(rejected))``.
SEAL's signed angle (``compute_angle``): ``degrees(arccos(â · b̂))``, negated when ``â_x b̂_y − â_y b̂_x < 0``, so it
lies in [−180°, 180°]. θ_i = angle(u_i, v_i) is the reward shift: positive θ is a counter-clockwise rotation in
the (chosen, rejected) plane. Its meaning depends on the quadrant: for reward vectors in the (−, −) quadrant, where
most of SEAL's OpenAssistant rewards lie, counter-clockwise is toward agreeing with people (SEAL: got aligned +18°,
reversed −10°); in the (+, +) quadrant it is away from it. The cosine to the ideal direction (1, −1)/√2 (``cos_u``,
``cos_v``, and their change ``delta_cos``) measures the move toward agreement in every quadrant. Directions are
measured from ``e = (−1/√2, −1/√2)``.

Differences from the reference, on purpose: the arccos argument is clipped to [−1, 1] (rounding can push a
near-parallel pair just past 1, which gave NaN and silently dropped the pair); a zero reward vector has no direction,
so its angle is NaN and counted as undefined rather than dropped unseen; an angle within ``ANGLE_TOL_DEG`` (1e-4°)
of 0 is float noise (``arccos(1 − ε)`` is about 1e-6°, and SEAL's sign rule never gives a negative angle when the
cross product is exactly 0) and is set to exactly 0, so identical RMs give θ = 0 and the sign test, which leaves
zeros out as ties, sees no evidence. The median's CI is distribution-free (order statistics): when no pair of order
statistics reaches the exact coverage asked for (n ≤ 5 at 95%), no interval is given, with the reason
(``median_ci_reason``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.descriptivestats import sign_test

from seal_core.errors import SealInputError

E = np.array([-1.0, -1.0]) / np.sqrt(2.0)
IDEAL = np.array([1.0, -1.0]) / np.sqrt(2.0)
ANGLE_TOL_DEG = 1e-4  # |θ| below this is float noise and reported as exactly 0


def signed_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SEAL's signed angle in degrees from each row of ``a`` to the matching row of ``b`` (arrays of shape (n, 2)).

    Parameters
    ----------
    a, b : array of shape (n, 2)
        Vectors (chosen reward, rejected reward).

    Returns
    -------
    ndarray of shape (n,)
        Angles in [−180°, 180°], counter-clockwise positive; NaN where either vector is zero.

    Examples
    --------
    >>> signed_angle(np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]), np.array([[0.0, 1.0], [0.0, -2.0], [-1.0, 0.0]]))
    array([ 90., -90., 180.])
    """
    a = np.atleast_2d(np.asarray(a, dtype=float))
    b = np.atleast_2d(np.asarray(b, dtype=float))
    if a.shape[-1] != 2 or b.shape[-1] != 2:
        raise SealInputError(f"reward vectors must have 2 components (chosen, rejected), got {a.shape} and {b.shape}")
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ah, bh = a / na[:, None], b / nb[:, None]
        cos = np.clip((ah * bh).sum(axis=1), -1.0, 1.0)
        ang = np.degrees(np.arccos(cos))
        cross = ah[:, 0] * bh[:, 1] - ah[:, 1] * bh[:, 0]
    ang = np.where(cross < 0, -ang, ang)
    ang = np.where(np.abs(ang) < ANGLE_TOL_DEG, 0.0, ang)
    return np.where((na == 0) | (nb == 0), np.nan, ang)


def cosine_to(v: np.ndarray, direction: np.ndarray = IDEAL) -> np.ndarray:
    """Cosine of each row of ``v`` (shape (n, 2)) to a unit ``direction``, by default the ideal (1, −1)/√2; NaN for a
    zero vector.

    Parameters
    ----------
    v : array of shape (n, 2)
        Reward vectors (chosen, rejected).
    direction : array of shape (2,)
        A unit vector.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> cosine_to(np.array([[1.0, -1.0], [1.0, 1.0], [0.0, 0.0]])).round(6)
    array([ 1.,  0., nan])
    """
    v = np.atleast_2d(np.asarray(v, dtype=float))
    n = np.linalg.norm(v, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n == 0, np.nan, v @ direction / n)


def reward_vectors(scores: pd.DataFrame, pre: str, post: str) -> pd.DataFrame:
    """Reward vectors of the pre (u) and post (v) RM, reward shift θ and directions, one row per pair scored by both.

    Parameters
    ----------
    scores : DataFrame
        The Scores table (``pair_id, model, score_chosen, score_rejected``), one row per pair and model.
    pre, post : str
        Model ids of the pre- and the post-training RM.

    Returns
    -------
    DataFrame
        ``pair_id, u_chosen, u_rejected`` (pre), ``v_chosen, v_rejected`` (post), ``theta_deg`` (shift),
        ``dir_u_deg``, ``dir_v_deg`` (directions from e), ``cos_u``, ``cos_v`` (to (1, −1)/√2), ``delta_cos``
        (cos_v − cos_u), ``agrees_pre``, ``agrees_post``; in the order of the pre RM's rows.

    Examples
    --------
    >>> s = pd.DataFrame({"pair_id": ["a", "b", "a", "b"], "model": ["pre", "pre", "post", "post"],
    ...                   "score_chosen": [1.0, 0.0, 0.0, 1.0], "score_rejected": [0.0, 1.0, 1.0, 0.0]})
    >>> reward_vectors(s, "pre", "post")[["pair_id", "theta_deg", "agrees_pre", "agrees_post"]].to_dict("list")
    {'pair_id': ['a', 'b'], 'theta_deg': [90.0, -90.0], 'agrees_pre': [True, False], 'agrees_post': [False, True]}
    """
    codes, uniques = pd.factorize(scores["pair_id"])
    return _reward_vectors(scores, pre, post, codes, len(uniques), ids=scores["pair_id"])


def _reward_vectors(scores: pd.DataFrame, pre: str, post: str, codes: np.ndarray, n: int, ids=None) -> pd.DataFrame:
    """:func:`reward_vectors` with the pairs already numbered (``codes``, 0 ≤ code < ``n``); ``pair_id`` is the
    code unless ``ids`` (one per row of ``scores``) is given."""
    if pre == post:
        raise SealInputError(f"pre and post name the same RM ({pre!r}); a reward shift needs two different RMs")
    models = scores["model"].unique()
    for m in (pre, post):
        if m not in models:
            raise SealInputError(f"model {m!r} not in scores; scores hold {sorted(models)}")
    rows = {}
    for name, m in (("pre", pre), ("post", post)):
        rows[name] = np.flatnonzero((scores["model"] == m).to_numpy(dtype=bool, na_value=False))
        if np.bincount(codes[rows[name]], minlength=n).max() > 1:
            raise SealInputError(f"the {name} RM has duplicate pair_ids in scores; one row per pair and model needed")
    # inner join on the pair, in the order of the pre RM's rows (as DataFrame.merge does)
    post_row = np.full(n, -1)
    post_row[codes[rows["post"]]] = rows["post"]
    matched = post_row[codes[rows["pre"]]]
    pre_rows, post_rows = rows["pre"][matched >= 0], matched[matched >= 0]
    sc, sr = scores["score_chosen"].to_numpy(dtype=float), scores["score_rejected"].to_numpy(dtype=float)
    pid = ids.iloc[pre_rows].reset_index(drop=True) if ids is not None else codes[pre_rows]
    df = pd.DataFrame({"pair_id": pid, "u_chosen": sc[pre_rows],
                       "u_rejected": sr[pre_rows], "v_chosen": sc[post_rows], "v_rejected": sr[post_rows]})  # fmt: skip
    U, V = df[["u_chosen", "u_rejected"]].to_numpy(), df[["v_chosen", "v_rejected"]].to_numpy()
    df["theta_deg"] = signed_angle(U, V)
    df["dir_u_deg"] = signed_angle(np.broadcast_to(E, U.shape), U)
    df["dir_v_deg"] = signed_angle(np.broadcast_to(E, V.shape), V)
    df["cos_u"], df["cos_v"] = cosine_to(U), cosine_to(V)
    df["delta_cos"] = df["cos_v"] - df["cos_u"]
    df["agrees_pre"] = df["u_chosen"] > df["u_rejected"]
    df["agrees_post"] = df["v_chosen"] > df["v_rejected"]
    return df


@dataclass(frozen=True)
class ShiftSummary:
    """The reward shift of a set of pairs in numbers (:func:`summarize_shift`).

    Attributes
    ----------
    n_pairs, n_undefined : int
        Pairs, and pairs with a zero reward vector (no angle).
    theta_mean_deg, theta_median_deg : float
        Mean and median θ in degrees; ``theta_median_ci`` its distribution-free CI.
    share_positive, sign_test_p : float
        Share of counter-clockwise shifts and the sign test's p.
    delta_cos_mean : float
        Mean change of the cosine to (1, −1)/√2: above 0, rewards moved toward agreeing with people.
    quadrants_pre, quadrants_post : dict
        Share of pairs in each quadrant of the (chosen, rejected) plane.
    """

    n_pairs: int
    n_undefined: int  # a zero reward vector: no direction, no angle
    theta_mean_deg: float
    theta_median_deg: float
    theta_median_ci: tuple[float, float]
    share_positive: float
    sign_test_p: float
    delta_cos_mean: float  # mean change of the cosine to (1, −1)/√2: > 0 means rewards moved toward agreement
    quadrants_pre: dict[str, float]
    quadrants_post: dict[str, float]
    theta_median_ci_note: str = ""  # why there is no median CI (too few pairs), else empty


def _quadrants(chosen: np.ndarray, rejected: np.ndarray) -> dict[str, float]:
    n = max(len(chosen), 1)
    return {
        "chosen_pos_rejected_neg": float(((chosen > 0) & (rejected <= 0)).sum() / n),
        "both_pos": float(((chosen > 0) & (rejected > 0)).sum() / n),
        "chosen_neg_rejected_pos": float(((chosen <= 0) & (rejected > 0)).sum() / n),
        "both_neg": float(((chosen <= 0) & (rejected <= 0)).sum() / n),
    }


def bootstrap_ci(values: np.ndarray, stat=np.mean, *, n_boot: int = 2000, ci: float = 0.95, seed: int = 0):
    """Percentile bootstrap CI of ``stat`` (called with ``axis=1``), for statistics with no closed-form interval.

    Resamples in chunks so memory stays bounded on large slices; NaNs are left out.

    Parameters
    ----------
    values : array
        The sample.
    stat : callable
        The statistic, e.g. ``np.mean`` or ``np.median``; called on a 2-D array with ``axis=1``.
    n_boot : int
        Resamples.
    ci : float
        Confidence level.
    seed : int
        Seed of the resampling (the same seed gives the same interval).

    Returns
    -------
    tuple of float
        (low, high); NaN, NaN for fewer than 2 values.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(5, 1, 400)
    >>> lo, hi = bootstrap_ci(x)
    >>> bool(lo < 5 < hi), bootstrap_ci(x) == (lo, hi)
    (True, True)
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    chunk = max(1, 2_000_000 // len(values))
    stats = np.concatenate([
        stat(values[rng.integers(0, len(values), size=(min(chunk, n_boot - i), len(values)))], axis=1)
        for i in range(0, n_boot, chunk)
    ])  # fmt: skip
    lo, hi = np.quantile(stats, [(1 - ci) / 2, 1 - (1 - ci) / 2])
    return (float(lo), float(hi))


def median_ci_reason(n: int, *, ci: float = 0.95) -> str | None:
    """Why :func:`median_ci` gives no interval for ``n`` values, or None when it gives one.

    The widest interval, [min, max], covers the median with probability 1 − 2·0.5ⁿ; below ``ci`` no interval has
    exact coverage.

    Examples
    --------
    >>> median_ci_reason(5)
    'no 95% CI for the median from 5 values: even [min, max] covers it only 93.8% of the time (needs at least 6)'
    >>> median_ci_reason(6) is None
    True
    """
    if n >= 1 and 1 - 2 * 0.5**n >= ci:
        return None
    need = next(k for k in range(1, 200) if 1 - 2 * 0.5**k >= ci)
    cover = max(1 - 2 * 0.5**n, 0.0)
    return (f"no {ci:.0%} CI for the median from {n} value{'s' if n != 1 else ''}: even [min, max] covers it only "
            f"{cover:.1%} of the time (needs at least {need})")  # fmt: skip


def median_ci(values: np.ndarray, *, ci: float = 0.95) -> tuple[float, float]:
    """Distribution-free CI of the median from order statistics (the binomial method): exact coverage ≥ ``ci``,
    no resampling, so it stays instant on 160,800 pairs. (NaN, NaN) when no interval reaches that coverage
    (:func:`median_ci_reason` says why).

    Parameters
    ----------
    values : array
        The sample (NaNs left out).
    ci : float
        Confidence level.

    Returns
    -------
    tuple of float
        (low, high); NaN, NaN for fewer than 2 values.

    Examples
    --------
    >>> median_ci(np.arange(1, 101))  # the 40th and 61st of 100 ordered values, as in the textbook tables
    (40.0, 61.0)
    """
    from scipy.stats import binom

    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if median_ci_reason(n, ci=ci):
        return (float("nan"), float("nan"))
    # coverage P(lo ≤ B ≤ hi), B ~ Bin(n, ½); the clamps only matter when [min, max] covers exactly ci
    lo = max(int(binom.ppf((1 - ci) / 2, n, 0.5)), 1)
    hi = min(int(binom.isf((1 - ci) / 2, n, 0.5)), n - 1)
    return (float(x[lo - 1]), float(x[hi]))


def _sign_p(theta: np.ndarray) -> float:
    """Sign test of θ against 0; zeros are ties and left out, so with no nonzero θ there is no test (NaN)."""
    return float(sign_test(theta, 0)[1]) if (theta != 0).any() else float("nan")


def summarize_shift(vectors: pd.DataFrame, *, ci: float = 0.95, seed: int = 0) -> ShiftSummary:
    """θ mean and median (order-statistic CI), share of positive shifts with a sign test, quadrant shares.

    Parameters
    ----------
    vectors : DataFrame
        From :func:`reward_vectors`.
    ci : float
        Confidence level of the median's CI.
    seed : int
        Unused (kept for callers that pass it).

    Returns
    -------
    ShiftSummary

    Examples
    --------
    >>> v = pd.DataFrame({"theta_deg": [10.0, 20.0, -5.0, np.nan], "delta_cos": [0.1, 0.2, -0.1, np.nan],
    ...                   "u_chosen": [-1.0, -1.0, 1.0, 0.0], "u_rejected": [-1.0, -2.0, 0.5, 0.0],
    ...                   "v_chosen": [-0.5, -0.5, 1.0, 1.0], "v_rejected": [-1.0, -2.0, 0.6, 0.0]})
    >>> s = summarize_shift(v)
    >>> s.n_undefined, s.theta_median_deg, round(s.share_positive, 3), s.quadrants_pre["both_neg"]
    (1, 10.0, 0.667, 0.75)
    """
    theta = vectors["theta_deg"].to_numpy(float)
    ok = theta[~np.isnan(theta)]
    p = _sign_p(ok)
    return ShiftSummary(
        n_pairs=len(vectors),
        n_undefined=int(np.isnan(theta).sum()),
        theta_mean_deg=float(ok.mean()) if len(ok) else float("nan"),
        theta_median_deg=float(np.median(ok)) if len(ok) else float("nan"),
        theta_median_ci=median_ci(ok, ci=ci),
        share_positive=float((ok > 0).mean()) if len(ok) else float("nan"),
        sign_test_p=p,
        delta_cos_mean=float(np.nanmean(vectors["delta_cos"])) if len(vectors) else float("nan"),
        quadrants_pre=_quadrants(vectors["u_chosen"].to_numpy(), vectors["u_rejected"].to_numpy()),
        quadrants_post=_quadrants(vectors["v_chosen"].to_numpy(), vectors["v_rejected"].to_numpy()),
        theta_median_ci_note=median_ci_reason(len(ok), ci=ci) or "",
    )


def theta_by_group(vectors: pd.DataFrame, group: pd.Series, *, ci: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """θ per group (regime, γ …): n, mean, median with its CI, share positive and the sign test's p.

    Parameters
    ----------
    vectors : DataFrame
        From :func:`reward_vectors` (``theta_deg``).
    group : Series or array
        The group of each row of ``vectors`` (by position); rows with a missing group are left out.
    ci : float
        Confidence level of the medians' CIs.
    seed : int
        Unused (kept for callers that pass it).

    Returns
    -------
    DataFrame
        ``group, n, theta_mean_deg, theta_median_deg, median_ci_low, median_ci_high, share_positive, sign_test_p``,
        one row per group, sorted.

    Examples
    --------
    >>> v = pd.DataFrame({"theta_deg": [10.0, 12.0, 9.0, 11.0, -1.0, -2.0, 1.0, np.nan]})
    >>> t = theta_by_group(v, pd.Series(["up"] * 4 + ["flat"] * 4))
    >>> t[["group", "n", "theta_mean_deg", "share_positive"]].to_dict("records")
    [{'group': 'flat', 'n': 3, 'theta_mean_deg': -0.6666666666666666, 'share_positive': 0.3333333333333333}, {'group': 'up', 'n': 4, 'theta_mean_deg': 10.5, 'share_positive': 1.0}]
    """
    rows = []
    codes, keys = pd.factorize(group, sort=True)  # groups in sorted order; missing keys left out
    theta = vectors["theta_deg"].to_numpy(dtype=float)
    for k, key in enumerate(keys):
        t = theta[codes == k]
        t = t[~np.isnan(t)]
        lo, hi = median_ci(t, ci=ci)
        rows.append({"group": key, "n": len(t), "theta_mean_deg": t.mean() if len(t) else np.nan,
                     "theta_median_deg": np.median(t) if len(t) else np.nan, "median_ci_low": lo, "median_ci_high": hi,
                     "share_positive": (t > 0).mean() if len(t) else np.nan,
                     "sign_test_p": _sign_p(t),
                     "median_ci_note": median_ci_reason(len(t), ci=ci) or ""})  # fmt: skip
    return pd.DataFrame(rows)
