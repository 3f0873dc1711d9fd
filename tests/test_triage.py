import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seal_core.data import load_pairs, pairs_from_records
from seal_core.errors import SealInputError
from seal_core.metrics.ambiguity import ambiguity_components, rank_pairs, response_similarity
from seal_core.review import ReviewStore, cleaned_pairs, export_pairs, reviewer_agreement


def hh(q, a):
    return f"\n\nHuman: {q}\n\nAssistant: {a}"


PAIRS = pairs_from_records([
    {"id": "clear", "chosen": hh("How do I boil an egg?", "Put it in boiling water for nine minutes."),
     "rejected": hh("How do I boil an egg?", "No.")},
    {"id": "same", "chosen": hh("Hi", "Hello there!"), "rejected": hh("Hi", "Hello there!")},
    {"id": "mislabel", "chosen": hh("Help me hurt him", "Sure, here is how to hurt him badly and not get caught."),
     "rejected": hh("Help me hurt him", "I can't help with hurting someone.")},
]).pairs  # fmt: skip


def scores_for(margins: dict[str, dict[str, float]]):
    rows = [{"pair_id": pid, "model": m, "margin": v, "score_chosen": v, "score_rejected": 0.0}
            for m, d in margins.items() for pid, v in d.items()]  # fmt: skip
    return pd.DataFrame(rows)


def test_components_and_ranking_on_hand_made_pairs():
    s = scores_for({"a": {"clear": 3.0, "same": 0.0, "mislabel": -2.0}, "b": {"clear": 2.5, "same": 0.0,
                                                                          "mislabel": 1.0}})  # fmt: skip
    gamma = pd.Series({"clear": "c", "same": "i", "mislabel": "r"})
    comp = ambiguity_components(PAIRS, s, gamma=gamma)
    assert comp.loc["same", "near_identical"] == 1.0 and comp.loc["clear", "near_identical"] == 0.0
    assert comp.loc["same", "small_margin"] == 1.0  # margin 0 under both RMs
    assert comp.loc["mislabel", "rm_disagreement"] == 1.0 and comp.loc["clear", "rm_disagreement"] == 0.0
    assert comp.loc["mislabel", "labeler_vs_human"] == 1.0 and comp.loc["same", "labeler_vs_human"] == 0.5
    assert comp.loc["mislabel", "length_confound"] > 0  # longer chosen, an RM prefers the rejected
    assert comp.loc["clear", "length_confound"] == 0.0  # longer chosen, but every RM agrees
    assert comp.loc["mislabel", "label_quality"] > comp.loc["clear", "label_quality"]
    ranked = rank_pairs(comp)
    assert ranked.index[-1] == "clear"  # the unambiguous pair is last
    assert ranked.loc["clear", "rank"] == 3
    only_margin = rank_pairs(comp, {"small_margin": 1.0, "near_identical": 0, "rm_disagreement": 0,
                                    "labeler_vs_human": 0, "length_confound": 0, "label_quality": 0})  # fmt: skip
    assert only_margin.index[0] == "same"
    with pytest.raises(SealInputError, match="non-negative"):
        rank_pairs(comp, {"small_margin": -1})
    shuffled = comp.iloc[[2, 0, 1]]  # the ranking depends on the components, not on the input order
    assert rank_pairs(shuffled).equals(rank_pairs(comp))


@pytest.mark.parametrize("component", ["small_margin", "labeler_vs_human", "near_identical", "label_quality"])
def test_score_is_the_weighted_mean_and_a_zero_weight_removes_a_component(component):
    comp = pd.DataFrame({"small_margin": [0.9, 0.1, 0.4], "labeler_vs_human": [0.0, 1.0, 0.5],
                         "near_identical": [0.2, 0.6, 1.0], "label_quality": [0.3, 0.8, np.nan]},
                        index=["x", "y", "z"])  # fmt: skip
    w = {"small_margin": 1.0, "labeler_vs_human": 3.0, "near_identical": 0.5, "label_quality": 2.0}
    got = rank_pairs(comp, w)["score"]
    # by hand: x = (0.9·1 + 0·3 + 0.2·0.5 + 0.3·2) / 6.5; z has no label_quality, so its weight is left out
    assert got["x"] == pytest.approx((0.9 + 0.0 + 0.1 + 0.6) / 6.5)
    assert got["z"] == pytest.approx((0.4 + 1.5 + 0.5) / 4.5)
    zero = rank_pairs(comp, {**w, component: 0.0})["score"]
    rest = {c: v for c, v in w.items() if c != component}
    for pid in comp.index:
        vals = comp.loc[pid, list(rest)]
        ok = vals.notna()
        expect = (vals[ok] * pd.Series(rest)[ok]).sum() / pd.Series(rest)[ok].sum()
        assert zero[pid] == pytest.approx(expect)
    assert not np.allclose(zero.sort_index(), got.sort_index())  # the weight mattered


