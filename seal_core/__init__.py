"""SEAL Explorer's library: load preference data, score it with reward models, and audit the scores.

Importing this package has no side effects (no hub client, no torch import, no network).
"""

from seal_core.data import BUNDLED_SAMPLE, LoadResult, SliceSpec, content_hash, load_pairs, slice_pairs
from seal_core.errors import OfflineError, SealInputError

__all__ = [
    "BUNDLED_SAMPLE",
    "LoadResult",
    "OfflineError",
    "SealInputError",
    "SliceSpec",
    "content_hash",
    "load_pairs",
    "slice_pairs",
]
__version__ = "0.1.0"
