"""SEAL Explorer's library: load preference data, score it with reward models, label features, and audit the scores.

Layers, each importing only the ones before it (see "Architecture" in the README):

- :mod:`seal_core.errors`, :mod:`seal_core.options`, :mod:`seal_core.storage`: errors, option lookup, caches and files
- :mod:`seal_core.data`: the Pairs table (:func:`load_pairs`, :func:`slice_pairs`)
- :mod:`seal_core.models`: reward models (:func:`load_reward_model`); :mod:`seal_core.scoring`: the Scores table
- :mod:`seal_core.features`: the Features table (:func:`label_pairs`)
- :mod:`seal_core.metrics` and :mod:`seal_core.analysis`: SEAL's statistics on those tables
- :mod:`seal_core.cli`: the ``seal`` command

Importing this package has no side effects (no hub client, no torch import, no network).
"""

from seal_core.data import BUNDLED_SAMPLE, LoadResult, SliceSpec, content_hash, load_pairs, slice_pairs
from seal_core.errors import OfflineError, SealInputError
from seal_core.features import LabelCache, LabelResult, get_featurizer, label_pairs, read_features
from seal_core.models import RewardModel, RewardModelConfig, list_models, load_reward_model
from seal_core.scoring import ScoreCache, read_scores, score_pairs, write_scores
from seal_core.storage import write_table

__all__ = [
    "BUNDLED_SAMPLE",
    "LabelCache",
    "LabelResult",
    "LoadResult",
    "OfflineError",
    "RewardModel",
    "RewardModelConfig",
    "ScoreCache",
    "SealInputError",
    "SliceSpec",
    "content_hash",
    "get_featurizer",
    "label_pairs",
    "list_models",
    "load_pairs",
    "load_reward_model",
    "read_features",
    "read_scores",
    "score_pairs",
    "slice_pairs",
    "write_scores",
    "write_table",
]
__version__ = "0.1.0"
