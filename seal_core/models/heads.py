"""What the built-in MiniLM reward models see, and the Bradley-Terry head file the trained one reads.

Features of a (prompt, response) text: the unit embedding of "last human turn + response" (the human turn cut from
the left so the response fits the encoder's 256 tokens) concatenated with the unit embedding of the response alone
(768 numbers). A :class:`BTHead` holds the weights ``w`` of the reward ``w · features`` and the card of its training.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from seal_core.data.transcripts import parse_turns
from seal_core.errors import SealInputError
from seal_core.models.encoder import MAX_TOKENS, Encoder
from seal_core.storage import DATA_FILES, atomic_write

__all__ = ["SHIPPED_HEAD", "BTHead", "Composed", "compose", "features", "last_human_turn"]

SHIPPED_HEAD = DATA_FILES / "minilm_bt_head.json"


def last_human_turn(prompt: str) -> str:
    """The last human turn of an hh-rlhf prompt ("" when there is none).

    Examples
    --------
    >>> last_human_turn("\\n\\nHuman: hi\\n\\nAssistant: hello\\n\\nHuman: how are you?\\n\\n")
    'how are you?'
    """
    turns = [t["content"] for t in parse_turns(prompt.removesuffix("\n\n")) if t["role"] == "user"]
    return turns[-1] if turns else ""


@dataclass(frozen=True)
class Composed:
    contextual: list[str]  # "last human turn\n\nresponse", the human turn cut from the left to fit
    responses: list[str]
    n_tokens: np.ndarray
    prompt_tokens_cut: np.ndarray
    response_tokens_cut: np.ndarray


def compose(encoder: Encoder, prompts: list[str], responses: list[str]) -> Composed:
    """Build the encoder inputs, keeping the whole response in view (up to the encoder's limit).

    The input is "last human turn, blank line, response"; when it does not fit the encoder's 256 tokens, the human
    turn is cut from the left, and the response only when it alone is too long. Every cut is counted.

    Examples
    --------
    >>> enc = Encoder.shared()
    >>> comp = compose(enc, ["\\n\\nHuman: " + "word " * 400 + "\\n\\n"], ["Sure."])
    >>> comp.contextual[0].endswith("\\n\\nSure."), int(comp.prompt_tokens_cut[0]) > 0, int(comp.n_tokens[0])
    (True, True, 256)
    """
    humans = [last_human_turn(p) for p in prompts]
    budget = MAX_TOKENS - 2  # [CLS] and [SEP]
    r_tok = encoder.tokenize(responses)["input_ids"]  # under the encoder's lock: its tokenizer is shared
    h_enc = encoder.tokenize(humans, offsets=True)
    texts, n_tok, pcut, rcut = [], [], [], []
    for human, response, r_ids, h_ids, offsets in zip(
        humans, responses, r_tok, h_enc["input_ids"], h_enc["offset_mapping"]
    ):
        keep = max(0, budget - len(r_ids))
        cut = max(0, len(h_ids) - keep)
        if cut:
            human = human[offsets[cut][0] :] if cut < len(h_ids) else ""
        texts.append(f"{human}\n\n{response}" if human else response)
        n_tok.append(min(budget, len(h_ids) - cut + len(r_ids)) + 2)
        pcut.append(cut)
        rcut.append(max(0, len(r_ids) - budget))
    return Composed(texts, list(responses), np.array(n_tok), np.array(pcut), np.array(rcut))


def features(encoder: Encoder, prompts: list[str], responses: list[str]) -> tuple[np.ndarray, Composed]:
    """The 768 features of each text, and how the texts were composed.

    Examples
    --------
    >>> feats, comp = features(Encoder.shared(), ["\\n\\nHuman: hi\\n\\n"], ["hello"])
    >>> feats.shape, feats.dtype
    ((1, 768), dtype('float64'))
    """
    comp = compose(encoder, prompts, responses)
    vecs = encoder.embed(comp.contextual + comp.responses)
    n = len(prompts)
    return np.hstack([vecs[:n], vecs[n:]]).astype(np.float64), comp


@dataclass(frozen=True)
class BTHead:
    """A trained Bradley-Terry head and its card."""

    weights: list[float]
    C: float
    seed: int
    folds: int
    trained_on: str
    n_pairs: int
    data_hash: str
    cv_accuracy: float
    cv_accuracy_sd: float
    in_sample_accuracy: float
    baselines: dict[str, float] = field(default_factory=dict)
    encoder: str = ""
    # cross-fitting: the head of each CV fold (fitted without that fold) and, per training pair, its content id
    # (hash of both transcripts) and the fold that held it out
    fold_weights: list[list[float]] = field(default_factory=list)
    train_ids: list[str] = field(default_factory=list)
    train_folds: list[int] = field(default_factory=list)

    def fold_of(self, pair_ids: Sequence[str], content_ids: Sequence[str] | None = None) -> np.ndarray:
        """The CV fold that held out each pair (matched by pair id, else by content id); −1 for a pair the head
        was not trained on."""
        where = dict(zip(self.train_ids, self.train_folds))
        ids = list(pair_ids)
        alt = list(content_ids) if content_ids is not None else [None] * len(ids)
        return np.array([where.get(a, where.get(b, -1)) for a, b in zip(ids, alt)], dtype=np.int64)

    @property
    def digest(self) -> str:
        return hashlib.blake2b(np.asarray(self.weights, dtype=np.float64).tobytes(), digest_size=8).hexdigest()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the head as JSON atomically."""
        return atomic_write(path, lambda tmp: tmp.write_text(json.dumps(asdict(self), indent=1) + "\n"))

    @classmethod
    def load(cls, path: str | os.PathLike) -> BTHead:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
            head = cls(**data)
        except (OSError, json.JSONDecodeError, TypeError) as e:
            raise SealInputError(f"{path} is not a reward-model head written by train_bt_head ({e})") from None
        if len(head.weights) != 768:
            raise SealInputError(f"{path}: expected 768 weights, found {len(head.weights)}")
        if any(len(w) != 768 for w in head.fold_weights) or len(head.train_ids) != len(head.train_folds):
            raise SealInputError(f"{path}: the cross-fitting record (fold weights, training pair ids) is malformed")
        if head.train_folds and not set(head.train_folds) <= set(range(len(head.fold_weights))):
            raise SealInputError(f"{path}: a training pair names a fold the head does not have")
        return head
