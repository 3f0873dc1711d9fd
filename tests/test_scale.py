"""Token-budget batching, int8 quantization and its fidelity report, synthetic data at scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seal_core.batching import count_batches, token_budget_batches
from seal_core.data.synthetic import synthetic_transcripts, write_synthetic
from seal_core.errors import SealInputError
from seal_core.models.precision import check_precision, fidelity_report, quantize_int8


@pytest.mark.parametrize("seed", range(5))
def test_token_budget_batches_cover_every_text_once_within_budget(seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 600, 300).tolist()
    budget, cap = 2048, 16
    batches = token_budget_batches(lengths, budget, max_batch_size=cap)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))  # every text exactly once
    for b in batches:
        padded = len(b) * max(lengths[i] for i in b)
        assert padded <= budget or len(b) == 1
        assert len(b) <= cap
    # longest first, and a batch cannot take the next text without breaking the budget or the cap
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    for b, nxt in zip(batches, batches[1:]):
        longest = max(lengths[i] for i in b)
        assert (len(b) + 1) * max(longest, lengths[nxt[0]]) > budget or len(b) == cap


def test_token_budget_batches_edge_cases():
    assert token_budget_batches([], 100) == []
    assert token_budget_batches([500, 500], 100) == [[0], [1]]  # over budget: alone, never dropped
    assert token_budget_batches([0, 0, 0], 2) == [[0, 1], [2]]  # empty texts still take a slot
    with pytest.raises(SealInputError, match="at least 1 token"):
        token_budget_batches([1], 0)
    with pytest.raises(SealInputError, match="negative"):
        token_budget_batches([-1], 10)
    with pytest.raises(SealInputError, match="max_batch_size"):
        token_budget_batches([1], 10, max_batch_size=0)
    assert count_batches([1, 2, 3], 5) == [[2, 1, 0]]


def test_int8_quantization_changes_linear_layers_and_keeps_outputs_close():
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.GELU(), torch.nn.Linear(64, 1)).eval()
    x = torch.randn(32, 64)
    with torch.inference_mode():
        ref = net(x)
    q = quantize_int8(net)
    with torch.inference_mode():
        out = q(x)
        assert q(x[:0]).shape == (0, 1) and q(x.reshape(4, 8, 64)).shape == (4, 8, 1)  # empty and 3-d inputs
    assert [type(m).__name__ for m in q] == ["Int8Linear", "GELU", "Int8Linear"]
    assert not torch.equal(out, ref)  # really quantized
    assert float((out - ref).abs().max()) < 0.05 * float(ref.abs().max())


def _outlier_batch(torch, tokens: int = 64, width: int = 256):
    """Activations shaped like a transformer's: a few channels ~30x the rest, and a few tokens ~10x the rest."""
    x = torch.randn(tokens, width)
    x[:, [3, 77, 200]] *= 30.0  # outlier channels (as after a layer norm)
    x[[0, 9]] *= 10.0  # outlier tokens (as [CLS] / [SEP])
    return x


def _rel_err(torch, out, ref) -> float:
    return float((out - ref).norm() / ref.norm())


def test_int8_handles_outlier_channels_and_tokens_that_plain_dynamic_quantization_does_not():
    import copy
    import warnings

    import torch

    torch.manual_seed(1)
    lin = torch.nn.Linear(256, 128).eval()
    x = _outlier_batch(torch)
    with torch.inference_mode():
        ref = lin(x)
        ours = _rel_err(torch, quantize_int8(torch.nn.Sequential(copy.deepcopy(lin)))(x), ref)
        no_split = _rel_err(torch, quantize_int8(torch.nn.Sequential(copy.deepcopy(lin)), outlier_channels=0)(x), ref)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plain = torch.ao.quantization.quantize_dynamic(
                torch.nn.Sequential(copy.deepcopy(lin)),
                {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig},
                dtype=torch.qint8,
            )
        plain_err = _rel_err(torch, plain(x), ref)
    # measured: 0.002 (about the weight-quantization error alone), 0.028 without the float32 outlier channels,
    # 0.14 with PyTorch's per-tensor 7-bit activations
    assert ours < 0.005 and ours < no_split / 4 and ours < plain_err / 10, (ours, no_split, plain_err)


