"""Shared models, tokenizers and encoders used from many threads at once give the single-threaded scores.

One app server serves every session from the same cached models: the built-in pre- and post-training RMs share one
encoder (and its fast tokenizer, whose padding/truncation state changes on every call), and an HF reward model is
one object for everyone. These tests score different texts from 8 threads at once, pre and post interleaved, with
batches that need padding and prompts long enough to be truncated, and compare every score with a single-threaded
run with the embedding cache emptied in between (so every score is computed again).
"""

import threading

import numpy as np
import pytest

from seal_core.models import BTRewardModel, PrincipleRewardModel, RewardModelConfig, load_reward_model
from seal_core.models.encoder import MAX_TOKENS, Encoder
from seal_core.models.heads import compose

N_THREADS = 8
ROUNDS = 2
BATCH = 4


def _workload(sample) -> list[list[tuple[str, str]]]:
    """Per thread and round, a batch of (prompt, response): lengths vary within a batch (padding) and every other
    prompt is long enough that the encoder must cut it (truncation)."""
    pairs = sample.pairs
    work, k = [], 0
    for t in range(N_THREADS):
        rounds = []
        for r in range(ROUNDS):
            batch = []
            for b in range(BATCH):
                row = pairs.iloc[(37 * k + 11 * t) % len(pairs)]
                k += 1
                prompt, response = row.prompt_chosen, row.chosen if b % 2 else row.rejected
                if (b + r + t) % 2:  # a long prompt: the last human turn repeated well past 256 tokens
                    prompt = prompt.removesuffix("\n\n") + " and also" + " tell me much more about it" * 60 + "\n\n"
                batch.append((prompt, f"{response} (thread {t}, round {r}, item {b})"))
            rounds.append(batch)
        work.append(rounds)
    return work


def _run_threads(fn, n: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def target(i: int) -> None:
        try:
            barrier.wait()
            fn(i)
        except BaseException as e:  # every failure is reported by the test
            errors.append(e)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=600)
    assert not any(th.is_alive() for th in threads), "a scoring thread hung"
    return errors


def test_builtin_pre_and_post_rms_from_8_threads_match_single_threaded_scores(sample):
    work = _workload(sample)
    shared = Encoder.shared()
    shared.clear_cache()
    rms = [PrincipleRewardModel(RewardModelConfig("pre"), encoder=shared),
           BTRewardModel(RewardModelConfig("post"), encoder=shared)]  # fmt: skip
    got: dict[tuple[int, int, int], tuple] = {}

    def worker(t: int) -> None:
        for r, batch in enumerate(work[t]):
            for which in ((t + r) % 2, (t + r + 1) % 2):  # pre and post interleaved across threads
                out = rms[which].score([p for p, _ in batch], [x for _, x in batch])
                got[t, r, which] = (out.scores, out.n_tokens, out.prompt_tokens_cut)

    errors = _run_threads(worker, N_THREADS)
    assert not errors, f"{len(errors)} thread(s) failed, first: {errors[0]!r}"

    shared.clear_cache()
    ref_rms = rms
    truncated = 0
    for t in range(N_THREADS):
        for r, batch in enumerate(work[t]):
            for which in (0, 1):
                ref = ref_rms[which].score([p for p, _ in batch], [x for _, x in batch])
                scores, n_tokens, cut = got[t, r, which]
                np.testing.assert_allclose(scores, ref.scores, rtol=0, atol=1e-4)
                np.testing.assert_array_equal(n_tokens, ref.n_tokens)
                np.testing.assert_array_equal(cut, ref.prompt_tokens_cut)
                truncated += int((ref.prompt_tokens_cut > 0).sum())
    assert truncated >= N_THREADS * ROUNDS  # the long prompts really were cut to fit the encoder
    assert max(int(got[k][1].max()) for k in got) == MAX_TOKENS


