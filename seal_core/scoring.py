"""Batched scoring of a Pairs table with a persistent, crash-safe score cache.

Scoring is a pure function over batches of (prompt, response) texts, so it can later be mapped over a cluster (e.g.
Ray Data ``map_batches``) without changing the analysis code. The cache is keyed by content: (model id, revision,
input format, max length, dtype) and a hash of the text, so the same text is scored once per model whatever the
dataset, slice or row order.

The cache is SQLite in WAL mode. Each batch is committed in one transaction as soon as it is scored, so a run killed
at any moment (even ``kill -9``) keeps every batch committed before the kill, never a half-written one, and the next
run scores only what is missing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seal_core.batching import plan_batches
from seal_core.errors import SealInputError
from seal_core.models.base import RewardModel
from seal_core.snapshots import MIN_ROWS, Snapshots, snapshot_key
from seal_core.storage import SQLiteStore, fill_cached, text_key, write_table

__all__ = ["SCORE_COLUMNS", "CachedScore", "ScoreCache", "read_scores", "score_pairs", "score_texts", "write_scores"]

ProgressFn = Callable[[int, int], None]
SCORE_COLUMNS = [
    "pair_id",
    "model",
    "score_chosen",
    "score_rejected",
    "margin",
    "agrees",
    "tie",
    "n_tokens_chosen",
    "n_tokens_rejected",
    "truncated_chosen",
    "truncated_rejected",
    "prompt_tokens_cut_chosen",
    "prompt_tokens_cut_rejected",
    "response_tokens_cut_chosen",
    "response_tokens_cut_rejected",
    "input_format",
    "max_length",
    "dtype",
    "in_sample",
]


@dataclass(frozen=True)
class CachedScore:
    score: float
    n_tokens: int
    prompt_tokens_cut: int
    response_tokens_cut: int


class ScoreCache(SQLiteStore):
    """Persistent score cache in one SQLite file (safe across threads and processes).

    Examples
    --------
    >>> import tempfile
    >>> cache = ScoreCache(tempfile.mkdtemp() + "/scores.sqlite")
    >>> cache.put_many("m", {"t1": CachedScore(0.5, 10, 0, 0)}, provenance={"model": "m"})
    >>> cache.get_many("m", ["t1", "t2"])
    {'t1': CachedScore(score=0.5, n_tokens=10, prompt_tokens_cut=0, response_tokens_cut=0)}
    """

    what = "score cache"
    default_name = "scores.sqlite"
    schema = (
        "CREATE TABLE IF NOT EXISTS scores (model_key TEXT NOT NULL, text_key TEXT NOT NULL, score REAL NOT NULL,"
        " n_tokens INTEGER NOT NULL, prompt_cut INTEGER NOT NULL, response_cut INTEGER NOT NULL,"
        " PRIMARY KEY (model_key, text_key)) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS models (model_key TEXT PRIMARY KEY, provenance TEXT NOT NULL)",
    )

    def get_many(self, model_key: str, keys: Iterable[str]) -> dict[str, CachedScore]:
        keys = list(dict.fromkeys(keys))
        out: dict[str, CachedScore] = {}
        con = self._conn()
        for i in range(0, len(keys), 900):  # stay under SQLite's bound-parameter limit
            chunk = keys[i : i + 900]
            marks = ",".join("?" * len(chunk))
            rows = con.execute(
                "SELECT text_key, score, n_tokens, prompt_cut, response_cut FROM scores"
                f" WHERE model_key = ? AND text_key IN ({marks})",
                [model_key, *chunk],
            )
            for k, s, n, pc, rc in rows:
                out[k] = CachedScore(s, n, pc, rc)
        return out

    def put_many(self, model_key: str, items: dict[str, CachedScore], *, provenance: dict) -> None:
        """Store scores in one transaction: all of them or none."""
        con = self._conn()
        with con:
            con.execute(
                "INSERT OR IGNORE INTO models VALUES (?, ?)", (model_key, json.dumps(provenance, sort_keys=True))
            )
            con.executemany(
                "INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        model_key,
                        k,
                        float(v.score),
                        int(v.n_tokens),
                        int(v.prompt_tokens_cut),
                        int(v.response_tokens_cut),
                    )
                    for k, v in items.items()
                ],
            )

    def ensure_seeded(self, model_key: str, seed_file: Path) -> int:
        """Load precomputed scores of ``model_key`` from a Parquet seed file, once per cache. Returns rows added.

        Built-in models ship scores of the bundled sample so a fresh machine opens at once; a seed only ever
        matches the exact model it was made with, because its rows are keyed by the model's cache key.
        """
        con = self._conn()
        con.execute("CREATE TABLE IF NOT EXISTS seeds (model_key TEXT, seed TEXT, PRIMARY KEY (model_key, seed))")
        seed_id = f"{seed_file.name}:{seed_file.stat().st_size}"
        if con.execute("SELECT 1 FROM seeds WHERE model_key = ? AND seed = ?", (model_key, seed_id)).fetchone():
            return 0
        rows = pd.read_parquet(seed_file, filters=[("model_key", "==", model_key)])
        with con:
            before = con.total_changes
            con.executemany(
                "INSERT OR IGNORE INTO scores VALUES (?, ?, ?, ?, ?, ?)",
                rows[["model_key", "text_key", "score", "n_tokens", "prompt_cut", "response_cut"]].itertuples(
                    index=False, name=None
                ),
            )
            added = con.total_changes - before
            con.execute("INSERT OR IGNORE INTO seeds VALUES (?, ?)", (model_key, seed_id))
        return added

    def count(self, model_key: str | None = None) -> int:
        q, args = (
            ("SELECT COUNT(*) FROM scores", ())
            if model_key is None
            else ("SELECT COUNT(*) FROM scores WHERE model_key = ?", (model_key,))
        )
        return int(self._conn().execute(q, args).fetchone()[0])


def score_texts(
    model: RewardModel,
    prompts: list[str],
    responses: list[str],
    *,
    cache: ScoreCache | None = None,
    batch_size: int | None = None,
    progress: ProgressFn | None = None,
) -> pd.DataFrame:
    """Score (prompt, response) texts, using and filling the cache. Returns one row per input text.

    Texts are de-duplicated by content, looked up in the cache, and the missing ones scored in batches of similar
    length (longest first, so a too-large batch fails at once rather than at the end): ``batch_size`` texts each, or
    by the model's token budget when it has one (:mod:`seal_core.batching`). Each batch is committed to
    the cache as soon as it is scored. ``progress(done, total)`` is called after each batch.
    """
    if len(prompts) != len(responses):
        raise SealInputError(f"got {len(prompts)} prompts but {len(responses)} responses; they must pair up")
    batch_size = batch_size or model.batch_size
    keys = [text_key(p, r) for p, r in zip(prompts, responses)]
    unique = dict(zip(keys, zip(prompts, responses)))
    seed = getattr(model, "seed_scores", None)
    if cache is not None and seed is not None and seed.exists():
        cache.ensure_seeded(model.cache_key, seed)

    def score(chunk: list[str], texts: list[tuple[str, str]]) -> dict[str, CachedScore]:
        out = model.score([p for p, _ in texts], [r for _, r in texts])
        return {
            k: CachedScore(float(s), int(n), int(pc), int(rc))
            for k, s, n, pc, rc in zip(chunk, out.scores, out.n_tokens, out.prompt_tokens_cut, out.response_tokens_cut)
        }

    found = fill_cached(
        unique,
        score,
        lookup=(lambda ks: cache.get_many(model.cache_key, ks)) if cache is not None else None,
        save=(lambda new: cache.put_many(model.cache_key, new, provenance=model.provenance))
        if cache is not None
        else None,
        batch_size=batch_size,
        progress=progress,
        plan=lambda texts: plan_batches(model, texts, batch_size),
    )
    rows = [found[k] for k in keys]
    return pd.DataFrame(
        {
            "text_key": keys,
            "score": np.array([r.score for r in rows], dtype=np.float64),
            "n_tokens": np.array([r.n_tokens for r in rows], dtype=np.int64),
            "prompt_tokens_cut": np.array([r.prompt_tokens_cut for r in rows], dtype=np.int64),
            "response_tokens_cut": np.array([r.response_tokens_cut for r in rows], dtype=np.int64),
        }
    )


def score_pairs(
    pairs: pd.DataFrame,
    model: RewardModel,
    *,
    cache: ScoreCache | None = None,
    batch_size: int | None = None,
    progress: ProgressFn | None = None,
    content_key: str | None = None,
) -> pd.DataFrame:
    """Score both sides of every pair and return the Scores table (one row per pair).

    Columns: ``pair_id, model, score_chosen, score_rejected, margin`` (chosen − rejected), ``agrees`` (margin > 0,
    strict as in SEAL), ``tie`` (margin == 0), token counts and truncation per side, and the provenance
    (``input_format, max_length, dtype``; ``model`` is id@revision), and ``in_sample``: the model that scored the
    pair was trained on it (as its card records; a cross-fitting model scores each training pair with the fold
    model that never saw it, so none is).

    With a cache, a complete Scores table of at least :data:`seal_core.snapshots.MIN_ROWS` pairs is also saved
    whole (:mod:`seal_core.snapshots`), so asking again for the same pairs and model reads one file;
    ``content_key`` is the pairs' :func:`~seal_core.data.content_hash` when the caller already has it.

    Examples
    --------
    >>> import tempfile
    >>> from seal_core import load_pairs
    >>> from seal_core.models import load_reward_model
    >>> from seal_core.testing import build_tiny_pair_rm
    >>> rm = load_reward_model(str(build_tiny_pair_rm(tempfile.mkdtemp())))
    >>> scores = score_pairs(load_pairs().pairs.head(4), rm)
    >>> scores[["margin", "agrees"]].shape
    (4, 2)
    >>> bool(((scores.score_chosen - scores.score_rejected) == scores.margin).all())
    True
    """
    missing = {"pair_id", "prompt_chosen", "prompt_rejected", "chosen", "rejected"} - set(pairs.columns)
    if missing:
        raise SealInputError(f"the pairs table lacks column(s) {sorted(missing)}; load it with seal_core.load_pairs")

    def build() -> pd.DataFrame:
        return _score_pairs(pairs, model, cache=cache, batch_size=batch_size, progress=progress)

    if cache is None or len(pairs) < MIN_ROWS:
        return build()
    from seal_core.data import content_hash

    key = snapshot_key("scores", content_key or content_hash(pairs), model.cache_key, *SCORE_COLUMNS)
    snaps = Snapshots(cache.path.parent / "snapshots")
    return snaps.get_or_build(key, build, valid=lambda hit: list(hit.columns) == SCORE_COLUMNS)


def _score_pairs(pairs, model, *, cache, batch_size, progress) -> pd.DataFrame:
    n = len(pairs)
    offset, frames, in_sample = 0, [], np.zeros(n, dtype=bool)
    for sub, idx in model.route(pairs):  # one part, unless the model cross-fits (each training pair to its fold)
        part = pairs.iloc[idx]

        def step(done: int, total: int, offset: int = offset) -> None:
            if progress:
                progress(offset + done, offset + total)

        scored = score_texts(
            sub,
            part["prompt_chosen"].tolist() + part["prompt_rejected"].tolist(),
            part["chosen"].tolist() + part["rejected"].tolist(),
            cache=cache,
            batch_size=batch_size,
            progress=step,
        )
        offset += len(scored)
        frames.append(scored.set_axis(np.r_[idx, idx + n]))
        in_sample[idx] = sub.in_sample(part)
    texts = pd.concat(frames).sort_index()
    c, r = texts.iloc[:n].reset_index(drop=True), texts.iloc[n:].reset_index(drop=True)
    margin = c["score"].to_numpy() - r["score"].to_numpy()
    out = pd.DataFrame(
        {
            "pair_id": pairs["pair_id"].to_numpy(),
            "model": model.model_id,
            "score_chosen": c["score"].to_numpy(),
            "score_rejected": r["score"].to_numpy(),
            "margin": margin,
            "agrees": margin > 0,
            "tie": margin == 0,
            "n_tokens_chosen": c["n_tokens"].to_numpy(),
            "n_tokens_rejected": r["n_tokens"].to_numpy(),
            "truncated_chosen": (c["prompt_tokens_cut"] + c["response_tokens_cut"]).to_numpy() > 0,
            "truncated_rejected": (r["prompt_tokens_cut"] + r["response_tokens_cut"]).to_numpy() > 0,
            "prompt_tokens_cut_chosen": c["prompt_tokens_cut"].to_numpy(),
            "prompt_tokens_cut_rejected": r["prompt_tokens_cut"].to_numpy(),
            "response_tokens_cut_chosen": c["response_tokens_cut"].to_numpy(),
            "response_tokens_cut_rejected": r["response_tokens_cut"].to_numpy(),
            "input_format": model.input_format,
            "max_length": model.max_length,
            "dtype": model.dtype,
            "in_sample": in_sample,
        }
    )
    return out[SCORE_COLUMNS]


write_scores = write_table


def read_scores(path: str | os.PathLike) -> pd.DataFrame:
    """Read a Scores table written by :func:`write_scores` and check its columns."""
    path = Path(path)
    from seal_core.table_io import read_table

    df = read_table(path, what="scores file", dtype={"pair_id": str})
    need = {"pair_id", "model", "score_chosen", "score_rejected"}
    if need - set(df.columns):
        raise SealInputError(f"{path.name} lacks column(s) {sorted(need - set(df.columns))}; is it a Scores table?")
    df["margin"] = df["score_chosen"] - df["score_rejected"]
    df["agrees"] = df["margin"] > 0
    df["tie"] = df["margin"] == 0
    if "in_sample" not in df:  # written before the flag existed: nothing recorded
        df["in_sample"] = False
    return df
