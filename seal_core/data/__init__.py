"""Preference data: read files and hub datasets into the Pairs table, and take reproducible slices of it.

=========================  ==========================================================================
:mod:`.transcripts`        SEAL's (prompt, last response) split, chat messages, one record's two sides
:mod:`.readers`            JSON Lines / JSON / CSV / TSV / Parquet files, gzip or not
:mod:`.hub`                the Hugging Face Hub (reachability, hub datasets)
:mod:`.pairs`              :func:`load_pairs`: validation and the Pairs table
:mod:`.slices`             :func:`slice_pairs`: source, search, filters, sample, first N
=========================  ==========================================================================
"""

from seal_core.data.hub import hub_offline_reason
from seal_core.data.pairs import (
    BUNDLED_NAME,
    BUNDLED_SAMPLE,
    PAIR_COLUMNS,
    LoadResult,
    SkippedSummary,
    content_hash,
    load_pairs,
    pairs_from_records,
    summarize_skipped,
)
from seal_core.data.slices import SliceSpec, slice_pairs
from seal_core.data.transcripts import ASSISTANT, parse_turns, render_transcript, split_transcript

__all__ = [
    "ASSISTANT",
    "BUNDLED_NAME",
    "BUNDLED_SAMPLE",
    "PAIR_COLUMNS",
    "LoadResult",
    "SkippedSummary",
    "SliceSpec",
    "content_hash",
    "hub_offline_reason",
    "load_pairs",
    "pairs_from_records",
    "parse_turns",
    "render_transcript",
    "slice_pairs",
    "split_transcript",
    "summarize_skipped",
]