class _LockCheckingBackend:
    """Stands in for a fast tokenizer's Rust backend and records, for every method call (encode, padding and
    truncation changes), whether the calling thread held ``owned()``'s lock."""

    def __init__(self, inner, owned) -> None:
        self._inner, self._owned, self.calls = inner, owned, []

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def checked(*args, **kwargs):
            self.calls.append((name, self._owned()))
            return attr(*args, **kwargs)

        return checked


def test_every_use_of_the_shared_encoders_tokenizer_holds_the_encoders_lock(sample, monkeypatch):
    enc = Encoder.shared()
    spy = _LockCheckingBackend(enc.tokenizer._tokenizer, enc._lock._is_owned)
    monkeypatch.setattr(enc.tokenizer, "_tokenizer", spy)  # the object encode() and compose() both reach
    enc.clear_cache()
    batch = _workload(sample)[0][0]
    for rm in (PrincipleRewardModel(RewardModelConfig("pre"), encoder=enc),
               BTRewardModel(RewardModelConfig("post"), encoder=enc)):  # fmt: skip
        rm.score([p for p, _ in batch], [x for _, x in batch])
    compose(enc, ["\n\nHuman: hi\n\n"], ["hello"])
    enc.count_tokens(["hello"])
    names = {name for name, _ in spy.calls}
    assert {"encode_batch", "enable_truncation", "enable_padding"} <= names  # the forward pass went through the spy
    unlocked = [name for name, owned in spy.calls if not owned]
    assert not unlocked, f"tokenizer used without the encoder's lock: {unlocked}"
    enc.clear_cache()


def test_compose_and_embed_from_many_threads_agree_with_one_thread(sample):
    """The tokenizer calls in compose() and the encoder's forward pass share the encoder's lock."""
    work = _workload(sample)
    enc = Encoder.shared()
    results: dict[tuple[int, int], object] = {}

    def worker(t: int) -> None:
        for i in range(12):
            batch = work[t][i % ROUNDS]
            comp = compose(enc, [p for p, _ in batch], [x for _, x in batch])
            enc.embed([f"short text {t}-{i}"])  # forward passes racing with the tokenizer
            results[t, i % ROUNDS] = comp

    errors = _run_threads(worker, N_THREADS)
    assert not errors, f"{len(errors)} thread(s) failed, first: {errors[0]!r}"
    for (t, r), comp in results.items():
        ref = compose(enc, [p for p, _ in work[t][r]], [x for _, x in work[t][r]])
        assert comp.contextual == ref.contextual
        np.testing.assert_array_equal(comp.n_tokens, ref.n_tokens)


@pytest.mark.parametrize("fmt", ["pair", "raw"])
def test_one_hf_reward_model_from_8_threads_matches_single_threaded_scores(sample, pair_rm_path, fmt):
    rm = load_reward_model(str(pair_rm_path), input_format=fmt, max_length=64, batch_size=BATCH)
    spy = _LockCheckingBackend(rm.tokenizer._tokenizer, rm._lock.locked)
    rm.tokenizer._tokenizer = spy
    rm.score(["\n\nHuman: hi\n\n"], ["hello"])
    rm.tokenizer._tokenizer = spy._inner
    assert spy.calls and all(owned for _, owned in spy.calls)  # tokenizing happens under the model's lock
    work = _workload(sample)
    got: dict[tuple[int, int], np.ndarray] = {}

    def worker(t: int) -> None:
        for r, batch in enumerate(work[t]):
            got[t, r] = rm.score([p for p, _ in batch], [x for _, x in batch]).scores

    errors = _run_threads(worker, N_THREADS)
    assert not errors, f"{len(errors)} thread(s) failed, first: {errors[0]!r}"
    single = load_reward_model(str(pair_rm_path), input_format=fmt, max_length=64, batch_size=BATCH)
    cut = 0
    for t in range(N_THREADS):
        for r, batch in enumerate(work[t]):
            ref = single.score([p for p, _ in batch], [x for _, x in batch])
            np.testing.assert_allclose(got[t, r], ref.scores, rtol=0, atol=1e-4)
            cut += int((ref.prompt_tokens_cut > 0).sum())
    assert cut > 0
