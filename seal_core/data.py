"""Load and validate preference data into the Pairs table (slices: :mod:`seal_core.slices`).

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

import gzip
import hashlib
import io
import json
import os
import re
import socket
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seal_core.errors import OfflineError, SealInputError

BUNDLED_SAMPLE = Path(__file__).parent / "data_files" / "hh-rlhf-harmless-base-test.dev.jsonl.gz"
BUNDLED_NAME = "hh-rlhf harmless-base test (bundled sample)"
ASSISTANT = "Assistant:"
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
_ROLE_NAMES = {"user": "Human", "human": "Human", "assistant": "Assistant", "system": "System"}
_MARKER_RE = re.compile(r"\n\n(Human|Assistant|System):")
_ID_COLUMNS = ("pair_id", "id")


class _RowError(Exception):
    """A problem confined to one record; lenient loading skips it."""


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load_pairs` returns.

    Attributes
    ----------
    pairs : DataFrame
        The Pairs table.
    skipped : DataFrame
        One row per record that was skipped in lenient mode: ``where`` (file and line/row) and ``reason``.
    source : str
        Human-readable name of the data source.
    input_format : str
        ``"hh-rlhf"`` or ``"trl"``.
    warnings : tuple of str
        Things worth telling the user that did not stop the load (identical pairs, empty responses).
    """

    pairs: pd.DataFrame
    skipped: pd.DataFrame
    source: str
    input_format: str
    warnings: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------------------------- transcripts


def split_transcript(text: str) -> tuple[str, str]:
    """Split a transcript into (prompt, last response) exactly as SEAL does.

    ``pivot = text.rfind("Assistant:")``; the prompt is ``text[:pivot]`` (with its trailing ``"\\n\\n"``) and the
    response is what follows the marker, without the single space after it, so that
    ``prompt + "Assistant: " + response == text`` whenever the transcript has that space (every hh-rlhf pair does).

    Examples
    --------
    >>> split_transcript("\\n\\nHuman: hi\\n\\nAssistant: hello")
    ('\\n\\nHuman: hi\\n\\n', 'hello')
    """
    pivot = text.rfind(ASSISTANT)
    if pivot < 0:
        raise _RowError("has no 'Assistant:' turn; expected a transcript like '\\n\\nHuman: ...\\n\\nAssistant: ...'")
    response = text[pivot + len(ASSISTANT) :]
    if response.startswith(" "):
        response = response[1:]
    return text[:pivot], response


def parse_turns(transcript: str) -> list[dict[str, str]]:
    """Parse an hh-rlhf style transcript into chat messages (``role`` is user / assistant / system).

    Examples
    --------
    >>> parse_turns("\\n\\nHuman: hi\\n\\nAssistant: hello")
    [{'role': 'user', 'content': 'hi'}, {'role': 'assistant', 'content': 'hello'}]
    """
    roles = {"Human": "user", "Assistant": "assistant", "System": "system"}
    parts = _MARKER_RE.split(transcript)
    messages = []
    head = parts[0].strip()
    if head:
        messages.append({"role": "system", "content": head})
    for name, content in zip(parts[1::2], parts[2::2]):
        messages.append({"role": roles[name], "content": content[1:] if content.startswith(" ") else content})
    return messages


def render_transcript(messages: Iterable[Mapping[str, Any]]) -> str:
    """Render chat messages as an hh-rlhf transcript (``"\\n\\nHuman: ...\\n\\nAssistant: ..."``)."""
    out = []
    for m in messages:
        out.append(f"\n\n{_ROLE_NAMES[m['role']]}: {m['content']}")
    return "".join(out)


def _message_list(value: Any, name: str) -> list[dict[str, str]]:
    if not isinstance(value, list | tuple | np.ndarray) or len(value) == 0:
        raise _RowError(f"'{name}' must be a non-empty list of {{'role', 'content'}} messages")
    messages = []
    for k, m in enumerate(value):
        if not isinstance(m, Mapping) or "role" not in m or "content" not in m:
            raise _RowError(f"'{name}' message {k} is not a {{'role', 'content'}} mapping: {str(m)[:80]!r}")
        role = str(m["role"]).lower()
        if role not in _ROLE_NAMES:
            raise _RowError(f"'{name}' message {k} has role {m['role']!r}; expected user, assistant or system")
        content = m["content"]
        if isinstance(content, list | tuple | np.ndarray):  # OpenAI-style content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
        if not isinstance(content, str):
            raise _RowError(f"'{name}' message {k} content is {type(content).__name__}, expected text")
        messages.append({"role": "user" if role == "human" else role, "content": content})
    return messages


