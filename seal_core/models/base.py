"""The reward-model interface: a config, batch scores, and the abstract :class:`RewardModel`.

A reward model scores a batch of (prompt, response) pairs and returns float64 scores with token counts and
truncation flags. ``prompt`` is an hh-rlhf style history (``"\\n\\nHuman: ...\\n\\n"``, as in the Pairs table) and
``response`` the bare last assistant response.

Input formats (how a (prompt, response) becomes model input):

``pair``           ``tokenizer(prompt, "Assistant: " + response)``: SEAL's call of the OpenAssistant RMs, byte for byte.
``chat_template``  the tokenizer's chat template over the parsed turns plus the response (modern RMs).
``raw``            the whole transcript ``prompt + "Assistant: " + response`` as one sequence.

Truncation keeps the response: the prompt is cut from the left (oldest turns first); only a response that alone
exceeds the budget is cut, from its end. Every cut is reported per text.
"""

from __future__ import annotations

import hashlib
import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from seal_core.errors import SealInputError
from seal_core.options import choose

__all__ = ["DTYPES", "INPUT_FORMATS", "BatchScores", "Dtype", "InputFormat", "RewardModel", "RewardModelConfig",
           "validate_config"]  # fmt: skip

InputFormat = Literal["pair", "chat_template", "raw"]
Dtype = Literal["float32", "float16", "bfloat16"]
INPUT_FORMATS: tuple[InputFormat, ...] = get_args(InputFormat)
DTYPES: tuple[Dtype, ...] = get_args(Dtype)


@dataclass(frozen=True)
class RewardModelConfig:
    """How to load and call a reward model.

    Attributes
    ----------
    model : str
        A built-in model name (``seal models``), a Hugging Face hub id, or a local directory.
    revision : str, optional
        Hub revision (branch, tag or commit). Ignored for local paths and built-ins.
    input_format : {"pair", "chat_template", "raw"}
        See the module docstring. ``pair`` is SEAL's format for the OpenAssistant RMs.
    max_length : int, optional
        Token budget per text; default: the smaller of the tokenizer's and the model's limits (at most 4096).
    device : str
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or ``"auto"`` (CUDA when available, else CPU).
    dtype : {"float32", "float16", "bfloat16"}
        Weights dtype. Scores are always returned as float64.
    batch_size : int, optional
        Texts per forward pass; default 4 on CPU (compute-bound there: bigger batches only add padding) and 32 on
        accelerators. With a token budget, the most texts per batch.
    precision : {"float32", "int8"}
        ``int8`` quantizes the model's linear layers to int8 on CPU (:mod:`seal_core.models.precision`); scores
        are cached apart from float32 ones.
    token_budget : int, optional
        Batch texts by padded tokens (batch size × longest text) instead of a count; default 16384 on CUDA, none
        (count batches) on CPU.
    trust_remote_code : bool
        Passed to ``from_pretrained``; needed by a few hub RMs with custom code.
    cross_fit : bool
        For a model that records its training pairs and cross-validation folds (the built-in post-D model): score
        each training pair with the fold's model that never saw it (default). ``False`` scores them in sample.
    """

    model: str
    revision: str | None = None
    input_format: InputFormat = "pair"
    max_length: int | None = None
    device: str = "cpu"
    dtype: Dtype = "float32"
    batch_size: int | None = None
    trust_remote_code: bool = False
    precision: str = "float32"
    token_budget: int | None = None
    cross_fit: bool = True


@dataclass(frozen=True)
class BatchScores:
    """Scores for one batch, aligned with its inputs."""

    scores: np.ndarray  # float64
    n_tokens: np.ndarray  # tokens fed to the model
    prompt_tokens_cut: np.ndarray  # prompt tokens dropped to fit max_length
    response_tokens_cut: np.ndarray  # response tokens dropped (only when the response alone is too long)