def test_int8_blocks_biasless_layers_and_grad_mode_match_one_pass():
    import torch

    from seal_core.models import precision

    torch.manual_seed(2)
    net = torch.nn.Sequential(torch.nn.LayerNorm(256), torch.nn.Linear(256, 64, bias=False)).eval()
    x = _outlier_batch(torch, tokens=3 * precision.CHUNK_ROWS + 5)  # several row blocks, the last one partial
    with torch.inference_mode():
        ref = net(x)
    q = quantize_int8(net)
    out = q(x)  # grad mode, after a layer with parameters: the input requires grad
    assert not out.requires_grad and out.shape == ref.shape
    one_block = float("inf")
    try:
        precision.CHUNK_ROWS, saved = 10**9, precision.CHUNK_ROWS
        with torch.inference_mode():
            one_block = q(x)
    finally:
        precision.CHUNK_ROWS = saved
    assert torch.allclose(out, one_block, atol=1e-5)  # blocking changes nothing beyond float rounding
    assert _rel_err(torch, out, ref) < 0.01


def test_int8_leaves_linear_subclasses_alone():
    import torch

    mha = torch.nn.MultiheadAttention(32, 4).eval()  # reads out_proj.weight itself: it must stay a Linear
    net = torch.nn.ModuleDict({"attn": mha, "head": torch.nn.Linear(32, 1)})
    quantize_int8(net)
    assert type(mha.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert type(net["head"]).__name__ == "Int8Linear"
    x = torch.randn(5, 2, 32)
    with torch.inference_mode():
        assert mha(x, x, x)[0].shape == (5, 2, 32)


def test_int8_builtin_models_keep_their_preferences_on_real_pairs(sample):
    """Both built-in RMs on the real MiniLM encoder, int8 against float32, on 40 bundled pairs (the full figures:
    benchmarks/int8_fidelity.py). Measured: Spearman 0.997 / 0.999, max |Δscore| 0.12 / 0.10 of the margins' sd;
    PyTorch's plain dynamic quantization gave 0.83 / 0.97 and 1.6 / 0.73 here."""
    from seal_core.models import load_reward_model
    from seal_core.scoring import score_pairs

    pairs = sample.pairs.head(40)
    for name in ("seal-minilm-principles", "seal-minilm-bt"):
        q = load_reward_model(name, precision="int8")
        assert q.dtype == "int8" and q.encoder.precision == "int8"  # the bt model once kept the float32 encoder
        assert type(q.encoder.model[0].auto_model.encoder.layer[0].output.dense).__name__ == "Int8Linear"
        rep = fidelity_report(
            score_pairs(pairs, load_reward_model(name), cache=None), score_pairs(pairs, q, cache=None)
        )
        assert 0 < rep.max_abs_delta_score < 0.25 * rep.margin_scale, (name, rep)
        assert rep.preferences_kept >= 0.95 and rep.spearman >= 0.99, (name, rep)


def test_check_precision_refuses_what_cannot_run():
    check_precision("float32", device="cuda", dtype="bfloat16")
    with pytest.raises(SealInputError, match="CPU only"):
        check_precision("int8", device="cuda")
    with pytest.raises(SealInputError, match="float32"):
        check_precision("int8", dtype="bfloat16")
    with pytest.raises(SealInputError, match="unknown precision"):
        check_precision("fp8")


def _scores(chosen, rejected, ids=None):
    ids = ids or [f"p{i}" for i in range(len(chosen))]
    return pd.DataFrame({"pair_id": ids, "score_chosen": chosen, "score_rejected": rejected})


def test_fidelity_report_counts_flips_rank_and_deltas():
    rng = np.random.default_rng(0)
    c, r = rng.normal(size=200), rng.normal(size=200)
    ref = _scores(c, r)
    same = fidelity_report(ref, ref)
    assert same.preferences_kept == 1.0 and same.spearman == pytest.approx(1.0) and same.max_abs_delta_score == 0
    assert same.meets()
    flipped = _scores(r, c)  # every preference reversed
    rep = fidelity_report(ref, flipped)
    assert rep.preferences_kept == 0.0 and rep.spearman == pytest.approx(-1.0) and not rep.meets()
    noisy = _scores(c + 0.001, r - 0.001)
    rep = fidelity_report(ref, noisy.iloc[::-1])  # joined by pair_id, not by position
    assert rep.max_abs_delta_score == pytest.approx(0.001)
    assert rep.n_pairs == 200 and rep.preferences_kept >= 0.99
    assert "200 pairs" in rep.sentence()


def test_fidelity_report_bad_input():
    ref = _scores([1.0], [0.0])
    with pytest.raises(SealInputError, match="share no pair_id"):
        fidelity_report(ref, _scores([1.0], [0.0], ids=["other"]))
    with pytest.raises(SealInputError, match="lacks column"):
        fidelity_report(ref, ref.drop(columns=["score_chosen"]))
    with pytest.raises(SealInputError, match="repeats pair ids"):
        fidelity_report(pd.concat([ref, ref]), ref)


def test_synthetic_transcripts_are_distinct_loadable_and_seeded(tmp_path):
    from seal_core.data import load_pairs

    df = synthetic_transcripts(500, seed=3)
    assert df.chosen.nunique() == 500 and (df.chosen != df.rejected).all()
    assert df.equals(synthetic_transcripts(500, seed=3)) and not df.equals(synthetic_transcripts(500, seed=4))
    path = write_synthetic(tmp_path / "syn.jsonl.gz", 300, seed=1)
    pairs = load_pairs(str(path)).pairs
    assert len(pairs) == 300 and pairs.pair_id.is_unique
    assert (pairs.prompt_chosen == pairs.prompt_rejected).all()
    with pytest.raises(SealInputError):
        synthetic_transcripts(0)
    with pytest.raises(SealInputError, match="parquet"):
        write_synthetic(tmp_path / "x.txt", 3)


# ---- wired into the models, scoring and the CLI ------------------------------------------------------------


def test_int8_hf_model_scores_close_to_float32_and_is_cached_apart(pair_rm_path, sample):
    from seal_core.models import load_reward_model
    from seal_core.scoring import ScoreCache, score_pairs

    pairs = sample.pairs.head(30)
    f32 = load_reward_model(str(pair_rm_path))
    q = load_reward_model(str(pair_rm_path), precision="int8")
    assert q.dtype == "int8" and f32.dtype == "float32" and q.cache_key != f32.cache_key
    assert type(q.model.deberta.encoder.layer[0].attention.self.query_proj).__name__ == "Int8Linear"
    cache = ScoreCache()
    a, b = score_pairs(pairs, f32, cache=cache), score_pairs(pairs, q, cache=cache)
    assert (b["dtype"] == "int8").all() and cache.count(q.cache_key) == cache.count(f32.cache_key) > 0
    diff = (a.score_chosen - b.score_chosen).abs()
    assert 0 < diff.max() < 0.25 * a.score_chosen.abs().max()  # quantized (not identical), yet close (random weights)


def test_int8_refused_where_it_cannot_run(pair_rm_path):
    from seal_core.models import load_reward_model

    with pytest.raises(SealInputError, match="CPU only"):
        load_reward_model(str(pair_rm_path), precision="int8", device="cuda")
    with pytest.raises(SealInputError, match="unknown precision"):
        load_reward_model(str(pair_rm_path), precision="int4")
    with pytest.raises(SealInputError, match="token_budget"):
        load_reward_model(str(pair_rm_path), token_budget=0)


def test_token_budget_batches_on_cpu_give_the_same_scores_within_budget(pair_rm_path, sample):
    from seal_core.models import load_reward_model
    from seal_core.scoring import score_pairs

    pairs = sample.pairs.head(25)
    counted = score_pairs(pairs, load_reward_model(str(pair_rm_path)))
    rm = load_reward_model(str(pair_rm_path), token_budget=600)
    seen: list[list[int]] = []
    real_score = rm.score

    def spy(prompts, responses):
        out = real_score(prompts, responses)
        seen.append(out.n_tokens.tolist())
        return out

    rm.score = spy
    budgeted = score_pairs(pairs, rm)
    assert np.allclose(budgeted.score_chosen, counted.score_chosen, atol=1e-5)
    assert np.allclose(budgeted.score_rejected, counted.score_rejected, atol=1e-5)
    assert sum(len(b) for b in seen) == 50 and len({len(b) for b in seen}) > 1  # batch sizes vary with length
    assert all(len(b) * max(b) <= 600 or len(b) == 1 for b in seen)
    lengths = rm.token_lengths(pairs.prompt_chosen.tolist(), pairs.chosen.tolist())
    assert lengths == counted.n_tokens_chosen.tolist()  # exact input lengths, as the model sees them


def test_cli_precision_fidelity_and_engine_options(pair_rm_path, capsys, monkeypatch):
    from seal_core.cli import main

    code = main(["score", "--rm", str(pair_rm_path), "--limit", "10", "--precision", "int8", "--fidelity"])
    assert code == 0
    err = capsys.readouterr().err
    assert "int8 vs float32 on 10 pairs" in err and "preferences kept" in err
    assert main(["score", "--rm", str(pair_rm_path), "--limit", "3", "--fidelity"]) == 2
    assert "--precision int8" in capsys.readouterr().err
    assert main(["score", "--rm", str(pair_rm_path), "--limit", "3", "--workers", "2"]) == 2
    assert "--engine ray" in capsys.readouterr().err
    import seal_core.ray_engine as engine

    def no_ray():
        raise SealInputError(engine.RAY_HINT)

    monkeypatch.setattr(engine, "require_ray", no_ray)
    assert main(["score", "--rm", str(pair_rm_path), "--limit", "3", "--engine", "ray"]) == 2
    assert "seal-explorer[ray]" in capsys.readouterr().err
