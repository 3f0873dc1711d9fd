"""Planted-effect self-check: does the instrument recover effects put there on purpose? (``seal selfcheck``)

Synthetic reward models over the real bundled texts and their rule features, with known effects, run through the
project's own pipelines (the functions the app and the CLI call, not copies of them):

imprint   ``r(t) = α_pair + Σ_τ β_τ t(τ) + ε`` for a pre and a post RM with known β̲ and β, independent normal noise;
          :func:`~seal_core.metrics.imprint.feature_imprint` (pair fixed effects, SEs clustered by pair) must
          recover β̲, β and β − β̲, and its 95% CIs must cover them at close to 95% over repeated draws.
regimes   the same two RMs: P(RM agrees on pair i) = Φ(Δμ_i / (σ√2)) is known exactly, so the expected share of each
          regime and of P(misaligned | γ) (γ from the planted RMs' features, e.g. ``-insult``) is known;
          :func:`~seal_core.metrics.regimes.regime_table` and
          :func:`~seal_core.metrics.regimes.misalignment_given_gamma` must recover them, their Wilson CIs covering.
theta     the post RM is the pre RM rotated by a known angle per pair,
          ``θ_i = θ₀ + Σ δ_τ t_i(τ) + N(0, s²)`` degrees (then rescaled): :func:`~seal_core.metrics.shift.reward_vectors`
          must return each θ_i exactly, and the θ regression (:func:`~seal_core.metrics.regimes.pair_regression`)
          must recover δ with covering CIs.
pi        a synthetic perturbation flips each text's features at random (lost with one probability, gained with
          another); the RM becomes misaligned with probability ``p₀ + Σ π · 1{flip}``:
          :func:`~seal_core.metrics.robustness.flip_variables` and
          :func:`~seal_core.metrics.robustness.robustness_scores` must recover π with covering CIs.

A row passes when its mean estimate is within 4 standard errors (of that mean, over the replications) of the planted
value and its CI coverage is consistent with the nominal level (two-sided exact binomial test, p ≥ 0.001); each
check's pooled coverage must lie in ``ci ± max(0.03, 4·sqrt(ci(1 − ci)/N))`` for its N intervals (0.92–0.98 for
the imprint's 200 × 7 intervals). The exact θ recovery must hold to 1e-6 degrees.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import binomtest, norm

from seal_core.errors import SealInputError
from seal_core.features import transform_for_regression
from seal_core.metrics.design import wide_features
from seal_core.metrics.imprint import feature_imprint
from seal_core.metrics.regimes import (
    REGIMES,
    labeler_preference,
    misalignment_given_gamma,
    pair_agreement,
    regime_table,
)
from seal_core.metrics.regression import pair_regression
from seal_core.metrics.robustness import flip_variables, robustness_scores
from seal_core.metrics.shift import reward_vectors

TABLE_COLUMNS = ["check", "quantity", "planted", "recovered", "sd", "se", "coverage", "n_reps", "ok"]
CHECKS = ("imprint", "regimes", "theta", "pi")


def _frozen(d: Mapping[str, float]) -> Callable[[], dict[str, float]]:
    return lambda: dict(d)


@dataclass(frozen=True)
class Planted:
    """The planted world. Defaults use rule features with enough pairs whose two texts differ (≥ 117 of 1,800)."""

    beta_post: dict[str, float] = field(default_factory=_frozen({
        "response_apologizes": 0.5, "last_response_contains_insult": -0.6, "response_words": -0.2,
        "last_response_is_refusal": 0.6, "last_response_sentiment": 0.3, "response_hedges": 0.0,
        "response_asks_question": 0.15,
    }))  # fmt: skip
    beta_pre: dict[str, float] = field(default_factory=_frozen({
        "response_apologizes": 0.1, "last_response_contains_insult": -0.2, "response_words": 0.1,
        "last_response_is_refusal": 0.0, "last_response_sentiment": 0.2, "response_hedges": 0.05,
        "response_asks_question": 0.0,
    }))  # fmt: skip
    sd_pre: float = 0.5
    sd_post: float = 1.0
    pair_sd: float = 1.0
    gamma_targets: tuple[str, ...] = ("-last_response_contains_insult", "last_response_is_refusal")
    theta0_deg: float = 6.0
    theta_effects: dict[str, float] = field(default_factory=_frozen({
        "last_response_is_refusal (c)": 10.0, "response_apologizes (r)": -8.0, "last_response_sentiment (c)": 3.0,
    }))  # fmt: skip
    theta_sd_deg: float = 10.0
    post_scale: float = 1.5
    pi_features: tuple[str, ...] = ("response_hedges", "response_asks_question")
    flip_loss: float = 0.3
    flip_gain: float = 0.15
    pi_base: float = 0.2
    pi: dict[str, float] = field(default_factory=_frozen({
        "π+ response_hedges_c": 0.12, "π− response_asks_question_r": 0.10, "π− response_hedges_c": -0.05,
    }))  # fmt: skip


@dataclass(frozen=True)
class SelfCheckResult:
    """Planted against recovered values.

    Attributes
    ----------
    table : DataFrame
        One row per planted quantity: ``check, quantity, planted, recovered`` (mean over replications), ``sd`` (of
        the estimates over replications), ``se`` (mean reported SE, where the pipeline reports one), ``coverage``
        (share of replications whose CI held the planted value), ``n_reps, ok``.
    pooled : DataFrame
        Per check: ``check, n_intervals, coverage, band_low, band_high, ok``.
    """

    table: pd.DataFrame
    pooled: pd.DataFrame
    n_pairs: int
    n_reps: int
    seed: int
    ci: float
    seconds: float

    @property
    def passed(self) -> bool:
        return bool(self.table["ok"].all() and self.pooled["ok"].all())

    def failures(self) -> list[str]:
        bad = [f"{r.check}: {r.quantity}" for r in self.table.itertuples() if not r.ok]
        return bad + [f"{r.check}: pooled coverage {r.coverage:.3f}" for r in self.pooled.itertuples() if not r.ok]

    def to_dict(self) -> dict:
        return {"passed": self.passed, "n_pairs": self.n_pairs, "n_reps": self.n_reps, "seed": self.seed,
                "ci": self.ci, "seconds": self.seconds, "failures": self.failures(),
                "table": self.table.to_dict("records"), "pooled": self.pooled.to_dict("records")}  # fmt: skip


def _band(ci: float, n: int) -> tuple[float, float]:
    half = max(0.03, 4 * np.sqrt(ci * (1 - ci) / max(n, 1)))
    return ci - half, min(1.0, ci + half)


def _summarise(check: str, quantity: str, planted: float, est, low, high, se, ci: float) -> dict:
    est, low, high = (np.asarray(a, dtype=float) for a in (est, low, high))
    n = len(est)
    covered = (low <= planted) & (planted <= high)
    sd = float(est.std(ddof=1)) if n > 1 else float("nan")
    z = abs(est.mean() - planted) / (sd / np.sqrt(n)) if n > 1 and sd > 0 else 0.0
    p_cov = binomtest(int(covered.sum()), n, ci).pvalue if n else 1.0
    return {"check": check, "quantity": quantity, "planted": float(planted), "recovered": float(est.mean()),
            "sd": sd, "se": float(np.mean(se)) if se is not None else float("nan"),
            "coverage": float(covered.mean()), "n_reps": n, "ok": bool(z <= 4 and p_cov >= 1e-3),
            "_covered": covered}  # fmt: skip


def _phi_agree(delta: np.ndarray, sd: float) -> np.ndarray:
    return norm.cdf(delta / (sd * np.sqrt(2)))


def _scores(pair_ids: np.ndarray, model: str, chosen: np.ndarray, rejected: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"pair_id": pair_ids, "model": model, "score_chosen": chosen, "score_rejected": rejected,
                         "margin": chosen - rejected})  # fmt: skip


def _prepare(features: pd.DataFrame, planted: Planted) -> tuple[pd.DataFrame, pd.DataFrame]:
    cols = list(dict.fromkeys([*planted.beta_post, *planted.beta_pre, *planted.pi_features,
                               *(t.lstrip("-") for t in planted.gamma_targets),
                               *(t.rsplit(" (", 1)[0] for t in planted.theta_effects)]))  # fmt: skip
    missing = [c for c in cols if c not in features.columns]
    if missing:
        raise SealInputError(f"the features lack {missing}; the self-check needs the rule features (seal label)")
    if set(planted.beta_pre) != set(planted.beta_post):
        raise SealInputError("beta_pre and beta_post must name the same features")
    raw = features[["pair_id", "side", *cols]].copy()
    complete = raw.dropna().groupby("pair_id")["side"].transform("size") == 2
    raw = raw.dropna()[complete]
    codes = pd.Index(pd.unique(raw["pair_id"]))  # integer pair ids: faster joins, same results
    raw["pair_id"] = codes.get_indexer(raw["pair_id"])
    raw = raw.sort_values(["pair_id", "side"]).reset_index(drop=True)
    if raw["pair_id"].nunique() < 50:
        raise SealInputError(f"only {raw['pair_id'].nunique()} fully labelled pairs; the self-check needs 50 or more")
    return raw, transform_for_regression(raw)


def selfcheck(
    pairs: pd.DataFrame | None = None,
    features: pd.DataFrame | None = None,
    *,
    planted: Planted | None = None,
    reps: int = 200,
    seed: int = 0,
    ci: float = 0.95,
    checks: tuple[str, ...] = CHECKS,
    progress: Callable[[int, int], None] | None = None,
) -> SelfCheckResult:
    """Run the planted-effect self-check.

    Parameters
    ----------
    pairs : DataFrame, optional
        Pairs to label with the rule features (default: the bundled sample). Ignored when ``features`` is given.
    features : DataFrame, optional
        A Features table (one labeler) holding every feature the planted world names.
    reps : int
        Replications (fresh noise, perturbations and rotations each time; same texts and features).

    Examples
    --------
    >>> from seal_core.data import load_pairs
    >>> res = selfcheck(load_pairs().pairs.head(200), reps=5, checks=("theta",))
    >>> first = res.table.iloc[0]
    >>> first["quantity"], bool(first["ok"])
    ('θ per pair (max |error|, degrees)', True)
    """
    if reps < 2:
        raise SealInputError(f"the self-check needs at least 2 replications, got {reps}")
    if not 0 < ci < 1:
        raise SealInputError(f"ci must be between 0 and 1, got {ci}")
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        raise SealInputError(f"unknown check(s) {unknown}; expected some of {list(CHECKS)}")
    planted = planted or Planted()
    start = time.perf_counter()
    if features is None:
        from seal_core.data import load_pairs
        from seal_core.features import LabelCache, RulesFeaturizer, label_pairs

        pairs = load_pairs().pairs if pairs is None else pairs
        features = label_pairs(pairs, RulesFeaturizer(), cache=LabelCache()).features
    raw, design = _prepare(features.drop(columns=["labeler"], errors="ignore"), planted)
    rng = np.random.default_rng(seed)
    cols = list(planted.beta_post)
    ch, rj = design[design["side"] == "chosen"], design[design["side"] == "rejected"]
    pids = ch["pair_id"].to_numpy()
    n = len(pids)
    Xc, Xr = ch[cols].to_numpy(float), rj[cols].to_numpy(float)
    b_pre = np.array([planted.beta_pre[c] for c in cols])
    b_post = np.array([planted.beta_post[c] for c in cols])
    rows: list[dict] = []

    # the planted pre and post RMs, all replications at once (n pairs × reps)
    def draw(beta, sd):
        alpha = rng.normal(0, planted.pair_sd, (n, reps))
        return (alpha + (Xc @ beta)[:, None] + rng.normal(0, sd, (n, reps)),
                alpha + (Xr @ beta)[:, None] + rng.normal(0, sd, (n, reps)))  # fmt: skip

    pre_c, pre_r = draw(b_pre, planted.sd_pre)
    post_c, post_r = draw(b_post, planted.sd_post)
    steps, step = len(checks), 0

    if "imprint" in checks:
        feats_imp = raw[["pair_id", "side", *cols]]  # feature_imprint transforms counts itself
        out = []
        for r in range(reps):
            s = pd.concat([_scores(pids, "pre", pre_c[:, r], pre_r[:, r]),
                           _scores(pids, "post", post_c[:, r], post_r[:, r])], ignore_index=True)  # fmt: skip
            t = feature_imprint(s, feats_imp, pre="pre", post="post", feature_cols=cols, adjust="none", ci=ci)
            out.append(t.table.assign(rep=r))
        est = pd.concat(out, ignore_index=True)
        truth = {"pre": planted.beta_pre, "post": planted.beta_post,
                 "difference": {c: planted.beta_post[c] - planted.beta_pre[c] for c in cols}}  # fmt: skip
        for role, label in (("pre", "β̲ (pre RM)"), ("post", "β (post RM)"), ("difference", "β − β̲")):
            for c in cols:
                d = est[(est["role"] == role) & (est["feature"] == c)]
                if len(d) != reps:
                    raise SealInputError(f"the imprint dropped {c} in some replications; plant on other features")
                rows.append(_summarise("imprint", f"{label}: {c}", truth[role][c], d["coef"], d["ci_low"],
                                       d["ci_high"], d["se"], ci))  # fmt: skip
        step += 1
        if progress:
            progress(step, steps)

    if "regimes" in checks:
        gamma = labeler_preference(raw, planted.gamma_targets)
        g = gamma.reindex(pids).to_numpy()
        p_pre = _phi_agree((Xc - Xr) @ b_pre, planted.sd_pre)
        p_post = _phi_agree((Xc - Xr) @ b_post, planted.sd_post)
        truth_regime = {"stayed_aligned": p_pre * p_post, "got_aligned": (1 - p_pre) * p_post,
                        "resisted": (1 - p_pre) * (1 - p_post), "reversed": p_pre * (1 - p_post)}  # fmt: skip
        reg, mis = [], []
        for r in range(reps):
            s = pd.concat([_scores(pids, "pre", pre_c[:, r], pre_r[:, r]),
                           _scores(pids, "post", post_c[:, r], post_r[:, r])], ignore_index=True)  # fmt: skip
            agreement = pair_agreement(s, "pre", "post")
            reg.append(regime_table(agreement, ci=ci))
            mis.append(misalignment_given_gamma(agreement, gamma, ci=ci))
        reg_df, mis_df = pd.concat(reg, ignore_index=True), pd.concat(mis, ignore_index=True)
        for name in REGIMES:
            d = reg_df[reg_df["regime"] == name]
            rows.append(_summarise("regimes", f"share {name}", truth_regime[name].mean(), d["share"],
                                   d["ci_low"], d["ci_high"], None, ci))  # fmt: skip
        for gg in ("c", "i", "r"):
            if not (g == gg).any():
                continue
            for role, p in (("pre", p_pre), ("post", p_post)):
                d = mis_df[(mis_df["gamma"] == gg) & (mis_df["rm"] == role)]
                rows.append(_summarise("regimes", f"P({role} RM misaligned | γ = {gg})", (1 - p[g == gg]).mean(),
                                       d["share"], d["ci_low"], d["ci_high"], None, ci))  # fmt: skip
        step += 1
        if progress:
            progress(step, steps)

    if "theta" in checks:
        wide = wide_features(design, cols + [c for c in dict.fromkeys(
            t.rsplit(" (", 1)[0] for t in planted.theta_effects) if c not in cols])  # fmt: skip
        wide = wide.reindex(pids)
        unknown_terms = [t for t in planted.theta_effects if t not in wide.columns]
        if unknown_terms:
            raise SealInputError(f"unknown θ term(s) {unknown_terms}; terms look like 'feature (c)' or 'feature (r)'")
        delta = np.array([planted.theta_effects.get(t, 0.0) for t in wide.columns])
        theta = planted.theta0_deg + (wide.to_numpy(float) @ delta)[:, None] + rng.normal(
            0, planted.theta_sd_deg, (n, reps))  # fmt: skip
        if np.abs(theta).max() >= 180:
            raise SealInputError("planted θ reaches ±180°, where the angle wraps; plant smaller effects")
        rad = np.radians(theta)
        v_c = planted.post_scale * (np.cos(rad) * pre_c - np.sin(rad) * pre_r)
        v_r = planted.post_scale * (np.sin(rad) * pre_c + np.cos(rad) * pre_r)
        outcomes, worst = {}, 0.0
        for r in range(reps):
            s = pd.concat([_scores(pids, "pre", pre_c[:, r], pre_r[:, r]),
                           _scores(pids, "post", v_c[:, r], v_r[:, r])], ignore_index=True)  # fmt: skip
            vec = reward_vectors(s, "pre", "post").set_index("pair_id").reindex(pids)
            worst = max(worst, float(np.nanmax(np.abs(vec["theta_deg"].to_numpy() - theta[:, r]))))
            outcomes[r] = vec["theta_deg"]
        reg_theta = pair_regression(outcomes, wide, adjust="none", ci=ci).table
        rows.append({"check": "theta", "quantity": "θ per pair (max |error|, degrees)", "planted": 0.0,
                     "recovered": worst, "sd": np.nan, "se": np.nan, "coverage": np.nan, "n_reps": reps,
                     "ok": bool(worst < 1e-6), "_covered": np.array([], bool)})  # fmt: skip
        for k, term in enumerate(wide.columns):
            d = reg_theta[reg_theta["term"] == term]
            if len(d) != reps:
                raise SealInputError(f"the θ regression dropped {term}; plant on other features")
            rows.append(_summarise("theta", f"δ {term}", delta[k], d["coef"], d["ci_low"], d["ci_high"], d["se"],
                                   ci))  # fmt: skip
        step += 1
        if progress:
            progress(step, steps)

    if "pi" in checks:
        pf = list(planted.pi_features)
        base = raw[["pair_id", "side", *pf]].reset_index(drop=True)
        x = base[pf].to_numpy(float)
        if not np.isin(x, (0, 1)).all():
            raise SealInputError(f"π is planted on boolean features; {pf} hold other values")
        out = []
        for r in range(reps):
            u = rng.random(x.shape)
            new = np.where(x == 1, (u >= planted.flip_loss).astype(float), (u < planted.flip_gain).astype(float))
            pert = base.copy()
            pert[pf] = new
            flips = flip_variables(base, pert, pf)
            prob = np.full(len(flips), planted.pi_base)
            for term, effect in planted.pi.items():
                sign, col = (1 if term.startswith("π+") else -1), term.split(" ", 1)[1]
                if col not in flips.columns:
                    raise SealInputError(f"unknown π term {term!r}; terms look like 'π+ {pf[0]}_c'")
                prob += effect * (flips[col].to_numpy() == sign)
            if prob.min() < 0 or prob.max() > 1:
                raise SealInputError("planted π gives probabilities outside [0, 1]; plant smaller effects")
            y = pd.Series(rng.random(len(flips)) < prob, index=flips.index)
            out.append(robustness_scores(flips, y, ci=ci).table.assign(rep=r))
        est = pd.concat(out, ignore_index=True)
        for col in [f"{f}_{s}" for f in pf for s in ("c", "r")]:
            for label in ("π+", "π−"):
                term = f"{label} {col}"
                d = est[est["term"] == term]
                rows.append(_summarise("pi", term, planted.pi.get(term, 0.0), d["estimate"], d["ci_low"],
                                       d["ci_high"], d["se"], ci))  # fmt: skip
        step += 1
        if progress:
            progress(step, steps)

    table = pd.DataFrame(rows)
    pooled = []
    for check, d in table.groupby("check", sort=False):
        covered = np.concatenate(d["_covered"].to_list())
        if not len(covered):
            continue
        lo, hi = _band(ci, len(covered))
        cov = float(covered.mean())
        pooled.append({"check": check, "n_intervals": len(covered), "coverage": cov, "band_low": lo,
                       "band_high": hi, "ok": bool(lo <= cov <= hi)})  # fmt: skip
    return SelfCheckResult(
        table=table.drop(columns="_covered")[TABLE_COLUMNS],
        pooled=pd.DataFrame(pooled),
        n_pairs=n,
        n_reps=reps,
        seed=seed,
        ci=ci,
        seconds=time.perf_counter() - start,
    )
