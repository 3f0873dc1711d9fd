"""SEAL's metrics: pure functions on tidy tables, validated at the boundary, each returning a table or a typed result.

=========================  ==========================================================================
:mod:`.resistance`         agreement and alignment resistance with CIs (seal-method.md §5.1)
:mod:`.regimes`            regimes, γ, P(misaligned | γ), regime × γ, three-way agreement, McNemar (§5)
:mod:`.shift`              reward vectors, signed angles θ, directions, θ summaries and CIs (§6)
:mod:`.design`             each pair's chosen and rejected features side by side
:mod:`.regression`         per-pair regressions with robust SEs: misalignment LPM (§4.4), θ regression (§4.3)
:mod:`.imprint`            feature imprint with pair fixed effects, clustered SEs, post − pre (§4)
:mod:`.robustness`         flip rates, probe pass rates, flip variables, π (§7)
:mod:`.ambiguity`          ambiguity components, ranking and the triage queue (§5.5)
:mod:`.intervals`          the Wilson interval shared by the metrics
=========================  ==========================================================================
"""

from seal_core.metrics.ambiguity import (
    COMPONENTS,
    TriageQueue,
    ambiguity_components,
    rank_pairs,
    response_similarity,
    triage_queue,
    weights_from,
)
from seal_core.metrics.design import incomplete_pairs, wide_features
from seal_core.metrics.imprint import ImprintResult, describe_top, feature_imprint
from seal_core.metrics.intervals import wilson_interval
from seal_core.metrics.regimes import (
    REGIMES,
    RULE_GAMMA_TARGETS,
    SEAL_GAMMA_TARGETS,
    default_gamma_targets,
    labeler_preference,
    mcnemar_tests,
    misalignment_given_gamma,
    pair_agreement,
    pair_agreement_from_vectors,
    regime_by_gamma,
    regime_table,
    three_way_agreement,
)
from seal_core.metrics.regression import PairRegression, pair_regression
from seal_core.metrics.resistance import (
    ResistanceResult,
    alignment_resistance,
    resistance_from_margins,
    resistance_table,
)
from seal_core.metrics.robustness import (
    ROBUSTNESS_COLUMNS,
    flip_variables,
    probe_pass_rates,
    robustness_scores,
    robustness_summary,
)
from seal_core.metrics.shift import (
    ShiftSummary,
    bootstrap_ci,
    cosine_to,
    median_ci,
    reward_vectors,
    signed_angle,
    summarize_shift,
    theta_by_group,
)

__all__ = [
    "COMPONENTS",
    "REGIMES",
    "ROBUSTNESS_COLUMNS",
    "RULE_GAMMA_TARGETS",
    "SEAL_GAMMA_TARGETS",
    "ImprintResult",
    "PairRegression",
    "ResistanceResult",
    "ShiftSummary",
    "TriageQueue",
    "alignment_resistance",
    "ambiguity_components",
    "bootstrap_ci",
    "cosine_to",
    "default_gamma_targets",
    "describe_top",
    "feature_imprint",
    "flip_variables",
    "incomplete_pairs",
    "labeler_preference",
    "mcnemar_tests",
    "median_ci",
    "misalignment_given_gamma",
    "pair_agreement",
    "pair_agreement_from_vectors",
    "pair_regression",
    "probe_pass_rates",
    "rank_pairs",
    "regime_by_gamma",
    "regime_table",
    "resistance_from_margins",
    "resistance_table",
    "response_similarity",
    "reward_vectors",
    "robustness_scores",
    "robustness_summary",
    "signed_angle",
    "summarize_shift",
    "theta_by_group",
    "three_way_agreement",
    "triage_queue",
    "weights_from",
    "wide_features",
    "wilson_interval",
]
