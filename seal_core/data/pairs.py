"""Load and validate preference data into the Pairs table (slices: :mod:`seal_core.data.slices`).

The Pairs table has one row per preference pair (see ``docs`` in the README):

``pair_id``            stable id: the given ``pair_id``/``id`` column, else a content hash of both transcripts
``prompt_chosen``      history before the last ``Assistant:`` turn of the chosen transcript (SEAL's split)
``prompt_rejected``    the same for the rejected transcript
``chosen``/``rejected`` the last assistant response, without the ``"Assistant: "`` marker
``chosen_full``/``rejected_full`` the whole transcripts (what an LM labeler sees)
``source``             dataset name
``row_id``             0-based position of the record in its file / split (SEAL's ``row_id``)
``identical``          chosen and rejected transcripts are the same text (an unavoidable tie)
``empty_response``     the last assistant response of either side is empty (kept: RMs can score it)

plus any other columns of the input, kept as they are (renamed ``meta_<name>`` on a clash).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from seal_core.data import hub
from seal_core.data.readers import iter_file
from seal_core.data.transcripts import RowError, normalize_record
from seal_core.errors import SealInputError
from seal_core.safe_io import check_regular_file, resolve_data_path
from seal_core.storage import DATA_FILES

__all__ = ["BUNDLED_NAME", "BUNDLED_SAMPLE", "PAIR_COLUMNS", "LoadResult", "SkippedSummary", "content_hash",
           "content_id", "load_pairs", "pairs_from_records", "summarize_skipped"]  # fmt: skip

BUNDLED_SAMPLE = DATA_FILES / "hh-rlhf-harmless-base-test.dev.jsonl.gz"
BUNDLED_NAME = "hh-rlhf harmless-base test (bundled sample)"
PAIR_COLUMNS = [
    "pair_id",
    "prompt_chosen",
    "prompt_rejected",
    "chosen",
    "rejected",
    "chosen_full",
    "rejected_full",
    "source",
    "row_id",
    "identical",
    "empty_response",
]
_ID_COLUMNS = ("pair_id", "id")


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load_pairs` returns.

    Attributes
    ----------
    pairs : DataFrame
        The Pairs table.
    skipped : DataFrame
        One row per record that was skipped in lenient mode: ``where`` (file and line/row), ``row_id``, ``reason``
        (the field and the kind of problem, never the record's content) and ``kind`` (a short label for counting;
        see :func:`summarize_skipped`).
    source : str
        Human-readable name of the data source.
    input_format : str
        ``"hh-rlhf"`` or ``"trl"``.
    warnings : tuple of str
        Things worth telling the user that did not stop the load (identical pairs, empty responses).
    content_key : str or None
        :func:`content_hash` of ``pairs`` when the loader already computed it (large snapshotted files), else None.
    """

    pairs: pd.DataFrame
    skipped: pd.DataFrame
    source: str
    input_format: str
    warnings: tuple[str, ...] = field(default_factory=tuple)
    content_key: str | None = None


def excerpt(value: Any, width: int = 24) -> str:
    """A short, clearly truncated excerpt of a value, for messages about the user's own upload only.

    Examples
    --------
    >>> excerpt("a fairly long value that goes on and on")
    "'a fairly long value that…' (truncated)"
    """
    text = str(value)
    return repr(text) if len(text) <= width else repr(text[:width] + "…") + " (truncated)"


def _detect_format(columns: Iterable[str], where: str, excerpts: bool = False) -> str:
    cols = [str(c) for c in columns]
    if {"chosen", "rejected"} <= set(cols):
        return "trl" if "prompt" in cols else "hh-rlhf"
    missing = sorted({"chosen", "rejected"} - set(cols))
    found = f"found {len(cols)} other column(s)"  # their names may be the first row's content: not shown
    if excerpts:
        found += ": " + ", ".join(excerpt(c, 16) for c in cols[:5]) + (" …" if len(cols) > 5 else "")
    raise SealInputError(
        f"{where}: missing column(s) {', '.join(repr(m) for m in missing)}; {found}. "
        "Expected hh-rlhf columns (chosen, rejected: full transcripts) or TRL columns (prompt, chosen, rejected)."
    )


