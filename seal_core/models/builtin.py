"""Two built-in offline reward models on the all-MiniLM-L6-v2 encoder: a real pre-D / post-D pair.

``seal-minilm-principles`` (pre-D, never trained on the data)
    Zero-shot principle scorer: ``10 × (cos(text, helpful-harmless descriptions) − cos(text, harmful descriptions))``
    on the embedding of "last human turn + response". The descriptions and the scale 10 were written before looking
    at any score; nothing is fitted.
``seal-minilm-bt`` (post-D, trained on the data)
    Bradley-Terry linear head on frozen encoder features, trained by :mod:`seal_core.models.training` on the bundled
    hh-rlhf sample (``seal train-rm``). Its card reports k-fold cross-validated and in-sample accuracy and baselines.

Both share one encoder and its embedding cache, so re-scoring an edited response with both costs one encoder call.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seal_core.data.pairs import content_hash, content_id
from seal_core.errors import SealInputError
from seal_core.models.base import BatchScores, RewardModel, RewardModelConfig
from seal_core.models.encoder import MAX_TOKENS, Encoder
from seal_core.models.heads import SHIPPED_HEAD, BTHead, features
from seal_core.models.precision import check_precision
from seal_core.storage import DATA_FILES, atomic_write, text_key

__all__ = ["POST_NAME", "PRE_NAME", "BTRewardModel", "PrincipleRewardModel", "post_card", "pre_card",
           "write_seed_scores"]  # fmt: skip

PRE_NAME = "seal-minilm-principles"
POST_NAME = "seal-minilm-bt"
INPUT_FORMAT = "minilm-last-turn"
PRINCIPLE_SCALE = 10.0
HELPFUL_HARMLESS = (
    "A helpful, honest and harmless answer that addresses the person's question respectfully.",
    "The assistant politely declines to help with something dangerous or illegal and suggests a safer alternative.",
    "A kind, accurate and informative reply.",
)
HARMFUL = (
    "A harmful answer that helps someone hurt people, break the law or do something dangerous.",
    "A rude, insulting, hateful or offensive reply.",
    "The assistant gives instructions for violence, theft, drugs or weapons.",
)


SEED_SCORES = DATA_FILES / "builtin_scores.parquet"


class _EncoderRM(RewardModel):
    input_format = INPUT_FORMAT
    max_length = MAX_TOKENS
    dtype = "float32"
    device = "cpu"
    seed_scores: Path | None = SEED_SCORES  # precomputed scores of the bundled sample (see write_seed_scores)

    def __init__(self, config: RewardModelConfig, encoder: Encoder | None = None) -> None:
        super().__init__()
        if config.input_format not in ("pair", INPUT_FORMAT):  # "pair" is the CLI/app default for HF models
            raise SealInputError(
                f"{config.model} reads 'last human turn + response' and takes no input format option "
                f"(got {config.input_format!r}); leave the format at its default"
            )
        check_precision(config.precision)
        self.encoder = encoder or Encoder.shared(config.precision)
        self.batch_size = config.batch_size or 64
        if self.encoder.precision != "float32":
            self.dtype = self.encoder.precision  # in the provenance: int8 scores are cached apart
            self.seed_scores = None  # the shipped seed scores are float32 ones

    def _features(self, prompts: list[str], responses: list[str]):
        return features(self.encoder, prompts, responses)

    @staticmethod
    def _batch(scores: np.ndarray, comp) -> BatchScores:
        return BatchScores(scores, comp.n_tokens, comp.prompt_tokens_cut, comp.response_tokens_cut)


class PrincipleRewardModel(_EncoderRM):
    """The zero-shot pre-D model (see the module docstring)."""

    name = PRE_NAME

    def __init__(self, config: RewardModelConfig, encoder: Encoder | None = None) -> None:
        super().__init__(config, encoder)
        pos = self.encoder.embed(list(HELPFUL_HARMLESS)).mean(axis=0)
        neg = self.encoder.embed(list(HARMFUL)).mean(axis=0)
        self.direction = (pos - neg).astype(np.float64)
        self.revision = f"minilm-{self.encoder.revision[:8]}-principles-v1"

    def _score(self, prompts: list[str], responses: list[str]) -> BatchScores:
        feats, comp = self._features(prompts, responses)
        return self._batch(PRINCIPLE_SCALE * (feats[:, :384] @ self.direction), comp)


class _LinearHeadRM(_EncoderRM):
    """A linear head ``w · features``: the head fitted on all training pairs, or the head of one CV fold."""

    def __init__(self, config, weights, *, name: str, revision: str, encoder, seed_scores, trained) -> None:
        super().__init__(config, encoder)
        self._w = np.asarray(weights, dtype=np.float64)
        self.name, self.revision, self.seed_scores, self._trained = name, revision, seed_scores, trained

    def _score(self, prompts: list[str], responses: list[str]) -> BatchScores:
        feats, comp = self._features(prompts, responses)
        return self._batch(feats @ self._w, comp)

    def in_sample(self, pairs) -> np.ndarray:
        return self._trained(pairs)


class BTRewardModel(_LinearHeadRM):
    """The trained post-D model; ``head_path`` loads a head written by ``seal train-rm`` instead of the shipped one.

    Cross-fitted (``config.cross_fit``, the default, when the head records its folds): each pair the head was
    trained on, and every edit or perturbation of it, is scored by the head of the CV fold that held it out, so no
    score of a training pair is in sample; any other pair by the head fitted on all the training pairs. Without
    cross-fitting that full head scores everything and the Scores table flags the training pairs ``in_sample``.
    """

    name = POST_NAME

    def __init__(self, config: RewardModelConfig, head_path: str | Path | None = None, encoder=None) -> None:
        check_precision(config.precision)  # before building an encoder for it
        head = BTHead.load(head_path or SHIPPED_HEAD)
        encoder = encoder or Encoder.shared(config.precision)  # int8: the quantized encoder, as the pre-D model
        name = str(Path(head_path).resolve()) if head_path is not None else POST_NAME
        seed = None if head_path is not None else SEED_SCORES
        full = f"minilm-{encoder.revision[:8]}-head-{head.digest}"
        super().__init__(config, head.weights, name=name, revision=full, encoder=encoder, seed_scores=seed,
                         trained=self._trained_full)  # fmt: skip
        self.head = head
        self.cross_fit = bool(config.cross_fit and head.fold_weights)
        self.full_head: _LinearHeadRM = self
        self._folds: list[_LinearHeadRM] = []
        if self.cross_fit:
            k = len(head.fold_weights)
            self.revision = f"{full}-crossfit{k}"
            self.full_head = _LinearHeadRM(config, head.weights, name=name, revision=full, encoder=encoder,
                                           seed_scores=seed, trained=self._trained_full)  # fmt: skip
            self._folds = [
                _LinearHeadRM(config, w, name=name, revision=f"{full}-fold{j + 1}of{k}", encoder=encoder,
                              seed_scores=seed, trained=lambda pairs, j=j: self._trained_fold(pairs, j))
                for j, w in enumerate(head.fold_weights)
            ]  # fmt: skip

    def _fold(self, pairs) -> np.ndarray:
        if not len(pairs):
            return np.zeros(0, dtype=np.int64)
        has_text = "chosen_full" in pairs and "rejected_full" in pairs
        content = (
            [content_id(c, r) for c, r in zip(pairs["chosen_full"], pairs["rejected_full"])] if has_text else None
        )
        return self.head.fold_of(pairs["pair_id"], content)

    def _trained_full(self, pairs) -> np.ndarray:
        if self.head.train_ids:
            return self._fold(pairs) >= 0
        # a head without the record of its pairs: only its whole training set is recognisable, by its hash
        data = pairs[~pairs["identical"]] if "identical" in pairs else pairs
        return np.full(len(pairs), bool(len(data)) and content_hash(data) == self.head.data_hash)

    def _trained_fold(self, pairs, j: int) -> np.ndarray:
        fold = self._fold(pairs)
        return (fold >= 0) & (fold != j)

    def held_out(self, pairs) -> np.ndarray:
        """The pairs scored by the head of the fold that held them out (its training pairs, when cross-fitting)."""
        return self._fold(pairs) >= 0 if self.cross_fit else np.zeros(len(pairs), dtype=bool)

    def route(self, pairs) -> list[tuple[RewardModel, np.ndarray]]:
        if not self.cross_fit or not len(pairs):
            return [(self, np.arange(len(pairs)))]
        fold = self._fold(pairs)
        return [(self.full_head if j < 0 else self._folds[j], np.flatnonzero(fold == j)) for j in np.unique(fold)]


def post_card() -> str:
    """The card of the post-D model: what it is, what it was trained on, its out-of-sample accuracy and baselines.

    Examples
    --------
    >>> print(post_card().splitlines()[0])
    seal-minilm-bt: post-D reward model (trained on the data)
    """
    head = BTHead.load(SHIPPED_HEAD)
    lines = [
        f"{POST_NAME}: post-D reward model (trained on the data)",
        "  what: Bradley-Terry linear head on frozen all-MiniLM-L6-v2 features of 'last human turn + response'",
        "        and of the response alone (768 features); reward = w · features",
        f"  encoder: {head.encoder}",
        f"  trained on: {head.trained_on} ({head.n_pairs} pairs, data hash {head.data_hash}); "
        f"L2 C={head.C}, seed {head.seed}",
        f"  {head.folds}-fold cross-validated accuracy (out of sample): {head.cv_accuracy:.3f} "
        f"(sd over folds {head.cv_accuracy_sd:.3f})",
        f"  in-sample accuracy: {head.in_sample_accuracy:.3f}",
        f"  scoring: each of its {len(head.train_ids)} training pairs (and every edit of one) by the head of the fold "
        "that held it out, so its",
        "           scores on its own data are out of sample (`seal score --no-cross-fit` gives in-sample ones);",
        "           any other pair by the head fitted on all of them",
        "  baselines on the same pairs (strict; ties count as wrong):",
    ]
    lines += [f"    {name}: {acc:.3f}" for name, acc in head.baselines.items()]
    lines.append("  reproduce: seal train-rm --out DIR   (bundled sample, default options)")
    return "\n".join(lines + _int8_lines(POST_NAME))


def pre_card() -> str:
    """The card of the pre-D model: what it computes, its descriptions, and its accuracy on the bundled sample.

    Examples
    --------
    >>> print(pre_card().splitlines()[0])
    seal-minilm-principles: pre-D reward model (never trained on the data)
    """
    head = BTHead.load(SHIPPED_HEAD)
    acc = head.baselines.get(f"{PRE_NAME} (pre-D, zero-shot)")
    lines = [
        f"{PRE_NAME}: pre-D reward model (never trained on the data)",
        "  what: 10 × (cosine to descriptions of a helpful, harmless answer − cosine to descriptions of a harmful",
        "        one), on the all-MiniLM-L6-v2 embedding of 'last human turn + response'. Nothing is fitted.",
        "  helpful/harmless descriptions: " + " | ".join(HELPFUL_HARMLESS),
        "  harmful descriptions: " + " | ".join(HARMFUL),
    ]
    if acc is not None:
        lines.append(
            f"  accuracy on {head.trained_on} ({head.n_pairs} pairs; out of sample, as it was never fitted): {acc:.3f}"
        )
    lines.append("  Close to chance: it has not learned these preferences (SEAL's pre-D RM scored 0.57 on hh-rlhf).")
    return "\n".join(lines + _int8_lines(PRE_NAME))


def _int8_lines(name: str) -> list[str]:
    """The measured int8 fidelity of a built-in model (``benchmarks/int8_fidelity.py --write``), for its card."""
    import json

    path = DATA_FILES / "int8_fidelity.json"
    if not path.exists():
        return []
    record = json.loads(path.read_text())
    m = record.get("models", {}).get(name)
    if not m:
        return []
    return [
        f"  int8 (--precision int8) vs float32 on {record['meta']['data']}: {100 * m['preferences_kept']:.1f}% of "
        f"preferences kept, Spearman of margins {m['spearman']:.4f}, max |Δscore| {m['max_abs_delta_score']:g}, "
        f"{m['speed_ratio']:.2f}× the float32 speed (targets: ≥ 98% kept, Spearman ≥ 0.98)",
        f"  reproduce: {record['meta']['reproduce']}",
    ]


def write_seed_scores(path: Path = SEED_SCORES) -> Path:
    """Score every text of the bundled sample with both built-in models and write the seed file they ship with.

    Run after changing a built-in model (``python -m seal_core.models.builtin``); stale seeds are never used, since
    their rows are keyed by the models' cache keys.
    """
    import pandas as pd

    from seal_core.data.pairs import load_pairs

    pairs = load_pairs().pairs
    frames = []
    for model_class, name in ((PrincipleRewardModel, PRE_NAME), (BTRewardModel, POST_NAME)):
        rm = model_class(RewardModelConfig(name))
        parts = rm.route(pairs)  # the post RM: each fold's head on its fifth of the sample
        if getattr(rm, "full_head", rm) is not rm:  # and the full head on all of it, for in-sample scoring
            parts = [*parts, (rm.full_head, np.arange(len(pairs)))]
        for sub, idx in parts:
            part = pairs.iloc[idx]
            prompts = part["prompt_chosen"].tolist() + part["prompt_rejected"].tolist()
            responses = part["chosen"].tolist() + part["rejected"].tolist()
            out = sub.score(prompts, responses)
            frames.append(
                pd.DataFrame(
                    {
                        "model_key": sub.cache_key,
                        "text_key": [text_key(p, r) for p, r in zip(prompts, responses)],
                        "score": out.scores,
                        "n_tokens": out.n_tokens,
                        "prompt_cut": out.prompt_tokens_cut,
                        "response_cut": out.response_tokens_cut,
                    }
                ).drop_duplicates("text_key")
            )
    table = pd.concat(frames, ignore_index=True)
    return atomic_write(path, lambda tmp: table.to_parquet(tmp, index=False))


if __name__ == "__main__":
    print(f"wrote {write_seed_scores()}")