def test_one_rm_has_no_disagreement_component_and_similarity_is_used():
    s = scores_for({"a": {"clear": 3.0, "same": 0.0, "mislabel": -2.0}})
    sim = response_similarity(PAIRS)
    assert sim["same"] == pytest.approx(1.0, abs=1e-5)
    comp = ambiguity_components(PAIRS, s, similarity=sim)
    assert comp["rm_disagreement"].isna().all() and comp["labeler_vs_human"].isna().all()
    # (cos − 0.8) / 0.2, clipped: computed by hand from the similarity the component was given
    assert comp.loc["mislabel", "near_identical"] == pytest.approx(min(max((sim["mislabel"] - 0.8) / 0.2, 0), 1))
    assert comp.loc["same", "near_identical"] == 1.0
    made_up = pd.Series({"clear": 0.9, "same": 0.5, "mislabel": 0.7})
    near = ambiguity_components(PAIRS, s, similarity=made_up)["near_identical"]
    assert near.to_dict() == pytest.approx({"clear": 0.5, "same": 1.0, "mislabel": 0.0})  # identical texts stay 1


def test_verdicts_history_current_and_validation(tmp_path):
    store = ReviewStore(tmp_path / "r.sqlite")
    store.record("d", "p1", "ana", "flip", note="unsafe")
    store.record("d", "p1", "ana", "drop")
    store.record("d", "p1", "bo", "keep")
    cur = store.current("d").set_index("reviewer")
    assert cur.loc["ana", "verdict"] == "drop" and cur.loc["bo", "verdict"] == "keep"
    assert store.history("d").verdict.tolist() == ["flip", "drop", "keep"]  # history kept
    with pytest.raises(SealInputError, match="unknown verdict 'maybe'"):
        store.record("d", "p1", "ana", "maybe")
    with pytest.raises(SealInputError, match="needs a reviewer"):
        store.record("d", "p1", " ", "keep")
    (tmp_path / "bad.sqlite").write_bytes(b"not a database" * 50)
    with pytest.raises(SealInputError, match="cannot be opened"):
        ReviewStore(tmp_path / "bad.sqlite")


WRITER = textwrap.dedent(
    """
    import sys
    from seal_core.review import ReviewStore
    store = ReviewStore(sys.argv[1])
    for i in range(100000):
        store.record("d", f"p{i}", "ana", "keep", note="x" * 200)
        print(i, flush=True)
    """
)


def test_kill_minus_9_during_writes_loses_no_confirmed_verdict(tmp_path):
    db = tmp_path / "r.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ})  # fmt: skip
    confirmed = -1
    for line in proc.stdout:
        confirmed = int(line)
        if confirmed >= 150:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    store = ReviewStore(db)
    assert store.integrity_ok()
    h = store.history()
    ids = set(h.pair_id)
    assert {f"p{i}" for i in range(confirmed + 1)} <= ids  # every verdict confirmed before the kill is there
    assert (h.note.str.len() == 200).all() and (h.verdict == "keep").all()  # and none is half-written


def _write_many(path, reviewer, n):
    store = ReviewStore(path)
    for i in range(n):
        store.record("d", f"p{i % 20}", reviewer, ["keep", "flip"][i % 2])


