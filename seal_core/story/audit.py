"""Run a whole audit of one slice: score with the pre/post RMs, label the texts, run the robustness edits on a
seeded sample, and build the :class:`~seal_core.story.report.AuditReport` (what ``seal report`` does)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from seal_core.errors import SealInputError
from seal_core.story.report import AuditReport, build_report

ROBUSTNESS_EDITS = ("typos", "insult")
Progress = Callable[[str], None]


def run_audit(
    pairs: pd.DataFrame,
    *,
    pre=None,
    post=None,
    featurizer=None,
    robustness_sample: int = 200,
    seed: int = 0,
    score_cache=None,
    label_cache=None,
    setup: dict | None = None,
    command: str = "",
    say: Progress | None = None,
) -> AuditReport:
    """The audit report of ``pairs`` for the RMs ``pre`` and/or ``post`` (:class:`~seal_core.models.RewardModel`).

    ``featurizer`` labels the texts (None: no labels, so no imprint or labeler findings). ``robustness_sample``
    pairs (drawn with ``seed``; 0 skips robustness) are edited with typos and an appended insult and re-scored.
    ``say`` receives one line per step (the CLI prints them).
    """
    from seal_core.features import label_pairs
    from seal_core.robustness import run_robustness
    from seal_core.scoring import score_pairs

    if pre is None and post is None:
        raise SealInputError("the report needs at least one reward model (--pre and/or --post)")
    if not len(pairs):
        raise SealInputError("the slice is empty: nothing to report on")
    if robustness_sample < 0:
        raise SealInputError(f"--robustness-sample must be 0 or more, got {robustness_sample}")
    say = say or (lambda _: None)
    rms = [m for m in (pre, post) if m is not None]
    tables = []
    for rm in rms:
        say(f"scoring {len(pairs):,} pairs with {rm.name}")
        tables.append(score_pairs(pairs, rm, cache=score_cache))
    scores = pd.concat(tables, ignore_index=True)
    features = None
    if featurizer is not None:
        say(f"labelling {2 * len(pairs):,} texts with {featurizer.key}")
        features = label_pairs(pairs, featurizer, cache=label_cache).labelled()
    robustness = None
    if robustness_sample:
        sample = pairs.sample(robustness_sample, random_state=seed) if len(pairs) > robustness_sample else pairs
        say(f"robustness: {', '.join(ROBUSTNESS_EDITS)} on {len(sample):,} pairs (seed {seed})")
        robustness = run_robustness(sample, rms, list(ROBUSTNESS_EDITS), seed=seed, cache=score_cache).rows
    info = {**(setup or {}), "labeler": featurizer.key if featurizer is not None else "none",
            "seeds": f"slice {(setup or {}).get('slice_seed', 0)}, robustness sample and edits {seed}"}  # fmt: skip
    info.pop("slice_seed", None)
    say("writing the findings")
    return build_report(scores, pre=pre and pre.model_id, post=post and post.model_id, pairs=pairs,
                        features=features, robustness=robustness, setup=info, command=command)  # fmt: skip