def content_id(chosen_full: str, rejected_full: str) -> str:
    """The content hash of one pair's two transcripts: its ``pair_id`` when the input has no id column."""
    return hashlib.blake2b(f"{chosen_full}\x1f{rejected_full}".encode(), digest_size=8).hexdigest()


def load_pairs(
    source: str | os.PathLike | None = None,
    *,
    config: str | None = None,
    split: str = "train",
    strict: bool = True,
    name: str | None = None,
    restrict: bool = False,
    roots: Iterable[str | os.PathLike] | None = None,
    excerpts: bool = False,
    snapshot: bool = False,
) -> LoadResult:
    """Load preference pairs from a local file, a Hugging Face dataset id, or the bundled sample.

    Local files are read safely (:mod:`seal_core.safe_io`): regular files only, within ``SEAL_MAX_INPUT_MB``
    (decompressed), and with ``restrict`` only under the data roots.

    Parameters
    ----------
    source : str or path, optional
        A local ``.jsonl``/``.json``/``.csv``/``.tsv``/``.parquet`` file (``.gz`` ok) or a hub dataset id such as
        ``Anthropic/hh-rlhf``. ``None`` loads the bundled 1,800-pair hh-rlhf sample.
    config, split : str, optional
        Hub dataset config and split (ignored for local files).
    strict : bool, default True
        Stop at the first bad record with a message naming it. With ``strict=False`` bad records are skipped and
        every one is listed in ``LoadResult.skipped`` with its reason.
    name : str, optional
        The ``source`` value written into every row (defaults to the file name or dataset id).
    restrict : bool, default False
        Local paths must lie under the data roots (``roots``, default ``SEAL_DATA_DIRS``); anything else is refused
        with one message whether or not it exists. The app sets this when it listens beyond localhost.
    roots : iterable of paths, optional
        The data roots for ``restrict``.
    excerpts : bool, default False
        Add a short, truncated excerpt of the offending value to record errors (for the user's own upload).
        Otherwise messages name only the line, the field and the kind of problem.
    snapshot : bool, default False
        Keep the parsed table of a large local file (:data:`SNAPSHOT_MIN_BYTES` or more, loaded with no record
        skipped) as a snapshot (:mod:`seal_core.snapshots`) keyed by the file's path, size and modification time
        and these options, and read it from there next time (the app and the CLI set this).

    Returns
    -------
    LoadResult

    Examples
    --------
    >>> res = load_pairs()
    >>> len(res.pairs), res.input_format
    (1800, 'hh-rlhf')
    >>> res.pairs.loc[0, "chosen_full"] == res.pairs.loc[0, "prompt_chosen"] + "Assistant: " + res.pairs.loc[0, "chosen"]
    True
    """
    if source is None or str(source) == "":
        path: Path | None = BUNDLED_SAMPLE
        name = name or BUNDLED_NAME
    else:
        text = os.fspath(source)
        path = resolve_data_path(text, restrict=restrict, roots=roots)
        if path is None:
            name = name or (f"{text}/{config}:{split}" if config else f"{text}:{split}")
        else:
            check_regular_file(path)  # missing, a directory, a device or FIFO, or over the size limit: refused here
            name = name or path.name
    if snapshot and path is not None and path != BUNDLED_SAMPLE and path.stat().st_size >= SNAPSHOT_MIN_BYTES:
        return _load_snapshot(path, name=name, strict=strict, excerpts=excerpts)
    records = iter_file(path, strict) if path is not None else hub.iter_hub(str(source), config, split)
    return _build(records, name=name, strict=strict, excerpts=excerpts)


