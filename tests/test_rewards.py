import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

from seal_core.errors import OfflineError, SealInputError
from seal_core.models import HFRewardModel, RewardModelConfig, list_models, load_reward_model
from seal_core.testing import build_tiny_chat_rm, build_tiny_pair_rm


@pytest.fixture(scope="module")
def pair_rm(pair_rm_path):
    return load_reward_model(str(pair_rm_path))


def test_pair_format_is_exactly_seals_tokenizer_call(pair_rm, pair_rm_path, sample):
    """Untruncated inputs must be byte-identical to SEAL's tokenizer(question, response) and its logit."""
    p = sample.pairs.head(6)
    tok = AutoTokenizer.from_pretrained(pair_rm_path)
    for prompt, full in zip(p.prompt_chosen, p.chosen_full):
        pivot = full.rfind("Assistant:")
        question, response = full[:pivot], full[pivot:]  # SEAL's split, "Assistant:" kept in the response
        assert question == prompt
        inputs = tok(question, response, return_tensors="pt")
        with torch.inference_mode():
            expected = pair_rm.model(**inputs).logits[0][0].item()
        assert pair_rm.score_one(prompt, full[pivot + len("Assistant: ") :]) == pytest.approx(expected, abs=1e-6)


def test_scores_are_float64_deterministic_and_vary(pair_rm, sample):
    p = sample.pairs.head(12)
    a = pair_rm.score(p.prompt_chosen.tolist(), p.chosen.tolist())
    b = pair_rm.score(p.prompt_chosen.tolist(), p.chosen.tolist())
    assert a.scores.dtype == np.float64
    np.testing.assert_array_equal(a.scores, b.scores)
    assert a.scores.std() > 1e-3  # a real model: texts get different scores


def test_padded_batch_equals_single_examples(pair_rm, sample):
    p = sample.pairs.head(8)  # different lengths, so the batch is padded
    batch = pair_rm.score(p.prompt_rejected.tolist(), p.rejected.tolist())
    assert len(set(batch.n_tokens)) > 1
    singles = [pair_rm.score_one(q, r) for q, r in zip(p.prompt_rejected, p.rejected)]
    np.testing.assert_allclose(batch.scores, singles, atol=1e-5)


def test_truncation_cuts_the_prompt_from_the_left_and_keeps_the_response(pair_rm_path):
    rm = load_reward_model(str(pair_rm_path), max_length=24)
    prompt = "\n\nHuman: " + " ".join(["word"] * 60) + " final question\n\n"
    out = rm.score([prompt], ["the answer"])
    assert out.n_tokens[0] == 24
    assert out.prompt_tokens_cut[0] > 0 and out.response_tokens_cut[0] == 0
    tok = AutoTokenizer.from_pretrained(pair_rm_path)
    full_len = len(tok(prompt, "Assistant: the answer")["input_ids"])
    assert out.prompt_tokens_cut[0] == full_len - 24
    # the kept text is the end of the prompt (left cut): its score equals scoring that tail directly
    kept = rm.score(["final question\n\n"], ["the answer"])
    assert kept.prompt_tokens_cut[0] == 0


def test_truncation_keeps_the_end_of_the_prompt(pair_rm_path):
    """Prompts that differ only in the part cut away score the same; prompts that differ at the kept end do not."""
    rm = load_reward_model(str(pair_rm_path), max_length=24)

    def prompt(start, end):
        return "\n\nHuman: " + " ".join([start] * 30 + ["word"] * 30) + f" {end}\n\n"

    a, b, c = (prompt("apple", "question"), prompt("river", "question"), prompt("apple", "garden"))
    out = rm.score([a, b, c], ["the answer"] * 3)
    assert (out.prompt_tokens_cut > 30).all()  # every start word is cut away
    assert out.scores[0] == pytest.approx(out.scores[1], abs=1e-6)
    assert abs(out.scores[0] - out.scores[2]) > 1e-4


def test_response_longer_than_budget_is_cut_from_its_end(pair_rm_path):
    rm = load_reward_model(str(pair_rm_path), max_length=16)
    out = rm.score(["\n\nHuman: hi\n\n"], [" ".join(["token"] * 40)])
    assert out.n_tokens[0] == 16
    assert out.response_tokens_cut[0] > 0


