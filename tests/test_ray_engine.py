"""The Ray engine on a local 2-CPU Ray (one per module: Ray start-up is slow) with a tiny test RM."""

from __future__ import annotations

import builtins

import pytest

from seal_core.data import load_pairs
from seal_core.errors import SealInputError
from seal_core.models import RewardModelConfig, load_reward_model
from seal_core.ray_engine import equal_scores, require_ray, score_pairs_ray
from seal_core.scoring import ScoreCache, score_pairs
from seal_core.testing import build_tiny_pair_rm

# `make test` installs the extra (requirements-dev.txt); a hand-made venv without it skips these tests, saying why.
pytest.importorskip("ray", reason="the Ray engine's tests need the extra: pip install 'seal-explorer[ray]'")


@pytest.fixture(scope="module")
def ray_local():
    ray = require_ray()
    for attempt in range(2):  # the raylet has 30 s to register; a busy machine can miss that once
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=200 * 1024**2)
            break
        except Exception:
            ray.shutdown()
            if attempt:
                raise
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_pair_rm(tmp_path_factory.mktemp("rm"))


def test_ray_scores_equal_local_survive_a_killed_worker_and_resume(ray_local, tiny, tmp_path):
    pairs = load_pairs().pairs.head(30)
    local = score_pairs(pairs, load_reward_model(str(tiny)))
    config = RewardModelConfig(str(tiny))
    shards = tmp_path / "shards"

    # A worker kills its own process (SIGKILL) right after committing its first shard; Ray restarts it and
    # retries that block, which is found committed and read back instead of scored again.
    cache = ScoreCache(tmp_path / "a.sqlite")
    scores, run = score_pairs_ray(
        pairs, config, cache=cache, workers=2, shard_size=10, shard_dir=shards, _kill_after=1
    )
    assert (shards / ".killed-once").exists()
    assert equal_scores(scores, local, atol=1e-5)
    assert run.texts == 60 and run.from_cache == 0
    assert run.reused >= 1 and run.scored + run.reused == 60
    assert len(list(shards.glob("shard-*.parquet"))) == 6
    assert scores.columns.tolist() == local.columns.tolist()
    assert (scores.model == local.model).all() and (scores.agrees == local.agrees).all()

    # Same cache: nothing left to score.
    again, run2 = score_pairs_ray(pairs, config, cache=cache, workers=1, shard_dir=shards)
    assert run2.scored == 0 and run2.from_cache == 60 and equal_scores(again, local)

    # A new cache and one shard lost: the other shards are merged, only the lost one is scored.
    lost = sorted(shards.glob("shard-*.parquet"))[0]
    lost.unlink()
    fresh_cache = ScoreCache(tmp_path / "b.sqlite")
    third, run3 = score_pairs_ray(pairs, config, cache=fresh_cache, workers=1, shard_size=10, shard_dir=shards)
    assert run3.from_shards == 50 and run3.scored == 10
    assert equal_scores(third, local, atol=1e-5)
    assert fresh_cache.count() == 60  # merged into the same cache as the local engine uses


def test_ray_refuses_bad_options(ray_local, tiny):
    pairs = load_pairs().pairs.head(2)
    with pytest.raises(SealInputError, match="at least 1"):
        score_pairs_ray(pairs, RewardModelConfig(str(tiny)), workers=0)
    with pytest.raises(SealInputError, match="GPU"):
        score_pairs_ray(pairs, RewardModelConfig(str(tiny)), gpus_per_worker=1)
    with pytest.raises(SealInputError, match="lacks column"):
        score_pairs_ray(pairs.drop(columns=["chosen"]), RewardModelConfig(str(tiny)))


def test_without_ray_the_message_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(SealInputError, match=r"seal-explorer\[ray\]"):
        require_ray()