class RewardModel(ABC):
    """Score (prompt, response) pairs. Subclasses implement :meth:`_score`; :meth:`score` validates and locks.

    One instance may serve many app sessions at once, so tokenize + forward run under a lock.
    """

    name: str
    revision: str
    input_format: str
    max_length: int
    dtype: str
    device: str = "cpu"
    batch_size: int = 16
    token_budget: int | None = None  # padded tokens per batch; None: batches of batch_size texts

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """The ``model`` value of the Scores table: id plus revision."""
        return f"{self.name}@{self.revision}"

    @property
    def provenance(self) -> dict[str, Any]:
        """Everything a score depends on; also the score-cache key."""
        return {
            "model": self.name,
            "revision": self.revision,
            "input_format": self.input_format,
            "max_length": self.max_length,
            "dtype": self.dtype,
        }

    @property
    def cache_key(self) -> str:
        blob = json.dumps(self.provenance, sort_keys=True).encode()
        return hashlib.blake2b(blob, digest_size=16).hexdigest()

    def score(self, prompts: Sequence[str], responses: Sequence[str]) -> BatchScores:
        """Score one batch. ``prompts[i]`` is the history before ``responses[i]``."""
        if len(prompts) != len(responses):
            raise SealInputError(f"got {len(prompts)} prompts but {len(responses)} responses; they must pair up")
        if not len(prompts):
            z = np.zeros(0, dtype=np.int64)
            return BatchScores(np.zeros(0), z, z, z)
        with self._lock:
            out = self._score(list(prompts), list(responses))
        return BatchScores(
            np.asarray(out.scores, dtype=np.float64),
            np.asarray(out.n_tokens, dtype=np.int64),
            np.asarray(out.prompt_tokens_cut, dtype=np.int64),
            np.asarray(out.response_tokens_cut, dtype=np.int64),
        )

    def score_one(self, prompt: str, response: str) -> float:
        return float(self.score([prompt], [response]).scores[0])

    def route(self, pairs) -> list[tuple[RewardModel, np.ndarray]]:
        """Which model scores which pairs (row positions of the Pairs table ``pairs``). One model scores them all,
        unless the model cross-fits: then each pair it was trained on goes to the fold model that never saw it."""
        return [(self, np.arange(len(pairs)))]

    def for_pair(self, pair) -> RewardModel:
        """The model that scores one pair (a row of the Pairs table) and every edit of it."""
        import pandas as pd

        return self.route(pd.DataFrame([pair]))[0][0]

    def in_sample(self, pairs) -> np.ndarray:
        """Whether this model was trained on each pair, as far as its card records (False when it records none)."""
        return np.zeros(len(pairs), dtype=bool)

    def length_hint(self, prompt: str, response: str) -> int:
        """A cheap proxy of input length, used to sort texts into batches of similar length."""
        return len(prompt) + len(response)

    def token_lengths(self, prompts: list[str], responses: list[str]) -> list[int]:
        """Tokens each text will have as model input (after truncation); used for token-budget batches."""
        return [self.length_hint(p, r) for p, r in zip(prompts, responses)]

    @abstractmethod
    def _score(self, prompts: list[str], responses: list[str]) -> BatchScores: ...


def validate_config(config: RewardModelConfig) -> None:
    """Check a :class:`RewardModelConfig` before anything is loaded; raise :class:`SealInputError` naming the field.

    Examples
    --------
    >>> validate_config(RewardModelConfig("org/rm", dtype="float16"))
    >>> validate_config(RewardModelConfig("org/rm", input_format="xml"))
    Traceback (most recent call last):
    ...
    seal_core.errors.SealInputError: unknown input format 'xml'; expected one of ['pair', 'chat_template', 'raw']
    """
    if not isinstance(config.model, str) or not config.model.strip():
        raise SealInputError(
            "a reward model needs a name: a built-in (list_models()), a hub id or a local path", option="model"
        )
    choose("input format", config.input_format, dict.fromkeys(INPUT_FORMATS), option="input_format")
    choose("dtype", config.dtype, dict.fromkeys(DTYPES))
    if config.batch_size is not None and config.batch_size < 1:
        raise SealInputError(f"batch_size must be at least 1, got {config.batch_size}")
    if config.max_length is not None and config.max_length < 8:
        raise SealInputError(f"max_length must be at least 8 tokens, got {config.max_length}")
    if config.token_budget is not None and config.token_budget < 1:
        raise SealInputError(f"token_budget must be at least 1 token, got {config.token_budget}")
    from seal_core.models.precision import check_precision

    check_precision(config.precision, device="cpu" if config.device == "auto" else config.device, dtype=config.dtype)