def test_chat_template_format_sets_missing_pad_token(chat_rm_path, sample):
    rm = load_reward_model(str(chat_rm_path), input_format="chat_template")
    assert rm.tokenizer.pad_token == "</s>" and rm.model.config.pad_token_id == rm.tokenizer.eos_token_id
    p = sample.pairs.head(6)
    batch = rm.score(p.prompt_chosen.tolist(), p.chosen.tolist())
    singles = [rm.score_one(q, r) for q, r in zip(p.prompt_chosen, p.chosen)]
    np.testing.assert_allclose(batch.scores, singles, atol=1e-5)
    assert rm._chat_text("\n\nHuman: hi\n\n", "yo") == "<|user|>hi<|end|><|assistant|>yo<|end|>"
    enc, dropped = rm._chat_encode("\n\nHuman: hi\n\n", "yo")
    assert dropped == 0 and rm.tokenizer.decode(enc.ids) != ""


def test_chat_template_drops_oldest_turns_to_fit(chat_rm_path):
    rm = load_reward_model(str(chat_rm_path), input_format="chat_template", max_length=40)
    prompt = "".join(f"\n\nHuman: question number {i} " + "x " * 10 + f"\n\nAssistant: answer {i}" for i in range(6))
    out = rm.score([prompt + "\n\nHuman: last one\n\n"], ["final"])
    assert out.n_tokens[0] <= 40 and out.prompt_tokens_cut[0] > 0


def test_raw_format_scores_whole_transcript(chat_rm_path):
    rm = load_reward_model(str(chat_rm_path), input_format="raw", max_length=32)
    out = rm.score(["\n\nHuman: " + "a " * 100 + "\n\n"], ["ok"])
    assert out.n_tokens[0] == 32 and out.prompt_tokens_cut[0] > 0


def test_model_id_and_cache_key_carry_provenance(pair_rm, pair_rm_path):
    assert pair_rm.model_id.startswith(str(pair_rm_path.resolve()) + "@local-")
    other = load_reward_model(str(pair_rm_path), max_length=64)
    assert other.cache_key != pair_rm.cache_key
    assert other.provenance["max_length"] == 64 and pair_rm.provenance["input_format"] == "pair"


def test_classifier_with_two_labels_is_refused(tmp_path):
    path = build_tiny_pair_rm(tmp_path / "cls", num_labels=2)
    with pytest.raises(SealInputError, match="num_labels=2; reward models need num_labels=1"):
        load_reward_model(str(path))


def test_base_language_model_is_refused(tmp_path, chat_rm_path):
    cfg = LlamaConfig(
        vocab_size=100,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        num_labels=1,
    )
    LlamaForCausalLM(cfg).save_pretrained(tmp_path / "lm")
    AutoTokenizer.from_pretrained(chat_rm_path).save_pretrained(tmp_path / "lm")
    with pytest.raises(SealInputError, match=r"no trained reward head: score\.weight.*not a reward model"):
        load_reward_model(str(tmp_path / "lm"))


def test_chat_template_needs_a_template(tmp_path):
    path = build_tiny_chat_rm(tmp_path / "nt", with_chat_template=False)
    with pytest.raises(SealInputError, match="has no chat template.*choose 'pair'"):
        load_reward_model(str(path), input_format="chat_template")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"input_format": "xml"}, "unknown input format 'xml'; expected one of"),
        ({"dtype": "int8"}, "unknown dtype 'int8'"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"max_length": 2}, "max_length must be at least 8"),
        ({"device": "cuda"}, "CUDA is not available"),
    ],
)
def test_bad_options(pair_rm_path, options, message):
    if options.get("device") == "cuda" and torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(SealInputError, match=message):
        load_reward_model(str(pair_rm_path), **options)


def test_missing_local_path_and_offline_hub_fail_fast():
    with pytest.raises(SealInputError, match="model path not found: ./nope"):
        load_reward_model("./nope")
    with pytest.raises(OfflineError):  # a hub id with dots in its name is a hub id, not a missing file
        load_reward_model("Skywork/Skywork-Reward-Llama-3.1-8B")
    with pytest.raises(OfflineError, match="not in the Hugging Face cache; downloading it needs the network"):
        load_reward_model("OpenAssistant/reward-model-deberta-v3-large-v2")  # how fast: benchmarks/fail_fast.py


def test_empty_name_and_mismatched_batch(pair_rm):
    with pytest.raises(SealInputError, match="a reward model needs a name"):
        HFRewardModel(RewardModelConfig(model=" "))
    with pytest.raises(SealInputError, match="2 prompts but 1 responses"):
        pair_rm.score(["a", "b"], ["c"])
    assert pair_rm.score([], []).scores.shape == (0,)


def test_list_models_returns_registered_builtins():
    from seal_core.models import POST_NAME, PRE_NAME

    models = list_models()
    assert sorted((m.role, m.name) for m in models) == [("post", POST_NAME), ("pre", PRE_NAME)]
