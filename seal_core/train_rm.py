"""Train the built-in post-D reward model: a Bradley-Terry head on frozen all-MiniLM-L6-v2 features.

Features of a (prompt, response) text: the unit embedding of "last human turn + response" (the human turn cut from
the left so the response fits the encoder's 256 tokens) concatenated with the unit embedding of the response alone
(768 numbers). The reward is ``w · features``. Bradley-Terry: ``P(chosen ≻ rejected) = σ(w · (f_chosen − f_rejected))``,
fitted as an L2-regularised logistic regression without intercept on the pair differences, each pair entered in both
orders so the fit is symmetric. Seeded and deterministic (lbfgs, fixed folds).

``seal train-rm DATA --out DIR`` reproduces the shipped head (``seal_core/data_files/minilm_bt_head.json``) from the
bundled sample with the default options.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from seal_core.data import content_hash, parse_turns
from seal_core.encoders import MAX_TOKENS, Encoder
from seal_core.errors import SealInputError

SHIPPED_HEAD = Path(__file__).parent / "data_files" / "minilm_bt_head.json"


def last_human_turn(prompt: str) -> str:
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
    """Build the encoder inputs, keeping the whole response in view (up to the encoder's limit)."""
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
    """The 768 features of each text, and how the texts were composed."""
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

    @property
    def digest(self) -> str:
        return hashlib.blake2b(np.asarray(self.weights, dtype=np.float64).tobytes(), digest_size=8).hexdigest()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the head as JSON atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(asdict(self), indent=1) + "\n")
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> BTHead:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
            head = cls(**data)
        except (OSError, json.JSONDecodeError, TypeError) as e:
            raise SealInputError(f"{path} is not a reward-model head written by `seal train-rm` ({e})") from None
        if len(head.weights) != 768:
            raise SealInputError(f"{path}: expected 768 weights, found {len(head.weights)}")
        return head


def _fit(diff: np.ndarray, C: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([diff, -diff])
    y = np.r_[np.ones(len(diff)), np.zeros(len(diff))]
    clf = LogisticRegression(C=C, fit_intercept=False, max_iter=5000, tol=1e-8)
    return clf.fit(X, y).coef_[0]


def baselines(pairs: pd.DataFrame) -> dict[str, float]:
    """Accuracy (strict, ties count as wrong) of trivial rules on the same pairs."""
    lc, lr = pairs["chosen"].str.len().to_numpy(), pairs["rejected"].str.len().to_numpy()
    return {
        "shorter response wins": float((lc < lr).mean()),
        "longer response wins": float((lc > lr).mean()),
        "coin flip": 0.5,
    }


def train_bt_head(
    pairs: pd.DataFrame,
    *,
    C: float = 0.3,
    folds: int = 5,
    seed: int = 0,
    trained_on: str = "",
    encoder: Encoder | None = None,
) -> BTHead:
    """Fit the head on all pairs and estimate its out-of-sample accuracy by k-fold cross-validation.

    Identical pairs (chosen == rejected) carry no preference and are left out of the fit.
    """
    from sklearn.model_selection import KFold

    if C <= 0:
        raise SealInputError(f"C (inverse regularisation) must be positive, got {C}")
    data = pairs[~pairs["identical"]] if "identical" in pairs else pairs
    if len(data) < max(2 * folds, 10):
        raise SealInputError(f"training needs at least {max(2 * folds, 10)} non-identical pairs, got {len(data)}")
    enc = encoder or Encoder.shared()
    fc, _ = features(enc, data["prompt_chosen"].tolist(), data["chosen"].tolist())
    fr, _ = features(enc, data["prompt_rejected"].tolist(), data["rejected"].tolist())
    diff = fc - fr
    accs = []
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(diff):
        w = _fit(diff[train], C)
        accs.append(float((diff[test] @ w > 0).mean()))
    w = _fit(diff, C)
    from seal_core.builtin_rms import PRE_NAME, PrincipleRewardModel
    from seal_core.rewards import RewardModelConfig

    pre = PrincipleRewardModel(RewardModelConfig(PRE_NAME), encoder=enc)
    pre_acc = float((fc[:, :384] @ pre._direction > fr[:, :384] @ pre._direction).mean())
    return BTHead(
        weights=[float(x) for x in w],
        C=C,
        seed=seed,
        folds=folds,
        trained_on=trained_on or f"{len(data)} pairs",
        n_pairs=len(data),
        data_hash=content_hash(data),
        cv_accuracy=float(np.mean(accs)),
        cv_accuracy_sd=float(np.std(accs)),
        in_sample_accuracy=float((diff @ w > 0).mean()),
        baselines={**baselines(data), f"{PRE_NAME} (pre-D, zero-shot)": pre_acc},
        encoder=enc.source,
    )