def _text(value: Any, name: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise _RowError(f"'{name}' is missing or null")
    if not isinstance(value, str):
        raise _RowError(f"'{name}' is {type(value).__name__}, expected text")
    if not value.strip():
        raise _RowError(f"empty text in '{name}'")
    return value


def _side_from_conversation(messages: list[dict[str, str]], name: str) -> tuple[str, str]:
    if messages[-1]["role"] != "assistant":
        raise _RowError(f"'{name}' must end with an assistant message, found a {messages[-1]['role']} message")
    if not messages[-1]["content"].strip() and len(messages) == 1:
        raise _RowError(f"empty text in '{name}'")
    return render_transcript(messages[:-1]) + "\n\n", messages[-1]["content"]


def _hh_side(value: Any, name: str) -> tuple[str, str]:
    if isinstance(value, list | tuple | np.ndarray):
        return _side_from_conversation(_message_list(value, name), name)
    text = _text(value, name)
    try:
        return split_transcript(text)
    except _RowError as e:
        raise _RowError(f"'{name}' {e}") from None


def _trl_side(prompt: Any, value: Any, name: str) -> tuple[str, str]:
    if isinstance(value, list | tuple | np.ndarray):
        conv = _message_list(value, name)
        if isinstance(prompt, list | tuple | np.ndarray):
            conv = _message_list(prompt, "prompt") + conv
        else:
            conv = [{"role": "user", "content": _text(prompt, "prompt")}] + conv
        return _side_from_conversation(conv, name)
    response = _text(value, name)
    if isinstance(prompt, list | tuple | np.ndarray):
        return render_transcript(_message_list(prompt, "prompt")) + "\n\n", response
    prompt = _text(prompt, "prompt")
    if "Human:" in prompt:  # an hh-style prompt string ("...\n\nAssistant:"): split the joined transcript as SEAL
        joined = prompt + value if ASSISTANT in prompt[-len(ASSISTANT) - 2 :] else prompt + "\n\nAssistant: " + value
        return split_transcript(joined)
    return render_transcript([{"role": "user", "content": prompt}]) + "\n\n", response


def _normalize(rec: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    if fmt == "trl":
        pc, c = _trl_side(rec.get("prompt"), rec.get("chosen"), "chosen")
        pr, r = _trl_side(rec.get("prompt"), rec.get("rejected"), "rejected")
    else:
        pc, c = _hh_side(rec.get("chosen"), "chosen")
        pr, r = _hh_side(rec.get("rejected"), "rejected")
    return {
        "prompt_chosen": pc,
        "prompt_rejected": pr,
        "chosen": c,
        "rejected": r,
        "chosen_full": pc + "Assistant: " + c,
        "rejected_full": pr + "Assistant: " + r,
    }


# --------------------------------------------------------------------------------------------- readers


def _decode(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SealInputError(
            f"{where} line {line}: bytes are not valid UTF-8 (byte {raw[e.start]:#04x} at offset {e.start}). "
            "Re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in > out`)."
        ) from None


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise SealInputError(
                f"{path}: not a valid gzip file ({e}); re-compress it or pass the plain file"
            ) from None
    return data


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    return suffixes[-1] if suffixes else ""


def _iter_jsonl(path: Path, data: bytes, strict: bool) -> Iterator[tuple[str, dict | _RowError]]:
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
            yield where, _RowError("not valid UTF-8")
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            yield where, _RowError(f"invalid JSON ({e.msg} at column {e.colno})")
            continue
        if not isinstance(rec, dict):
            yield where, _RowError(f"expected a JSON object, found {type(rec).__name__}")
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


def _iter_file(path: Path, strict: bool) -> Iterator[tuple[str, dict | _RowError]]:
    suffix = _base_suffix(path)
    if suffix == ".parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as e:  # pyarrow raises several types for a bad file
            raise SealInputError(f"{path.name}: could not read as Parquet ({e})") from None
        for i, rec in enumerate(df.to_dict("records")):
            yield f"{path.name} row {i + 1}", rec
        return
    data = _read_bytes(path)
    if suffix == ".jsonl" or suffix == ".ndjson":
        yield from _iter_jsonl(path, data, strict)
        return
    text = _decode(data, path.name)
    if suffix == ".json":
        for i, rec in enumerate(_records_from_json(path, text)):
            yield (
                f"{path.name} item {i + 1}",
                rec if isinstance(rec, dict) else _RowError(f"expected a JSON object, found {type(rec).__name__}"),
            )
        return
    if suffix == ".csv" or suffix == ".tsv":
        try:
            df = pd.read_csv(
                io.StringIO(text), sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False
            )
        except pd.errors.ParserError as e:
            raise SealInputError(f"{path.name}: could not parse as CSV ({e})") from None
        for i, rec in enumerate(df.to_dict("records")):
            yield f"{path.name} row {i + 1}", rec
        return
    raise SealInputError(
        f"{path.name}: unsupported file type {''.join(path.suffixes)!r}; "
        "expected .jsonl, .json, .csv, .tsv or .parquet (optionally .gz-compressed)"
    )


def _hub_reachable(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def hub_offline_reason() -> str | None:
    """Why the Hugging Face Hub cannot be used right now, or None when it looks reachable."""
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}:
            return f"{var} is set"
    if not _hub_reachable():
        return "huggingface.co cannot be reached (no network)"
    return None


def _iter_hub(dataset_id: str, config: str | None, split: str) -> Iterator[tuple[str, dict]]:
    reason = hub_offline_reason()
    if reason:
        raise OfflineError(
            f"'{dataset_id}' is not a local file, and loading it from the Hugging Face Hub needs the network: {reason}. "
            "Download it where you have network, or pass a local file instead (JSONL/JSON/CSV/Parquet, gzip ok), "
            "e.g. `seal score path/to/pairs.jsonl.gz`; with no DATA the bundled hh-rlhf sample is used."
        )
    import datasets  # deferred: heavy, and only needed for hub data

    try:
        ds = datasets.load_dataset(dataset_id, config, split=split)
    except Exception as e:  # datasets raises many types (FileNotFoundError, ValueError, ConnectionError ...)
        raise SealInputError(f"could not load hub dataset '{dataset_id}' (config={config}, split={split}): {e}") from e
    for i, rec in enumerate(ds):
        yield f"{dataset_id}:{split} row {i + 1}", rec


# --------------------------------------------------------------------------------------------- public API


def _detect_format(columns: Iterable[str], where: str) -> str:
    cols = set(columns)
    if {"chosen", "rejected"} <= cols:
        return "trl" if "prompt" in cols else "hh-rlhf"
    missing = sorted({"chosen", "rejected"} - cols)
    raise SealInputError(
        f"{where}: missing column(s) {', '.join(repr(m) for m in missing)}; found columns {sorted(cols)}. "
        "Expected hh-rlhf columns (chosen, rejected: full transcripts) or TRL columns (prompt, chosen, rejected)."
    )


def _content_id(chosen_full: str, rejected_full: str) -> str:
    return hashlib.blake2b(f"{chosen_full}\x1f{rejected_full}".encode(), digest_size=8).hexdigest()


def load_pairs(
    source: str | os.PathLike | None = None,
    *,
    config: str | None = None,
    split: str = "train",
    strict: bool = True,
    name: str | None = None,
) -> LoadResult:
    """Load preference pairs from a local file, a Hugging Face dataset id, or the bundled sample.

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
        path = Path(os.fspath(source)).expanduser()
        if not path.exists():
            text = str(source)
            file_like = Path(text).suffix.lower() in {".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".gz"}
            looks_like_hub_id = re.fullmatch(r"[\w.-]+(/[\w.-]+)?", text) and not file_like
            if not looks_like_hub_id:
                raise SealInputError(f"file not found: {text}")
            path = None
            name = name or (f"{text}/{config}:{split}" if config else f"{text}:{split}")
        elif path.is_dir():
            raise SealInputError(f"{path} is a directory; pass a data file (.jsonl, .json, .csv, .parquet)")
        else:
            name = name or path.name
    records = _iter_file(path, strict) if path is not None else _iter_hub(str(source), config, split)
    return _build(records, name=name, strict=strict)


def pairs_from_records(
    records: Iterable[Mapping[str, Any]], *, name: str = "records", strict: bool = True
) -> LoadResult:
    """Build the Pairs table from in-memory records (hh-rlhf or TRL dicts)."""
    return _build(((f"{name} item {i + 1}", dict(r)) for i, r in enumerate(records)), name=name, strict=strict)


def _build(records: Iterator[tuple[str, dict | _RowError]], *, name: str, strict: bool) -> LoadResult:
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    fmt: str | None = None
    seen_ids: dict[str, str] = {}
    for row_id, (where, rec) in enumerate(records):
        try:
            if isinstance(rec, _RowError):
                raise rec
            if fmt is None:
                fmt = _detect_format(rec.keys(), where)
            norm = _normalize(rec, fmt)
        except _RowError as e:
            if strict:
                raise SealInputError(
                    f"{where}: {e}. Fix the record, or load leniently (--lenient / 'skip bad rows') to skip it."
                ) from None
            skipped.append({"where": where, "row_id": row_id, "reason": str(e)})
            continue
        given = next((rec[c] for c in _ID_COLUMNS if c in rec and rec[c] not in (None, "")), None)
        if given is not None:
            pid = str(given)
            if pid in seen_ids:
                msg = f"{where}: duplicate pair id {pid!r} (first seen at {seen_ids[pid]}); ids must be unique"
                if strict:
                    raise SealInputError(msg + ". Fix the ids, or drop the id column to use content hashes.")
                skipped.append({"where": where, "row_id": row_id, "reason": f"duplicate pair id {pid!r}"})
                continue
        else:
            base = _content_id(norm["chosen_full"], norm["rejected_full"])
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
        skipped=pd.DataFrame(skipped, columns=["where", "row_id", "reason"]),
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