SNAPSHOT_MIN_BYTES = 8 * 2**20
_SNAPSHOT_VERSION = 1  # bump when parsing changes what a Pairs table holds


def _load_snapshot(path: Path, *, name: str, strict: bool, excerpts: bool) -> LoadResult:
    from seal_core.snapshots import Snapshots, snapshot_key

    st = path.stat()
    key = snapshot_key("pairs", path.resolve(), st.st_size, st.st_mtime_ns, name, strict, excerpts, _SNAPSHOT_VERSION)
    snaps = Snapshots()
    if (hit := snaps.get_with_meta(key)) is not None:
        table, meta = hit
        return LoadResult(table, pd.DataFrame([], columns=["where", "row_id", "reason", "kind"]), meta["source"],
                          meta["input_format"], tuple(meta["warnings"]), content_key=meta["content_key"])  # fmt: skip
    res = _build(iter_file(path, strict), name=name, strict=strict, excerpts=excerpts)
    # only flat columns survive Parquet unchanged (a list in a metadata column would come back as an array)
    flat = all(isinstance(t, pd.StringDtype) or t.kind in "biufM" for t in res.pairs.dtypes)
    if res.skipped.empty and flat:
        res = dataclasses.replace(res, content_key=content_hash(res.pairs))
        meta = {"source": res.source, "input_format": res.input_format, "warnings": list(res.warnings),
                "content_key": res.content_key}  # fmt: skip
        snaps.put(key, res.pairs, meta)
    return res


def pairs_from_records(
    records: Iterable[Mapping[str, Any]], *, name: str = "records", strict: bool = True
) -> LoadResult:
    """Build the Pairs table from in-memory records (hh-rlhf or TRL dicts).

    Examples
    --------
    >>> res = pairs_from_records([{"prompt": "Say hi", "chosen": "hi", "rejected": "no"}])
    >>> res.input_format, res.pairs.loc[0, ["chosen", "rejected"]].tolist(), len(res.pairs)
    ('trl', ['hi', 'no'], 1)
    """
    return _build(((f"{name} item {i + 1}", dict(r)) for i, r in enumerate(records)), name=name, strict=strict)


def _build(
    records: Iterator[tuple[str, dict | RowError]], *, name: str, strict: bool, excerpts: bool = False
) -> LoadResult:
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    fmt: str | None = None
    seen_ids: dict[str, str] = {}
    for row_id, (where, rec) in enumerate(records):
        try:
            if isinstance(rec, RowError):
                raise rec
            if fmt is None:
                fmt = _detect_format(rec.keys(), where, excerpts)
            norm = normalize_record(rec, fmt)
        except RowError as e:
            reason = str(e) + (f" (value: {excerpt(e.excerpt)})" if excerpts and e.excerpt is not None else "")
            if strict:
                raise SealInputError(
                    f"{where}: {reason}. Fix the record, or load leniently (strict=False) to skip it.", option="strict"
                ) from None
            skipped.append({"where": where, "row_id": row_id, "reason": reason, "kind": e.kind})
            continue
        given = next((rec[c] for c in _ID_COLUMNS if c in rec and rec[c] not in (None, "")), None)
        if given is not None:
            pid = str(given)
            if pid in seen_ids:
                first = seen_ids[pid]
                msg = f"{where}: duplicate pair id (first seen at {first}); ids must be unique"
                if strict:
                    raise SealInputError(msg + ". Fix the ids, or drop the id column to use content hashes.")
                skipped.append({"where": where, "row_id": row_id, "reason": f"duplicate pair id (first seen at {first})",
                                "kind": "duplicate pair id"})  # fmt: skip
                continue
        else:
            base = content_id(norm["chosen_full"], norm["rejected_full"])
            pid, k = base, 1
            while pid in seen_ids:  # duplicated records get -2, -3 ... in load order
                k += 1
                pid = f"{base}-{k}"
        seen_ids[pid] = where
        meta = {}
        for key, value in rec.items():
            if key in ("chosen", "rejected", "prompt") or key in _ID_COLUMNS:
                continue
            meta[f"meta_{key}" if key in PAIR_COLUMNS else key] = value
        rows.append(
            {
                "pair_id": pid,
                **norm,
                "source": name,
                "row_id": row_id,
                "identical": norm["chosen_full"] == norm["rejected_full"],
                "empty_response": not norm["chosen"].strip() or not norm["rejected"].strip(),
                **meta,
            }
        )
    if fmt is None and not skipped:
        raise SealInputError(f"{name}: no records found; the file is empty")
    pairs = pd.DataFrame(rows, columns=None if rows else PAIR_COLUMNS)
    notes = []
    if len(pairs):
        n_ident = int(pairs["identical"].sum())
        if n_ident:
            notes.append(f"{n_ident} pair(s) have identical chosen and rejected texts; kept and flagged as ties")
        n_empty = int(pairs["empty_response"].sum())
        if n_empty:
            notes.append(f"{n_empty} pair(s) have an empty last response on one side; kept (RMs can score them)")
    else:
        notes.append("every record was skipped; see the skipped table")
    if skipped:
        notes.append(f"{len(skipped)} record(s) skipped; see the skipped table for each reason")
    return LoadResult(
        pairs=pairs,
        skipped=pd.DataFrame(skipped, columns=["where", "row_id", "reason", "kind"]),
        source=name,
        input_format=fmt or "unknown",
        warnings=tuple(notes),
    )


