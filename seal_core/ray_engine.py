"""Scale-out scoring on Ray: Ray Data ``map_batches`` over an actor pool, one reward model per actor.

``seal score DATA --engine ray`` (or :func:`score_pairs_ray`) scores the same texts as the local engine, with the same
code (:func:`seal_core.scoring.score_texts` inside each actor), and lands in the same Scores table and the same score
cache:

1. The texts are de-duplicated by content and looked up in the score cache and in the Parquet shards of earlier runs
   of the same model (``<cache dir>/ray-shards/<model cache key>/``). Only what is missing is sent to Ray.
2. The missing texts, sorted by length, are cut into shards of ``shard_size`` texts, one Ray Data block each.
   ``map_batches`` hands the blocks to a fixed pool of actors; each actor loads the model once and, for every shard,
   scores it and writes it as one Parquet file (temporary name, then an atomic rename: a shard is there whole or not
   at all).
3. The driver commits each shard's scores to the SQLite cache as it arrives, then builds the Scores table from the
   cache exactly as the local engine does.

A worker killed mid-run loses only the shard it was scoring: every shard renamed before the kill stays, and a re-run
(or Ray's own retry) scores only what is missing. Without ``address`` (or ``RAY_ADDRESS``) Ray starts locally for the
run and stops after it. On a multi-node cluster the shard folder must be on storage every node can reach (or pass
``shard_dir``); the cache itself is written by the driver only.

Ray is an optional extra: ``pip install 'seal-explorer[ray]'``.
"""

from __future__ import annotations

import hashlib
import os
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError
from seal_core.models.base import BatchScores, RewardModel, RewardModelConfig
from seal_core.scoring import CachedScore, ScoreCache, score_pairs, score_texts
from seal_core.storage import atomic_write, text_key

RAY_EXTRA = "ray"
RAY_HINT = (
    "the Ray engine needs the optional extra: pip install 'seal-explorer[ray]' (it pins ray[data]); "
    "or leave out --engine ray to score on this machine"
)
ProgressFn = Callable[[int, int], None]


