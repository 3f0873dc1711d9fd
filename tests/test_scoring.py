import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from seal_core.data import pairs_from_records
from seal_core.errors import SealInputError
from seal_core.models import HFRewardModel, RewardModelConfig
from seal_core.scoring import SCORE_COLUMNS, ScoreCache, read_scores, score_pairs, write_scores


class CountingRM(HFRewardModel):
    """The real tiny HF model, counting how many texts it is asked to score."""

    def __init__(self, path, **kw):
        super().__init__(RewardModelConfig(str(path), **kw))
        self.calls = 0

    def _score(self, prompts, responses):
        self.calls += len(prompts)
        return super()._score(prompts, responses)


def test_scores_table_contract(pair_rm_path, sample):
    rm = CountingRM(pair_rm_path)
    pairs = sample.pairs.head(20)
    s = score_pairs(pairs, rm)
    assert list(s.columns) == SCORE_COLUMNS
    assert s.pair_id.tolist() == pairs.pair_id.tolist()
    assert (s.model == rm.model_id).all()
    np.testing.assert_array_equal(s.margin, s.score_chosen - s.score_rejected)
    np.testing.assert_array_equal(s.agrees, s.margin > 0)
    assert s.score_chosen.dtype == np.float64
    one = rm.score_one(pairs.prompt_chosen[3], pairs.chosen[3])
    assert s.score_chosen[3] == pytest.approx(one, abs=1e-5)


def test_identical_pair_is_an_exact_tie(pair_rm_path, sample):
    full = sample.pairs.chosen_full[0]
    pairs = pairs_from_records([{"chosen": full, "rejected": full}]).pairs
    rm = CountingRM(pair_rm_path)
    s = score_pairs(pairs, rm)
    assert bool(s.tie[0]) and not bool(s.agrees[0]) and s.margin[0] == 0.0
    assert rm.calls == 1  # the shared text is scored once


def test_cache_means_nothing_is_rescored(pair_rm_path, sample, tmp_path):
    cache = ScoreCache(tmp_path / "s.sqlite")
    pairs = sample.pairs.head(30)
    rm = CountingRM(pair_rm_path, batch_size=7)
    first = score_pairs(pairs, rm, cache=cache)
    assert rm.calls == 60
    again = CountingRM(pair_rm_path)
    second = score_pairs(pairs, again, cache=ScoreCache(tmp_path / "s.sqlite"))
    assert again.calls == 0
    pd.testing.assert_frame_equal(first, second)
    more = score_pairs(sample.pairs.head(40), again, cache=cache)
    assert again.calls == 20 and len(more) == 40
    other_len = CountingRM(pair_rm_path, max_length=32)  # other provenance, other cache entries
    score_pairs(pairs.head(2), other_len, cache=cache)
    assert other_len.calls == 4


def test_progress_is_reported(pair_rm_path, sample):
    seen = []
    score_pairs(
        sample.pairs.head(10), CountingRM(pair_rm_path, batch_size=8), progress=lambda d, t: seen.append((d, t))
    )
    assert seen[0] == (0, 20) and seen[-1] == (20, 20) and len(seen) == 4


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from seal_core.data import load_pairs
    from seal_core.models import load_reward_model
    from seal_core.scoring import ScoreCache, score_pairs

    rm = load_reward_model(sys.argv[1], batch_size=4)
    def progress(done, total):
        print(done, flush=True)
        time.sleep(0.05)
    score_pairs(load_pairs().pairs.head(200), rm, cache=ScoreCache(sys.argv[2]), progress=progress)
    print("finished", flush=True)
    """
)


def test_kill_minus_9_mid_run_resumes_with_nothing_lost(pair_rm_path, sample, tmp_path):
    db = tmp_path / "kill.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(pair_rm_path), str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ},
    )
    done = 0
    for line in proc.stdout:
        if line.strip().isdigit():
            done = int(line)
        if done >= 60:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the scorer finished before it could be killed"

    cache = ScoreCache(db)
    assert cache.integrity_ok()
    kept = cache.count()
    assert 60 <= kept < 400  # every batch committed before the kill survived; the run was not complete

    pairs = sample.pairs.head(200)
    rm = CountingRM(pair_rm_path, batch_size=4)
    resumed = score_pairs(pairs, rm, cache=cache)
    unique_texts = len(set(zip(pairs.prompt_chosen, pairs.chosen)) | set(zip(pairs.prompt_rejected, pairs.rejected)))
    assert rm.calls == unique_texts - kept  # only the missing texts were scored
    fresh = score_pairs(pairs, CountingRM(pair_rm_path, batch_size=4))
    np.testing.assert_allclose(resumed.score_chosen, fresh.score_chosen, atol=1e-5)
    np.testing.assert_allclose(resumed.score_rejected, fresh.score_rejected, atol=1e-5)


def test_corrupt_cache_file_gets_a_clear_error(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SealInputError, match="cannot be opened.*SEAL_CACHE_DIR"):
        ScoreCache(bad)


def test_write_and_read_scores_round_trip(pair_rm_path, sample, tmp_path):
    s = score_pairs(sample.pairs.head(5), CountingRM(pair_rm_path))
    for name in ("s.parquet", "s.csv"):
        path = write_scores(s, tmp_path / name)
        back = read_scores(path)
        np.testing.assert_allclose(back.margin, s.margin)
        assert back.pair_id.tolist() == s.pair_id.tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.parquet"]  # no temp files left
    with pytest.raises(SealInputError, match="use a .parquet or .csv"):
        write_scores(s, tmp_path / "s.xlsx")
    with pytest.raises(SealInputError, match="lacks column"):
        pd.DataFrame({"x": [1]}).to_csv(tmp_path / "x.csv")
        read_scores(tmp_path / "x.csv")


def test_score_pairs_validates_its_input(pair_rm_path):
    with pytest.raises(SealInputError, match=r"lacks column\(s\)"):
        score_pairs(pd.DataFrame({"pair_id": ["a"]}), CountingRM(pair_rm_path))
