"""The typed results the pages draw, computed once per content and kept in the app's memo (:func:`ui.loaders.memo`).

Keys say what a result depends on (the slice's content hash, each role's model, where the features came from and
the options), so every page and session asking for the same result shares one computation.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from seal_core.analysis import Analysis, analyze
from seal_core.features import regression_columns
from seal_core.metrics.ambiguity import TriageQueue, ambiguity_components, triage_queue
from seal_core.metrics.imprint import ImprintResult, feature_imprint
from seal_core.metrics.regimes import default_gamma_targets, labeler_preference
from ui.loaders import get_similarity, memo
from ui.sidebar import Context


def get_analysis(
    ctx: Context, scores: pd.DataFrame, *, features: pd.DataFrame | None = None, features_key: tuple = (),
    targets: Sequence[str] = (),
) -> Analysis:  # fmt: skip
    """The pre/post audit of the slice: regimes, γ (with features and targets), shift, and the regressions when
    they can be fitted (else ``analysis.regimes.regression_note`` says why)."""
    ids = ctx.model_ids()
    feats = features if features is not None and targets else None
    key = ("analysis", ctx.scores_key, features_key if feats is not None else None, tuple(targets))
    return memo().get(key, lambda: analyze(scores, pre=ids["pre"], post=ids["post"], features=feats,
                                           gamma_targets=tuple(targets), regress="if_possible"))  # fmt: skip


def get_imprint(
    ctx: Context, scores: pd.DataFrame, features: pd.DataFrame, features_key: tuple, **options
) -> ImprintResult:
    """Feature imprint of every selected RM (and post − pre with both)."""
    ids = ctx.model_ids()
    feats = features.drop(columns=["labeler"], errors="ignore")
    key = ("imprint", ctx.scores_key, features_key, repr(sorted(options.items())))
    return memo().get(key, lambda: feature_imprint(scores, feats, pre=ids.get("pre"), post=ids.get("post"), **options))


def get_triage(
    ctx: Context, scores: pd.DataFrame, rules: pd.DataFrame, weights: dict[str, float]
) -> tuple[TriageQueue, pd.Series]:
    """The ranked triage queue of the slice and the rules' γ (components computed once per content)."""
    targets = default_gamma_targets(regression_columns(rules))

    def components() -> tuple[pd.DataFrame, pd.Series]:
        gamma = labeler_preference(rules, targets)
        sim = get_similarity(ctx.pairs, key=ctx.pairs_key)
        return ambiguity_components(ctx.pairs, scores, gamma=gamma, similarity=sim), gamma

    comp, gamma = memo().get(("ambiguity", ctx.scores_key, tuple(targets)), components)
    return triage_queue(comp, weights), gamma