def require_ray():
    """Import Ray and Ray Data, or say which extra to install."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise SealInputError(RAY_HINT) from None
    return ray


@dataclass(frozen=True)
class RayRun:
    """What a Ray scoring run did.

    Attributes
    ----------
    texts : int
        Distinct texts of the pairs (chosen and rejected, de-duplicated by content).
    from_cache : int
        Found in the score cache before the run.
    from_shards : int
        Recovered from Parquet shards of an earlier, unfinished run.
    scored : int
        Scored by the Ray workers in this run.
    reused : int
        Sent to the workers but found already committed in a shard (a block retried after a worker died).
    shards : int
        Shards written in this run.
    workers : int
        Actors in the pool (each holds one model).
    shard_dir : str
        Where the shards are.
    """

    texts: int
    from_cache: int
    from_shards: int
    scored: int
    reused: int
    shards: int
    workers: int
    shard_dir: str


class _Scored(RewardModel):
    """Stands in for a model whose every text is already in the cache, to build the Scores table from it."""

    def __init__(self, meta: dict[str, Any]) -> None:
        super().__init__()
        for k in ("name", "revision", "input_format", "max_length", "dtype", "batch_size"):
            setattr(self, k, meta[k])
        self._key = meta["cache_key"]

    @property
    def cache_key(self) -> str:
        return self._key

    def _score(self, prompts: list[str], responses: list[str]) -> BatchScores:
        raise RuntimeError(f"{len(prompts)} text(s) missing from the cache after the Ray run")


def _describe(config: RewardModelConfig) -> dict[str, Any]:
    from seal_core.models.registry import load_reward_model

    rm = load_reward_model(config)
    return {
        "name": rm.name,
        "revision": rm.revision,
        "input_format": rm.input_format,
        "max_length": rm.max_length,
        "dtype": rm.dtype,
        "batch_size": rm.batch_size,
        "cache_key": rm.cache_key,
    }


def _shard_name(keys: list[str]) -> str:
    return "shard-" + hashlib.blake2b("\n".join(keys).encode(), digest_size=10).hexdigest() + ".parquet"


class ShardScorer:
    """A Ray Data actor: loads the model once, then scores one shard per call and writes it atomically.

    ``kill_after`` (tests of fault tolerance only): after that many shards, the actor kills its own process with
    SIGKILL once per ``kill_marker`` file, right after a shard is committed.
    """

    def __init__(
        self,
        config: RewardModelConfig,
        shard_dir: str,
        threads: int = 1,
        kill_after: int | None = None,
        kill_marker: str | None = None,
    ) -> None:
        import torch

        from seal_core.models.registry import load_reward_model

        torch.set_num_threads(max(1, threads))
        self.model = load_reward_model(config)
        self.shard_dir = Path(shard_dir)
        self.kill_after, self.kill_marker, self.done = kill_after, kill_marker, 0

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        keys = batch["text_key"].tolist()
        path = self.shard_dir / _shard_name(keys)
        if path.exists():  # committed before a worker died and Ray retried this block: read it, do not re-score
            return pd.read_parquet(path).assign(fresh=False)
        out = score_texts(self.model, batch["prompt"].tolist(), batch["response"].tolist(), cache=None)
        shard = pd.DataFrame(
            {
                "model_key": self.model.cache_key,
                "text_key": keys,
                "score": out["score"].to_numpy(),
                "n_tokens": out["n_tokens"].to_numpy(),
                "prompt_cut": out["prompt_tokens_cut"].to_numpy(),
                "response_cut": out["response_tokens_cut"].to_numpy(),
            }
        )
        atomic_write(path, lambda tmp: shard.to_parquet(tmp, index=False))  # committed: whole or not at all
        self.done += 1
        if self.kill_after is not None and self.done >= self.kill_after and self.kill_marker:
            try:
                fd = os.open(self.kill_marker, os.O_CREAT | os.O_EXCL)
            except FileExistsError:
                pass
            else:
                os.close(fd)
                os.kill(os.getpid(), signal.SIGKILL)
        return shard.assign(fresh=True)


def _merge_shards(shard_dir: Path, cache: ScoreCache, model_key: str, provenance: dict) -> None:
    """Commit every shard in ``shard_dir`` to the cache (idempotent)."""
    for path in sorted(shard_dir.glob("shard-*.parquet")):
        df = pd.read_parquet(path)
        if (df["model_key"] != model_key).any():
            raise SealInputError(f"{path} holds scores of another model; remove the folder {shard_dir}")
        cache.put_many(model_key, _cached(df), provenance=provenance)


def _cached(df: pd.DataFrame) -> dict[str, CachedScore]:
    return {
        k: CachedScore(float(s), int(t), int(p), int(r))
        for k, s, t, p, r in zip(df["text_key"], df["score"], df["n_tokens"], df["prompt_cut"], df["response_cut"])
    }


def connect(address: str | None = None, *, num_cpus: int | None = None, **init_kwargs: Any) -> bool:
    """Connect to Ray (``"auto"``, ``"ray://host:port"``, or None for ``RAY_ADDRESS`` or a local Ray started here).

    Returns True when this call started or connected Ray (so the caller shuts it down), False when Ray was already
    initialised in this process.
    """
    ray = require_ray()
    if ray.is_initialized():
        return False
    kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
    if address is None and not os.environ.get("RAY_ADDRESS"):
        kw["num_cpus"] = num_cpus
    try:
        ray.init(address=address, **{**kw, **init_kwargs})
    except ConnectionError as e:
        raise SealInputError(
            f"could not reach a Ray cluster at {address or os.environ.get('RAY_ADDRESS')!r}: {e}. Start one with "
            "`ray start --head`, pass --address ray://HOST:10001, or leave --address out to run Ray locally"
        ) from None
    return True


def score_pairs_ray(
    pairs: pd.DataFrame,
    config: RewardModelConfig,
    *,
    cache: ScoreCache | None = None,
    address: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float = 0.0,
    shard_size: int = 256,
    shard_dir: str | os.PathLike | None = None,
    progress: ProgressFn | None = None,
    _kill_after: int | None = None,
) -> tuple[pd.DataFrame, RayRun]:
    """Score both sides of every pair on Ray and return the Scores table (as :func:`score_pairs`) and the run.

    Parameters
    ----------
    pairs : DataFrame
        A Pairs table (:func:`seal_core.load_pairs`).
    config : RewardModelConfig
        The model; every worker loads it (a local path must exist on every node).
    cache : ScoreCache, optional
        The score cache to read and fill; None uses a throw-away one (nothing is kept but the shards).
    address : str, optional
        ``"auto"`` (the running cluster), ``"ray://host:port"``, or None: ``RAY_ADDRESS`` or a local Ray.
    workers : int, optional
        Actors in the pool, one model each. Default: the cluster's GPUs / ``gpus_per_worker`` with GPUs, else 2.
    gpus_per_worker : float
        GPUs per actor (fractions share a GPU). Above 0 the model runs on ``cuda``.
    shard_size : int
        Texts per shard (the unit of work and of recovery).
    shard_dir : path, optional
        Shard folder; default ``<cache dir>/ray-shards/<model cache key>``.
    progress : callable, optional
        ``progress(done, total)`` after each shard.

    Examples
    --------
    >>> import tempfile  # doctest: +SKIP
    >>> from seal_core import load_pairs
    >>> from seal_core.testing import build_tiny_pair_rm
    >>> rm = RewardModelConfig(str(build_tiny_pair_rm(tempfile.mkdtemp())))
    >>> scores, run = score_pairs_ray(load_pairs().pairs.head(20), rm, workers=2)
    >>> run.scored
    40
    """
    if workers is not None and workers < 1:
        raise SealInputError(f"--workers must be at least 1, got {workers}")
    if gpus_per_worker < 0:
        raise SealInputError(f"--gpus-per-worker cannot be negative, got {gpus_per_worker}")
    if shard_size < 1:
        raise SealInputError(f"shard_size must be at least 1, got {shard_size}")
    missing = {"pair_id", "prompt_chosen", "prompt_rejected", "chosen", "rejected"} - set(pairs.columns)
    if missing:
        raise SealInputError(f"the pairs table lacks column(s) {sorted(missing)}; load it with seal_core.load_pairs")
    if gpus_per_worker > 0 and config.device in ("cpu", "auto"):
        config = replace(config, device="cuda")
    ray = require_ray()

    started = connect(address)
    tmp_cache = None
    try:
        if cache is None:
            tmp_cache = tempfile.TemporaryDirectory(prefix="seal-ray-")
            cache = ScoreCache(Path(tmp_cache.name) / "scores.sqlite")
        resources = ray.cluster_resources()
        if gpus_per_worker > 0 and resources.get("GPU", 0) < gpus_per_worker:
            raise SealInputError(
                f"--gpus-per-worker {gpus_per_worker} but the Ray cluster has {resources.get('GPU', 0):g} GPU(s)"
            )
        if workers is None:
            workers = int(resources.get("GPU", 0) // gpus_per_worker) if gpus_per_worker > 0 else 2
            workers = max(1, workers)
        describe = ray.remote(_describe).options(num_cpus=1, num_gpus=gpus_per_worker or None)
        meta = ray.get(describe.remote(config))
        model = _Scored(meta)
        folder = Path(shard_dir) if shard_dir else cache.path.parent / "ray-shards" / meta["cache_key"]
        folder.mkdir(parents=True, exist_ok=True)
        provenance = model.provenance
        prompts = pairs["prompt_chosen"].tolist() + pairs["prompt_rejected"].tolist()
        responses = pairs["chosen"].tolist() + pairs["rejected"].tolist()
        unique = dict(zip((text_key(p, r) for p, r in zip(prompts, responses)), zip(prompts, responses)))
        before = len(cache.get_many(meta["cache_key"], unique))
        _merge_shards(folder, cache, meta["cache_key"], provenance)
        found = cache.get_many(meta["cache_key"], unique)
        todo = sorted((k for k in unique if k not in found), key=lambda k: -len(unique[k][0]) - len(unique[k][1]))
        total, done, n_shards, fresh = len(todo), 0, 0, 0
        if progress:
            progress(0, total)
        if todo:
            frame = pd.DataFrame(
                {"text_key": todo, "prompt": [unique[k][0] for k in todo], "response": [unique[k][1] for k in todo]}
            )
            blocks = [frame.iloc[i : i + shard_size] for i in range(0, total, shard_size)]
            ctx = ray.data.DataContext.get_current()
            ctx.enable_progress_bars = False
            ctx.print_on_execution_start = False
            ds = ray.data.from_pandas(blocks).map_batches(
                ShardScorer,
                batch_size=None,  # one block = one shard
                batch_format="pandas",
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=1,
                num_gpus=gpus_per_worker or None,
                fn_constructor_kwargs={
                    "config": config,
                    "shard_dir": str(folder),
                    "threads": 1,
                    "kill_after": _kill_after,
                    "kill_marker": str(folder / ".killed-once") if _kill_after else None,
                },
            )  # Ray Data restarts a dead actor and retries its block (max_restarts=-1 by default)
            for shard in ds.iter_batches(batch_size=None, batch_format="pandas"):
                cache.put_many(meta["cache_key"], _cached(shard), provenance=provenance)
                done += len(shard)
                fresh += int(shard["fresh"].sum())
                n_shards += int(shard["fresh"].iloc[0]) if len(shard) else 0
                if progress:
                    progress(min(done, total), total)
        scores = score_pairs(pairs, model, cache=cache)
        run = RayRun(
            texts=len(unique),
            from_cache=before,
            from_shards=len(found) - before,
            scored=fresh,
            reused=total - fresh,
            shards=n_shards,
            workers=workers,
            shard_dir=str(folder),
        )
        return scores, run
    finally:
        if tmp_cache is not None:
            tmp_cache.cleanup()
        if started:
            ray.shutdown()


def equal_scores(a: pd.DataFrame, b: pd.DataFrame, *, atol: float = 1e-5) -> bool:
    """True when two Scores tables hold the same pairs with scores equal to ``atol``."""
    cols = ["pair_id", "score_chosen", "score_rejected"]
    j = a[cols].merge(b[cols], on="pair_id", suffixes=("_a", "_b"))
    if len(j) != len(a) or len(j) != len(b):
        return False
    return bool(
        np.allclose(j.score_chosen_a, j.score_chosen_b, atol=atol, rtol=0)
        and np.allclose(j.score_rejected_a, j.score_rejected_b, atol=atol, rtol=0)
    )
