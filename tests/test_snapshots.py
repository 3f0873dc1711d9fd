"""Whole-table snapshots: read back exactly what was built, only for the identical key, never from a partial result."""

import os
import time

import numpy as np
import pandas as pd
import pytest

import seal_core.features.labelling as labelling
import seal_core.scoring as scoring
from seal_core.data import content_hash, load_pairs
from seal_core.data import pairs as pairs_mod
from seal_core.features import LabelCache, RulesFeaturizer, label_pairs
from seal_core.models import load_reward_model
from seal_core.scoring import ScoreCache, score_pairs
from seal_core.snapshots import Snapshots, snapshot_key


def test_put_get_round_trip_with_meta(tmp_path):
    snaps = Snapshots(tmp_path)
    table = pd.DataFrame({"pair_id": ["a", "b"], "score": [0.5, -1.25], "ok": [True, False]})
    snaps.put("scores-1", table, {"content_key": "abc", "warnings": ["w"]})
    got, meta = snaps.get_with_meta("scores-1")
    pd.testing.assert_frame_equal(got, table)
    assert meta == {"content_key": "abc", "warnings": ["w"]}
    assert snaps.get("scores-2") is None


def test_a_damaged_snapshot_is_a_miss_and_is_removed(tmp_path):
    snaps = Snapshots(tmp_path)
    snaps.put("k", pd.DataFrame({"a": [1]}))
    path = tmp_path / "k.parquet"
    path.write_bytes(b"not parquet at all")
    assert snaps.get("k") is None
    assert not path.exists()


def test_the_folder_keeps_under_its_size_limit_dropping_the_least_recently_used(tmp_path):
    snaps = Snapshots(tmp_path, max_mb=0.05)  # about 52 kB
    big = pd.DataFrame({"x": np.random.default_rng(0).normal(size=2500)})  # about 20 kB as Parquet
    for k in ("a", "b"):
        snaps.put(k, big)
        time.sleep(0.02)
    os.utime(tmp_path / "a.parquet")  # a used more recently than b
    time.sleep(0.02)
    snaps.put("c", big)
    assert sorted(p.stem for p in tmp_path.glob("*.parquet")) == ["a", "c"]


def test_keys_name_every_dependency():
    assert snapshot_key("scores", "h1", "m") != snapshot_key("scores", "h2", "m")
    assert snapshot_key("scores", "h1", "m") != snapshot_key("features", "h1", "m")
    assert snapshot_key("scores", "h1", "m").startswith("scores-")


class CountingRM:
    """Wraps a reward model and counts the texts it is asked to score."""

    def __init__(self, rm):
        self.rm, self.texts = rm, 0

    def __getattr__(self, name):
        return getattr(self.rm, name)

    def route(self, pairs):
        return [(self, idx) for _, idx in self.rm.route(pairs)]

    def score(self, prompts, responses):
        self.texts += len(prompts)
        return self.rm.score(prompts, responses)


def test_score_pairs_reads_a_complete_table_back_from_its_snapshot(tmp_path, monkeypatch, sample, pair_rm_path):
    monkeypatch.setattr(scoring, "MIN_ROWS", 5)
    pairs = sample.pairs.head(8)
    cache = ScoreCache(tmp_path / "scores.sqlite")
    rm = CountingRM(load_reward_model(str(pair_rm_path)))
    first = score_pairs(pairs, rm, cache=cache)
    assert rm.texts == 16 and len(list((tmp_path / "snapshots").glob("scores-*.parquet"))) == 1
    cache.close()
    (tmp_path / "scores.sqlite").unlink()  # the per-text cache is gone: only the snapshot can answer
    again = score_pairs(pairs, rm, cache=ScoreCache(tmp_path / "scores.sqlite"))
    assert rm.texts == 16  # nothing scored again
    pd.testing.assert_frame_equal(again, first)
    other = score_pairs(pairs.head(6), rm, cache=ScoreCache(tmp_path / "scores.sqlite"))  # other content: no hit
    assert rm.texts == 28 and len(other) == 6


def test_small_tables_are_not_snapshotted(tmp_path, sample, pair_rm_path):
    score_pairs(sample.pairs.head(4), load_reward_model(str(pair_rm_path)), cache=ScoreCache(tmp_path / "s.sqlite"))
    assert not (tmp_path / "snapshots").exists()


