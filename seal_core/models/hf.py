"""The Hugging Face backend: any ``AutoModelForSequenceClassification`` with one label, by hub id or local path.

Input formats (see :mod:`seal_core.models.base`) are encoded with the fast Rust tokenizer when there is one, so that
truncation can keep the response: the prompt is cut from the left (oldest turns first); only a response that alone
exceeds the budget is cut, from its end. Every cut is reported per text.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from seal_core.data.hub import hub_offline_reason
from seal_core.data.transcripts import ASSISTANT, parse_turns
from seal_core.errors import OfflineError, SealInputError
from seal_core.models.base import BatchScores, RewardModel, RewardModelConfig, validate_config
from seal_core.models.precision import check_precision, quantize_int8

__all__ = ["GPU_TOKEN_BUDGET", "HFRewardModel"]

GPU_TOKEN_BUDGET = 16384  # padded tokens per batch on CUDA: 32 texts of 512 tokens, many more short ones


def _resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SealInputError(
            f"device {device!r} asked for, but CUDA is not available here; use device='cpu' or 'auto'"
        )
    return device


def _local_fingerprint(path: Path) -> str:
    """A cheap content fingerprint of a local model directory (config + sizes + weight heads/tails)."""
    h = hashlib.blake2b(digest_size=8)
    for f in sorted(p for p in path.iterdir() if p.is_file()):
        h.update(f.name.encode())
        size = f.stat().st_size
        h.update(str(size).encode())
        with f.open("rb") as fh:
            if size <= 2 << 20:
                h.update(fh.read())
            else:
                h.update(fh.read(1 << 20))
                fh.seek(-(1 << 20), 2)
                h.update(fh.read())
    return "local-" + h.hexdigest()


class HFRewardModel(RewardModel):
    """Any ``AutoModelForSequenceClassification`` with ``num_labels == 1``, by hub id or local path.

    Examples
    --------
    >>> import tempfile
    >>> from seal_core.testing import build_tiny_pair_rm
    >>> path = build_tiny_pair_rm(tempfile.mkdtemp())
    >>> rm = HFRewardModel(RewardModelConfig(str(path)))
    >>> out = rm.score(["\\n\\nHuman: hi\\n\\n"], ["hello"])
    >>> out.scores.dtype, out.n_tokens.tolist()
    (dtype('float64'), [11])
    """

    def __init__(self, config: RewardModelConfig) -> None:
        super().__init__()
        validate_config(config)
        import torch
        import transformers

        self.config = config
        self.device = _resolve_device(config.device)
        self.dtype = config.dtype
        self.input_format = config.input_format
        self.batch_size = config.batch_size or (4 if self.device == "cpu" else 32)
        self.token_budget = config.token_budget or (GPU_TOKEN_BUDGET if self.device.startswith("cuda") else None)
        check_precision(config.precision, device=self.device, dtype=config.dtype)
        local = Path(config.model).expanduser()
        is_local = local.is_dir()
        if not is_local and (config.model.startswith((".", "/", "~")) or config.model.count("/") > 1):
            raise SealInputError(f"model path not found: {config.model}")  # hub ids are "name" or "org/name"
        kw: dict[str, Any] = {"trust_remote_code": config.trust_remote_code}
        if not is_local and config.revision:
            kw["revision"] = config.revision
        if not is_local:
            if hub_offline_reason():  # use the local HF cache only, instead of retrying the network for ~20 s
                kw["local_files_only"] = True
        source = str(local) if is_local else config.model
        try:
            hf_config = transformers.AutoConfig.from_pretrained(source, **kw)
            tokenizer = transformers.AutoTokenizer.from_pretrained(source, **kw)
        except OSError as e:
            raise _load_error(config.model, is_local, e) from None
        except ValueError as e:
            raise SealInputError(f"could not load {config.model!r}: {e}") from None
        if hf_config.num_labels != 1:
            raise SealInputError(
                f"{config.model!r} has num_labels={hf_config.num_labels}; reward models need num_labels=1 "
                "(one scalar score per text). This looks like a classifier, not a reward model."
            )
        try:
            model, info = _load_classifier(source, getattr(torch, config.dtype), self.device.startswith("cuda"), kw)
        except ValueError as e:
            arch = ", ".join(getattr(hf_config, "architectures", None) or [hf_config.model_type])
            raise SealInputError(
                f"{config.model!r} ({arch}) cannot be loaded as a sequence classifier: {e}. "
                "Reward models are AutoModelForSequenceClassification checkpoints with num_labels=1."
            ) from None
        except OSError as e:
            raise _load_error(config.model, is_local, e) from None
        head_missing = sorted(k for k in info.get("missing_keys", ()) if k.split(".")[0] in {"score", "classifier"})
        if head_missing:
            raise SealInputError(
                f"{config.model!r} has no trained reward head: {', '.join(head_missing)} would be randomly "
                "initialised. It is a base or generative LM, not a reward model; pick a checkpoint trained as a "
                "reward model (AutoModelForSequenceClassification, num_labels=1)."
            )
        if tokenizer.pad_token is None:
            fallback = tokenizer.eos_token or tokenizer.unk_token
            if fallback is None:
                raise SealInputError(f"{config.model!r}: the tokenizer has no pad, eos or unk token to pad with")
            tokenizer.pad_token = fallback  # as RewardBench does; the classifier reads the last non-pad token
        tokenizer.padding_side = "right"  # left padding moved DeBERTa scores by up to 1e-2
        model.config.pad_token_id = tokenizer.pad_token_id
        if self.input_format == "chat_template" and not getattr(tokenizer, "chat_template", None):
            raise SealInputError(
                f"{config.model!r}: the tokenizer has no chat template, so input_format='chat_template' cannot be "
                "used; choose 'pair' (prompt/response pair, as SEAL) or 'raw' (whole transcript)"
            )
        limits = [
            v
            for v in (
                getattr(tokenizer, "model_max_length", None),
                getattr(hf_config, "max_position_embeddings", None),
            )
            if isinstance(v, int) and 0 < v < 1_000_000
        ]
        default_max = min([*limits, 4096])
        if config.max_length is not None and config.max_length > default_max:
            warnings.warn(
                f"max_length={config.max_length} exceeds the model's limit {default_max}; using {default_max}",
                stacklevel=2,
            )
        self.max_length = min(config.max_length or default_max, default_max)
        self.model = model.to(self.device).eval()
        self.attention = getattr(model.config, "_attn_implementation", None)
        if config.precision == "int8":
            quantize_int8(self.model)
            self.dtype = "int8"  # in the provenance, so int8 scores are cached apart from float32 ones
        self.tokenizer = tokenizer
        self._fast = hasattr(tokenizer, "backend_tokenizer")
        self._input_names = list(tokenizer.model_input_names)
        self.name = str(local.resolve()) if is_local else config.model
        self.revision = _local_fingerprint(local) if is_local else (getattr(hf_config, "_commit_hash", None) or "main")

    # ---- encoding -----------------------------------------------------------------------------------------

    def _encode_fast(self, firsts: list[str] | None, seconds: list[str]) -> tuple[list[Any], list[int], list[int]]:
        """Encode with the Rust tokenizer, cut, and add special tokens (exactly ``tokenizer(a, b)`` when nothing
        is cut). ``firsts`` None means single sequences (cut from the left)."""
        bt = self.tokenizer.backend_tokenizer
        if bt.truncation is not None or bt.padding is not None:  # left over from a `tokenizer(...)` call elsewhere
            bt.no_truncation()
            bt.no_padding()
        pair = firsts is not None
        budget = self.max_length - self.tokenizer.num_special_tokens_to_add(pair=pair)
        encs_b = bt.encode_batch(seconds, add_special_tokens=False)
        encs_a = bt.encode_batch(firsts, add_special_tokens=False) if pair else [None] * len(seconds)
        out, pcut, rcut = [], [], []
        for a, b in zip(encs_a, encs_b):
            if not pair:
                cut = max(0, len(b) - budget)
                if cut:
                    b.truncate(budget, direction="left")
                out.append(bt.post_process(b, None, add_special_tokens=True))
                pcut.append(cut)
                rcut.append(0)
                continue
            r_cut = max(0, len(b) - budget)
            if r_cut:
                b.truncate(budget, direction="right")
            p_cut = max(0, len(a) + len(b) - budget)
            if p_cut:
                a.truncate(len(a) - p_cut, direction="left")
            out.append(bt.post_process(a, b, add_special_tokens=True))
            pcut.append(p_cut)
            rcut.append(r_cut)
        return out, pcut, rcut

    def _chat_messages(self, prompt: str, response: str) -> tuple[list[dict], list[dict]]:
        messages = parse_turns(prompt.removesuffix("\n\n")) + [{"role": "assistant", "content": response}]
        system = [m for m in messages[:1] if m["role"] == "system"]
        return system, messages[len(system) :]

    def _chat_text(self, prompt: str, response: str) -> str:
        """The chat template over all turns (the slow-tokenizer path; truncation is left to the tokenizer)."""
        system, rest = self._chat_messages(prompt, response)
        return self.tokenizer.apply_chat_template(system + rest, tokenize=False)

    def _chat_encode(self, prompt: str, response: str) -> tuple[Any, int]:
        """Render the chat template and encode it, dropping the oldest turns until it fits.

        Returns the encoding and the number of prompt tokens dropped with those turns."""
        system, rest = self._chat_messages(prompt, response)
        first_n = None
        while True:
            text = self.tokenizer.apply_chat_template(system + rest, tokenize=False)
            enc = self.tokenizer.backend_tokenizer.encode(text, add_special_tokens=False)
            first_n = len(enc.ids) if first_n is None else first_n
            if len(enc.ids) <= self.max_length or len(rest) <= 2:
                return enc, first_n - len(enc.ids)
            rest = rest[1:]

    def _tensors(self, encodings: list[Any]) -> dict[str, Any]:
        import torch

        n = max(len(e.ids) for e in encodings)
        pad = self.tokenizer.pad_token_id
        ids = torch.full((len(encodings), n), pad, dtype=torch.long)
        mask = torch.zeros((len(encodings), n), dtype=torch.long)
        types = torch.zeros((len(encodings), n), dtype=torch.long)
        for i, e in enumerate(encodings):
            k = len(e.ids)
            ids[i, :k] = torch.tensor(e.ids)
            mask[i, :k] = 1
            types[i, :k] = torch.tensor(e.type_ids)
        batch = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            batch["token_type_ids"] = types
        return {k: v.to(self.device) for k, v in batch.items()}

    def _encode_slow(self, prompts: list[str], responses: list[str]) -> tuple[dict[str, Any], list[int], list[int]]:
        tok = self.tokenizer
        tok.truncation_side = "left"
        kw = {"truncation": True, "max_length": self.max_length, "padding": True, "return_tensors": "pt"}
        if self.input_format == "pair":
            enc = tok(prompts, ["Assistant: " + r for r in responses], **{**kw, "truncation": "only_first"})
        elif self.input_format == "raw":
            enc = tok([p + "Assistant: " + r for p, r in zip(prompts, responses)], **kw)
        else:
            enc = tok([self._chat_text(p, r) for p, r in zip(prompts, responses)], add_special_tokens=False, **kw)
        zeros = [0] * len(prompts)
        return {k: v.to(self.device) for k, v in enc.items()}, zeros, zeros

    def _encodings(self, prompts: list[str], responses: list[str]) -> tuple[list[Any], list[int], list[int]]:
        """Fast-tokenizer encodings of the input format, cut to ``max_length``, and the cuts per text."""
        if self.input_format == "pair":
            return self._encode_fast(prompts, [f"{ASSISTANT} {r}" for r in responses])
        if self.input_format == "raw":
            return self._encode_fast(None, [f"{p}{ASSISTANT} {r}" for p, r in zip(prompts, responses)])
        encs, dropped = zip(*(self._chat_encode(p, r) for p, r in zip(prompts, responses)))
        pcut, rcut = [], []
        for e, d in zip(encs, dropped):
            cut = max(0, len(e.ids) - self.max_length)
            if cut:
                e.truncate(self.max_length, direction="left")
            pcut.append(cut + d)
            rcut.append(0)
        return list(encs), pcut, rcut

    def token_lengths(self, prompts: list[str], responses: list[str]) -> list[int]:
        """Input tokens per text after truncation (tokenizes once more: the price of exact token budgets)."""
        if not self._fast:
            batch, _, _ = self._encode_slow(prompts, responses)
            return batch["attention_mask"].sum(dim=1).tolist()
        with self._lock:  # the Rust tokenizer's settings are shared state
            return [len(e.ids) for e in self._encodings(prompts, responses)[0]]

    def _score(self, prompts: list[str], responses: list[str]) -> BatchScores:
        import torch

        if not self._fast:
            batch, pcut, rcut = self._encode_slow(prompts, responses)
        else:
            encs, pcut, rcut = self._encodings(prompts, responses)
            batch = self._tensors(encs)
        with torch.inference_mode():
            logits = self.model(**batch).logits
        if logits.ndim != 2 or logits.shape[1] != 1:
            raise SealInputError(f"{self.name!r} returned logits of shape {tuple(logits.shape)}; expected (batch, 1)")
        n_tokens = batch["attention_mask"].sum(dim=1).cpu().numpy()
        return BatchScores(logits[:, 0].double().cpu().numpy(), n_tokens, np.asarray(pcut), np.asarray(rcut))

    def length_hint(self, prompt: str, response: str) -> int:
        return min(len(prompt) + len(response), 8 * self.max_length)


def _load_classifier(source: str, dtype: Any, sdpa: bool, kw: dict[str, Any]) -> tuple[Any, dict]:
    """``from_pretrained`` with SDPA attention on GPUs where the architecture has it (DeBERTa-v2 does not)."""
    import transformers

    cls = transformers.AutoModelForSequenceClassification
    if sdpa:
        try:
            return cls.from_pretrained(source, dtype=dtype, output_loading_info=True, attn_implementation="sdpa", **kw)
        except (ValueError, ImportError) as e:
            if "sdpa" not in str(e).lower() and "attention" not in str(e).lower():
                raise
    return cls.from_pretrained(source, dtype=dtype, output_loading_info=True, **kw)


def _load_error(model: str, is_local: bool, err: Exception) -> SealInputError:
    if is_local:
        return SealInputError(f"could not load the model in {model!r}: {err}")
    reason = hub_offline_reason()
    if reason:
        return OfflineError(
            f"{model!r} is not a built-in model, not a local directory, and not in the Hugging Face cache; "
            f"downloading it needs the network ({reason}). Use a built-in model (list_models()), a local "
            "directory, or run once with network to cache it.",
            option="model",
        )
    return SealInputError(f"could not load {model!r} from the Hugging Face Hub: {err}")