def content_hash(pairs: pd.DataFrame) -> str:
    """A short hash of a Pairs table's content (ids and transcripts), for cache keys.

    Examples
    --------
    >>> p = load_pairs().pairs
    >>> content_hash(p) == content_hash(p.copy()) and content_hash(p) != content_hash(p.iloc[:10])
    True
    """
    cols = ["pair_id", "chosen_full", "rejected_full"]
    h = pd.util.hash_pandas_object(pairs[cols], index=False).to_numpy()
    return hashlib.blake2b(h.tobytes(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class SkippedSummary:
    """Skipped records in brief: how many, how many for each kind of problem, and the first few.

    Attributes
    ----------
    total : int
        Records skipped.
    by_kind : dict of str to int
        Counts by kind of problem, most frequent first.
    first : DataFrame
        The first ``n`` rows of the skipped table (``where``, ``reason``).
    """

    total: int
    by_kind: dict[str, int]
    first: pd.DataFrame

    def lines(self) -> list[str]:
        """The summary as lines of text (what ``seal --lenient`` prints)."""
        if not self.total:
            return []
        kinds = "; ".join(f"{k}: {n:,}" for k, n in self.by_kind.items())
        out = [f"{self.total:,} record(s) skipped ({kinds})"]
        if len(self.first) < self.total:
            out.append(f"the first {len(self.first)}:")
        out += [f"  {r.where}: {r.reason}" for r in self.first.itertuples()]
        return out


def summarize_skipped(skipped: pd.DataFrame, first: int = 20) -> SkippedSummary:
    """Counts by kind of problem plus the first ``first`` skipped records (instead of one line per record).

    Examples
    --------
    >>> res = pairs_from_records([{"chosen": "x", "rejected": "y"}] * 30, strict=False)
    >>> s = summarize_skipped(res.skipped, first=2)
    >>> s.total, s.by_kind, len(s.first)
    (30, {"no 'Assistant:' turn": 30}, 2)
    """
    if skipped is None or not len(skipped):
        return SkippedSummary(0, {}, pd.DataFrame(columns=["where", "reason"]))
    kinds = skipped["kind"] if "kind" in skipped else skipped["reason"]
    counts = kinds.fillna("other").value_counts(sort=True)
    return SkippedSummary(
        total=len(skipped),
        by_kind={str(k): int(v) for k, v in counts.items()},
        first=skipped[["where", "reason"]].head(first).reset_index(drop=True),
    )
