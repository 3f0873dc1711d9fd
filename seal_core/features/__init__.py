"""Features of each text: the taxonomy, the offline rules, SEAL's LLM labeler, the label cache, and label files.

=========================  ==========================================================================
:mod:`.taxonomy`           SEAL's keys, the rules' features, roles (target/spoiler) and SEAL's coding
:mod:`.labelling`          :class:`Featurizer`, :class:`LabelCache`, :func:`label_pairs` → :class:`LabelResult`
:mod:`.rules`              the offline ``rules`` labeler and its quality against hand labels
:mod:`.llm`                SEAL's LM labeler through an OpenAI-compatible endpoint
:mod:`.registry`           :func:`get_featurizer` by name
:mod:`.labels_io`          read Features tables, import SEAL's taxonomy files (:class:`ImportedLabels`), compare labelers
=========================  ==========================================================================
"""

from seal_core.features.labelling import Featurizer, LabelCache, LabelResult, label_pairs
from seal_core.features.labels_io import ImportedLabels, import_seal_labels, labeler_agreement, read_features
from seal_core.features.llm import EndpointConfig, LLMFeaturizer
from seal_core.features.registry import FEATURIZERS, get_featurizer
from seal_core.features.rules import RulesFeaturizer, rules_quality
from seal_core.features.taxonomy import (
    RULE_FEATURES,
    SEAL_KEYS,
    SEAL_REGRESSORS,
    SEAL_TARGETS,
    FeatureSpec,
    code_value,
    feature_roles,
    regression_columns,
    to_regression_scale,
    transform_for_regression,
)

__all__ = [
    "FEATURIZERS",
    "RULE_FEATURES",
    "SEAL_KEYS",
    "SEAL_REGRESSORS",
    "SEAL_TARGETS",
    "EndpointConfig",
    "FeatureSpec",
    "Featurizer",
    "ImportedLabels",
    "LLMFeaturizer",
    "LabelCache",
    "LabelResult",
    "RulesFeaturizer",
    "code_value",
    "feature_roles",
    "get_featurizer",
    "import_seal_labels",
    "label_pairs",
    "labeler_agreement",
    "read_features",
    "regression_columns",
    "rules_quality",
    "to_regression_scale",
    "transform_for_regression",
]