def test_label_pairs_snapshot_and_no_snapshot_of_a_partial_result(tmp_path, monkeypatch, sample):
    monkeypatch.setattr(labelling, "MIN_ROWS", 5)
    pairs = sample.pairs.head(6)
    feats = label_pairs(pairs, RulesFeaturizer(), cache=LabelCache(tmp_path / "labels.sqlite")).features
    key = snapshot_key("features", content_hash(pairs), RulesFeaturizer().key)
    assert Snapshots(tmp_path / "snapshots").get(key) is not None
    again = label_pairs(pairs, RulesFeaturizer(), cache=LabelCache(tmp_path / "labels.sqlite"))
    pd.testing.assert_frame_equal(again.features, feats)
    assert again.complete

    class Failing(RulesFeaturizer):
        key = "failing-rules"

        def _label(self, prompts, responses):
            out = super()._label(prompts, responses)
            out["__failed__"] = [i == 0 for i in range(len(out))]
            return out

    out = label_pairs(pairs, Failing(), cache=LabelCache(tmp_path / "labels.sqlite"))
    assert len(out.failed) == 1 and not out.complete
    key = snapshot_key("features", content_hash(pairs), "failing-rules")
    assert Snapshots(tmp_path / "snapshots").get(key) is None


def test_load_pairs_snapshot_equals_a_fresh_parse_and_follows_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(pairs_mod, "SNAPSHOT_MIN_BYTES", 0)
    src = load_pairs().pairs.head(40)
    path = tmp_path / "d.jsonl"
    src[["chosen_full", "rejected_full"]].rename(columns=lambda c: c.removesuffix("_full")).to_json(
        path, orient="records", lines=True
    )
    plain = load_pairs(str(path))
    first = load_pairs(str(path), snapshot=True)
    second = load_pairs(str(path), snapshot=True)  # from the snapshot
    for res in (first, second):
        pd.testing.assert_frame_equal(res.pairs, plain.pairs)
        assert (res.source, res.input_format, res.warnings) == (plain.source, plain.input_format, plain.warnings)
        assert res.content_key == content_hash(plain.pairs)
    assert len(list(Snapshots().folder.glob("pairs-*.parquet"))) >= 1
    # the file changes: parsed again, never the old snapshot
    src.head(10)[["chosen_full", "rejected_full"]].rename(columns=lambda c: c.removesuffix("_full")).to_json(
        path, orient="records", lines=True
    )
    os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert len(load_pairs(str(path), snapshot=True).pairs) == 10


def test_a_lenient_load_that_skipped_records_is_not_snapshotted(tmp_path, monkeypatch):
    monkeypatch.setattr(pairs_mod, "SNAPSHOT_MIN_BYTES", 0)
    path = tmp_path / "bad.jsonl"
    path.write_text('{"chosen": "\\n\\nHuman: a\\n\\nAssistant: b", "rejected": "\\n\\nHuman: a\\n\\nAssistant: c"}\n'
                    "not json\n")  # fmt: skip
    before = set(Snapshots().folder.glob("pairs-*.parquet")) if Snapshots().folder.exists() else set()
    res = load_pairs(str(path), strict=False, snapshot=True)
    assert len(res.skipped) == 1 and res.content_key is None
    after = set(Snapshots().folder.glob("pairs-*.parquet")) if Snapshots().folder.exists() else set()
    assert after == before


@pytest.mark.parametrize("n", [1, 7])
def test_margin_histogram_is_binned_and_counts_every_pair(n):
    from ui.charts import margin_histogram

    rng = np.random.default_rng(n)
    scores = pd.DataFrame({"role": ["pre"] * n + ["post"] * n, "model": ["a"] * n + ["b"] * n,
                           "margin": rng.normal(size=2 * n)})  # fmt: skip
    data = margin_histogram(scores, bins=20).data
    assert len(data) == 40
    assert data.groupby("who")["pairs"].sum().tolist() == [n, n]
    assert (data["start"] < data["end"]).all() and data["start"].min() <= 0 <= data["end"].max()
