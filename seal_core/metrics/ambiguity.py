"""Ambiguity ranking: which preference pairs are most likely ambiguous or mislabelled (seal-method.md §5.5).

Each component is in [0, 1] (1 = most suspicious) and shown on its own; the score is their weighted mean over the
components available (weights adjustable). Ties in the score are broken by ``pair_id``, so the ranking is
reproducible.

``small_margin``     the RMs barely separate the two responses: mean over RMs of exp(−|margin| / median |margin|)
``rm_disagreement``  the RMs disagree about which response is better (needs two or more RMs)
``labeler_vs_human`` the labeler's preference γ against the human label: 1 if it prefers the rejected response,
                     0.5 if indifferent, 0 if it agrees (needs features and target features)
``near_identical``   1 for identical responses; otherwise how close the responses' MiniLM embeddings are,
                     (cos − 0.8) / 0.2 clipped to [0, 1]
``length_confound``  the chosen response is the longer one while an RM prefers the rejected one: the label may be
                     about length; graded by the relative length difference
``label_quality``    confident-learning style: 1 − the RMs' mean self-confidence in the given label,
                     σ(margin / sd of that RM's margins), so a label the RMs confidently contradict scores high
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError

COMPONENTS = ("small_margin", "rm_disagreement", "labeler_vs_human", "near_identical", "length_confound",
              "label_quality")  # fmt: skip
DEFAULT_WEIGHTS = {c: 1.0 for c in COMPONENTS}


def ambiguity_components(
    pairs: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    gamma: pd.Series | None = None,
    similarity: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per pair with every component (NaN where it cannot be computed). ``gamma``: c/i/r per pair_id;
    ``similarity``: cosine of chosen vs rejected response per pair_id (see :func:`response_similarity`)."""
    if scores.empty:
        raise SealInputError("ambiguity needs the scores of at least one RM")
    wide = scores.pivot(index="pair_id", columns="model", values="margin")
    wide = wide.reindex(pairs["pair_id"])
    out = pd.DataFrame(index=pairs["pair_id"].to_numpy())
    scale = wide.abs().median().replace(0, np.nan)
    out["small_margin"] = np.exp(-wide.abs() / scale).mean(axis=1).to_numpy()
    signs = np.sign(wide)
    out["rm_disagreement"] = ((signs.max(axis=1) > 0) & (signs.min(axis=1) < 0)).astype(float).to_numpy() if (
        wide.shape[1] > 1) else np.nan  # fmt: skip
    if gamma is not None:
        out["labeler_vs_human"] = gamma.reindex(out.index).map({"r": 1.0, "i": 0.5, "c": 0.0}).to_numpy()
    else:
        out["labeler_vs_human"] = np.nan
    identical = (pairs["chosen"].str.strip() == pairs["rejected"].str.strip()).to_numpy()
    near = np.zeros(len(pairs))
    if similarity is not None:
        near = np.clip((similarity.reindex(out.index).to_numpy(float) - 0.8) / 0.2, 0, 1)
    out["near_identical"] = np.where(identical, 1.0, near)
    lc = pairs["chosen"].str.split().str.len().to_numpy(float)
    lr = pairs["rejected"].str.split().str.len().to_numpy(float)
    rel = np.where(np.maximum(lc, lr) > 0, (lc - lr) / np.maximum(np.maximum(lc, lr), 1), 0.0)
    some_rm_disagrees = (wide <= 0).any(axis=1).to_numpy()
    out["length_confound"] = np.where((rel > 0) & some_rm_disagrees, rel, 0.0)
    sd = wide.std().replace(0, np.nan)
    confidence = 1 / (1 + np.exp(-(wide / sd)))
    out["label_quality"] = (1 - confidence.mean(axis=1)).to_numpy()
    out.index.name = "pair_id"
    return out


def rank_pairs(components: pd.DataFrame, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Components plus ``score`` (weighted mean of the available components) and ``rank`` (1 = most ambiguous).

    Examples
    --------
    >>> c = pd.DataFrame({"small_margin": [0.1, 0.9, 0.9], "label_quality": [0.2, 0.8, 0.8]}, index=["a", "c", "b"])
    >>> r = rank_pairs(c)  # b and c tie on the score; the pair id breaks the tie
    >>> r.index.tolist(), r["rank"].tolist(), r["score"].round(2).tolist()
    (['b', 'c', 'a'], [1, 2, 3], [0.85, 0.85, 0.15])
    """
    w = {**{c: 0.0 for c in components.columns}, **(DEFAULT_WEIGHTS if weights is None else weights)}
    bad = {k: v for k, v in w.items() if v < 0}
    if bad:
        raise SealInputError(f"weights must be non-negative, got {bad}")
    cols = [c for c in components.columns if c in w]
    vals = components[cols].to_numpy(float)
    wts = np.array([w[c] for c in cols])
    mask = ~np.isnan(vals)
    denom = (mask * wts).sum(axis=1)
    score = np.where(denom > 0, np.nansum(vals * wts, axis=1) / np.where(denom > 0, denom, 1), 0.0)
    out = components.assign(score=score)
    out = out.rename_axis("pair_id").reset_index()
    out = out.sort_values(["score", "pair_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out.set_index("pair_id")


def response_similarity(pairs: pd.DataFrame) -> pd.Series:
    """Cosine of the chosen and rejected responses' MiniLM embeddings, per pair_id (offline encoder)."""
    from seal_core.models.encoder import Encoder

    enc = Encoder.shared()
    a, b = enc.embed(pairs["chosen"].tolist()), enc.embed(pairs["rejected"].tolist())
    return pd.Series(np.einsum("ij,ij->i", a, b).astype(float), index=pairs["pair_id"].to_numpy())


def weights_from(values: Sequence[float]) -> dict[str, float]:
    return dict(zip(COMPONENTS, values))
