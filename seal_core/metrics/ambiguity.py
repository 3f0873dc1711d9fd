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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError
from seal_core.metrics._common import jsonable
from seal_core.options import choose

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
    """Every ambiguity component of every pair (NaN where it cannot be computed; see the module docstring).

    Parameters
    ----------
    pairs : DataFrame
        The Pairs table (``pair_id, chosen, rejected``).
    scores : DataFrame
        The Scores table of one or more RMs (``pair_id, model, margin``).
    gamma : Series, optional
        γ per pair_id (c/i/r); without it ``labeler_vs_human`` is NaN.
    similarity : Series, optional
        Cosine of the chosen and rejected responses per pair_id (:func:`response_similarity`).

    Returns
    -------
    DataFrame
        Indexed by pair_id, one column per component of :data:`COMPONENTS`, each in [0, 1].

    Examples
    --------
    >>> pairs = pd.DataFrame({"pair_id": ["a", "b"], "chosen": ["Sure, here it is.", "same"],
    ...                       "rejected": ["No.", "same"]})
    >>> scores = pd.DataFrame({"pair_id": ["a", "b", "a", "b"], "model": ["x", "x", "y", "y"],
    ...                        "margin": [2.0, 0.1, -1.0, 0.1]})
    >>> c = ambiguity_components(pairs, scores, gamma=pd.Series({"a": "c", "b": "i"}))
    >>> c[["rm_disagreement", "labeler_vs_human", "near_identical"]].to_dict("index")
    {'a': {'rm_disagreement': 1.0, 'labeler_vs_human': 0.0, 'near_identical': 0.0}, 'b': {'rm_disagreement': 0.0, 'labeler_vs_human': 0.5, 'near_identical': 1.0}}
    """
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

    Parameters
    ----------
    components : DataFrame
        Indexed by pair_id, one column per component (:func:`ambiguity_components`).
    weights : dict, optional
        Weight per component (default 1 each; a component missing from the dict counts 0 if not a default one).

    Returns
    -------
    DataFrame
        Indexed by pair_id, most ambiguous first: the components, ``score`` and ``rank``.

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


@dataclass(frozen=True)
class TriageQueue:
    """The slice's pairs ranked by ambiguity, most ambiguous first (:func:`triage_queue`).

    Attributes
    ----------
    ranked : DataFrame
        Indexed by pair_id: every component, ``score`` (their weighted mean) and ``rank`` (1 = most ambiguous).
    weights : dict
        The weight of each component.
    """

    ranked: pd.DataFrame
    weights: dict[str, float]

    def filter(self, *, component: str | None = None, at_least: float = 0.0, exclude=(), only=None) -> pd.DataFrame:
        """The queue restricted to pairs whose ``component`` is at least ``at_least`` (missing counts as 0), without
        the pair ids in ``exclude`` and, when given, within ``only``; ranks unchanged.

        Examples
        --------
        >>> q = triage_queue(pd.DataFrame({"small_margin": [0.2, 0.9, 0.6]}, index=["a", "b", "c"]))
        >>> q.filter(component="small_margin", at_least=0.5, exclude={"b"}).index.tolist()
        ['c']
        """
        q = self.ranked
        if component is not None:
            column = choose("component", component, {c: c for c in COMPONENTS if c in q}, option="component")
            q = q[q[column].fillna(0) >= at_least]
        if exclude:
            q = q[~q.index.isin(list(exclude))]
        if only is not None:
            q = q[q.index.isin(list(only))]
        return q

    def to_dict(self) -> dict:
        """Weights and the ranked pairs (JSON-ready)."""
        return jsonable({"weights": self.weights, "ranked": self.ranked.reset_index()})


def triage_queue(components: pd.DataFrame, weights: dict[str, float] | None = None) -> TriageQueue:
    """Rank pairs by their ambiguity components (see :func:`ambiguity_components`) into a :class:`TriageQueue`.

    Parameters
    ----------
    components : DataFrame
        Indexed by pair_id, one column per component.
    weights : dict, optional
        Weight per component (default: 1 each).

    Returns
    -------
    TriageQueue

    Examples
    --------
    >>> c = pd.DataFrame({"small_margin": [0.1, 0.9], "rm_disagreement": [0.0, 1.0]}, index=["a", "b"])
    >>> q = triage_queue(c, {"small_margin": 1.0, "rm_disagreement": 3.0})
    >>> q.ranked.index.tolist(), q.ranked["score"].round(3).tolist()
    (['b', 'a'], [0.975, 0.025])
    """
    ranked = rank_pairs(components, weights)
    used = {**DEFAULT_WEIGHTS, **(weights or {})}
    return TriageQueue(ranked=ranked, weights={c: float(used[c]) for c in components.columns if c in used})


def response_similarity(pairs: pd.DataFrame) -> pd.Series:
    """Cosine of the chosen and rejected responses' MiniLM embeddings, per pair_id (offline encoder).

    Parameters
    ----------
    pairs : DataFrame
        The Pairs table (``pair_id, chosen, rejected``).

    Returns
    -------
    Series
        Cosine similarity per pair_id, in [−1, 1].

    Examples
    --------
    >>> pairs = pd.DataFrame({"pair_id": ["a", "b"], "chosen": ["Hello there!", "Paris is in France."],
    ...                       "rejected": ["Hello there!", "I like turtles."]})
    >>> sim = response_similarity(pairs)
    >>> round(float(sim["a"]), 3), bool(sim["b"] < 0.5)
    (1.0, True)
    """
    from seal_core.models.encoder import Encoder

    enc = Encoder.shared()
    a, b = enc.embed(pairs["chosen"].tolist()), enc.embed(pairs["rejected"].tolist())
    return pd.Series(np.einsum("ij,ij->i", a, b).astype(float), index=pairs["pair_id"].to_numpy())


def weights_from(values: Sequence[float]) -> dict[str, float]:
    """Weights by component from a list in :data:`COMPONENTS` order.

    Parameters
    ----------
    values : sequence of float
        Weights in :data:`COMPONENTS` order (a shorter list weights the first components only).

    Returns
    -------
    dict

    Examples
    --------
    >>> weights_from([2.0, 1.0])
    {'small_margin': 2.0, 'rm_disagreement': 1.0}
    """
    return dict(zip(COMPONENTS, values))
