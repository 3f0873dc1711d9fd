"""Readers of local preference files: JSON Lines, JSON, CSV/TSV and Parquet, optionally gzip-compressed.

Each reader yields ``(where, record)`` pairs, ``where`` naming the file and line or row for error messages; a record
that cannot be read is yielded as a :class:`~seal_core.data.transcripts.RowError` so lenient loading can skip it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from seal_core.data.transcripts import RowError
from seal_core.errors import SealInputError
from seal_core.safe_io import read_input
from seal_core.table_io import read_table

__all__ = ["DATA_SUFFIXES", "iter_file"]

DATA_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet")


def _decode(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SealInputError(
            f"{where} line {line}: bytes are not valid UTF-8 (byte {raw[e.start]:#04x} at offset {e.start}). "
            "Re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in > out`)."
        ) from None


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    return suffixes[-1] if suffixes else ""


def _iter_jsonl(path: Path, data: bytes, strict: bool) -> Iterator[tuple[str, dict | RowError]]:
    for n, raw_line in enumerate(data.split(b"\n"), start=1):
        where = f"{path.name} line {n}"
        if not raw_line.strip():
            continue
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError as e:
            if strict:
                raise SealInputError(
                    f"{where}: bytes are not valid UTF-8 (byte {raw_line[e.start]:#04x} at column {e.start + 1}). "
                    "Re-save the file as UTF-8, or load leniently to skip such lines."
                ) from None
            yield where, RowError("not valid UTF-8", kind="not valid UTF-8")
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            yield where, RowError(f"invalid JSON ({e.msg} at column {e.colno})", kind="invalid JSON")
            continue
        if not isinstance(rec, dict):
            yield where, RowError(f"expected a JSON object, found {type(rec).__name__}", kind="not a JSON object")
            continue
        yield where, rec


def _records_from_json(path: Path, text: str) -> list[dict]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise SealInputError(
            f"{path.name} line {e.lineno} column {e.colno}: invalid JSON ({e.msg}). "
            "Fix the file, or save it as JSON Lines (.jsonl) to load the valid rows leniently."
        ) from None
    if isinstance(obj, dict):
        for key in ("data", "rows", "train", "pairs"):
            if isinstance(obj.get(key), list):
                obj = obj[key]
                break
        else:
            if obj and all(isinstance(v, list) for v in obj.values()):  # column-oriented
                obj = pd.DataFrame(obj).to_dict("records")
    if not isinstance(obj, list):
        raise SealInputError(
            f"{path.name}: expected a JSON array of objects (or {{'data': [...]}}), found {type(obj).__name__}"
        )
    return obj


def iter_file(path: Path, strict: bool) -> Iterator[tuple[str, dict | RowError]]:
    """Yield ``(where, record)`` for each record of a local data file (the format from its suffix).

    A record that cannot be read is yielded as a :class:`RowError` (with ``strict``, a file-level problem such as bad
    UTF-8 raises :class:`SealInputError` at once).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "pairs.jsonl"
    >>> _ = path.write_text('{"chosen": "a", "rejected": "b"}\\nnot json\\n')
    >>> [(where, type(rec).__name__) for where, rec in iter_file(path, strict=True)]
    [('pairs.jsonl line 1', 'dict'), ('pairs.jsonl line 2', 'RowError')]
    """
    suffix = _base_suffix(path)
    if suffix == ".parquet":
        df = read_table(path, what="data file")  # regular file, size limit, footer checked before the data
        for i, rec in enumerate(df.to_dict("records")):
            yield f"{path.name} row {i + 1}", rec
        return
    data = read_input(path)  # regular files only; file and decompressed size within SEAL_MAX_INPUT_MB
    if suffix == ".jsonl" or suffix == ".ndjson":
        yield from _iter_jsonl(path, data, strict)
        return
    text = _decode(data, path.name)
    if suffix == ".json":
        for i, rec in enumerate(_records_from_json(path, text)):
            yield (
                f"{path.name} item {i + 1}",
                rec
                if isinstance(rec, dict)
                else RowError(f"expected a JSON object, found {type(rec).__name__}", kind="not a JSON object"),
            )
        return
    if suffix == ".csv" or suffix == ".tsv":
        try:
            df = pd.read_csv(
                io.StringIO(text), sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False
            )
        except pd.errors.ParserError:
            raise SealInputError(
                f"{path.name}: could not parse as CSV (rows have different numbers of fields)"
            ) from None
        except pd.errors.EmptyDataError:
            raise SealInputError(f"{path.name}: no records found; the file is empty") from None
        for i, rec in enumerate(df.to_dict("records")):
            yield f"{path.name} row {i + 1}", rec
        return
    raise SealInputError(
        f"{path.name}: unsupported file type {''.join(path.suffixes)!r}; "
        "expected .jsonl, .json, .csv, .tsv or .parquet (optionally .gz-compressed)"
    )