def test_concurrent_writers_threads_and_processes(tmp_path):
    db = tmp_path / "r.sqlite"
    ReviewStore(db)
    threads = [threading.Thread(target=_write_many, args=(db, f"t{k}", 50)) for k in range(3)]
    # Separate interpreters started with subprocess, not multiprocessing's spawn: spawn re-imports whatever
    # ``__main__`` is, and Streamlit's AppTest (run earlier in the same pytest process) leaves app.py there.
    code = "import sys; from tests.test_triage import _write_many; _write_many(sys.argv[1], sys.argv[2], 50)"
    root = Path(__file__).resolve().parents[1]
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(db), f"p{k}"], cwd=root, stderr=subprocess.PIPE, text=True)
        for k in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    h = ReviewStore(db).history()
    assert len(h) == 250 and h.groupby("reviewer").size().eq(50).all()
    cur = ReviewStore(db).current()
    assert len(cur) == 5 * 20  # latest per (pair, reviewer)


def test_export_import_round_trip_is_exact(tmp_path):
    a = ReviewStore(tmp_path / "a.sqlite")
    a.record("d", "p1", "ana", "flip", note='quotes " and, commas\nand a newline')
    a.record("d", "p2", "bo", "drop", note="")
    for name in ("v.jsonl", "v.csv"):
        path = a.export(tmp_path / name)
        b = ReviewStore(tmp_path / f"b-{name}.sqlite")
        assert b.import_(path) == 2
        assert b.import_(path) == 0  # idempotent
        pd.testing.assert_frame_equal(a.history().drop(columns="id"), b.history().drop(columns="id"))
    with pytest.raises(SealInputError, match=".jsonl or .csv"):
        a.export(tmp_path / "v.xlsx")
    (tmp_path / "bad.jsonl").write_text('{"dataset": "d"}\n')
    with pytest.raises(SealInputError, match="lacks column"):
        a.import_(tmp_path / "bad.jsonl")


def test_reviewer_kappa():
    cur = pd.DataFrame({"id": range(8), "dataset": "d", "pair_id": [f"p{i}" for i in range(4)] * 2,
                        "reviewer": ["ana"] * 4 + ["bo"] * 4,
                        "verdict": ["keep", "flip", "keep", "drop", "keep", "flip", "flip", "drop"],
                        "note": "", "created_at": ""})  # fmt: skip
    k = reviewer_agreement(cur).iloc[0]
    assert k.n_pairs == 4 and k.agreement == 0.75
    assert k.kappa == pytest.approx(0.6363636, abs=1e-6)  # po = .75, pe = (2·1 + 1·2 + 1·1)/16 = 5/16


def test_cleaned_dataset_applies_flips_and_drops_and_reloads(tmp_path):
    store = ReviewStore(tmp_path / "r.sqlite")
    store.record("d", "mislabel", "ana", "flip")
    store.record("d", "same", "ana", "drop")
    store.record("d", "clear", "ana", "ambiguous")
    clean = cleaned_pairs(PAIRS, store.current("d"))
    assert clean.pair_id.tolist() == ["clear", "mislabel"]
    flipped = clean.set_index("pair_id").loc["mislabel"]
    assert flipped.chosen == "I can't help with hurting someone."
    path = export_pairs(clean, tmp_path / "clean.jsonl")
    again = load_pairs(path).pairs
    assert again.set_index("pair_id").loc["mislabel", "chosen"] == "I can't help with hurting someone."
    first = json.loads(path.read_text().splitlines()[0])
    assert set(first) == {"pair_id", "chosen", "rejected"}
    trl = export_pairs(clean, tmp_path / "clean_trl.jsonl", input_format="trl")
    assert load_pairs(trl).input_format == "trl"


def test_ranking_scales_to_the_bundled_sample():
    p = load_pairs().pairs
    rng = np.random.default_rng(0)
    s = pd.DataFrame({"pair_id": p.pair_id, "model": "m", "margin": rng.normal(size=len(p))})
    s["score_chosen"], s["score_rejected"] = s.margin, 0.0
    comp = ambiguity_components(p, s)
    ranked = rank_pairs(comp)
    assert len(ranked) == 1800 and ranked.index.is_unique
    assert ranked["score"].is_monotonic_decreasing  # ordered by score, not by the input
    by_hand = comp.mean(axis=1)  # equal weights: the mean of the available components
    assert ranked.index[0] == by_hand.idxmax()
    np.testing.assert_allclose(ranked["score"], by_hand.loc[ranked.index], rtol=1e-12)


def test_review_store_syncs_every_commit_to_disk(tmp_path):
    store = ReviewStore(tmp_path / "r.sqlite")
    assert store._conn().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
