"""Precomputed response embeddings of the bundled sample, so the app's first Triage visit embeds nothing.

The file ``data_files/bundled_response_embeddings.npz`` holds the all-MiniLM-L6-v2 embedding (float16, unit norm) of
every distinct response of the bundled hh-rlhf sample, keyed by the same text hash as the encoder's cache. Texts not
in the file (other data, edited texts) are embedded in batches, with a progress callback. Regenerate after changing
the encoder or the sample with ``python -m seal_core.models.embedding_seed``.

float16 keeps the file at ~2.7 MB; the cosine of two float16 unit vectors differs from float32 by about 1e-3, which
is far below what the ``near_identical`` ambiguity component resolves (it grades cosines from 0.8 to 1 in steps
that matter at 0.01).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

SEED_FILE = Path(__file__).parents[1] / "data_files" / "bundled_response_embeddings.npz"
BATCH = 64
_seed: dict[bytes, np.ndarray] | None = None
_seed_lock = threading.Lock()


def text_hash(text: str) -> bytes:
    """The encoder cache's key of a text (blake2b, 16 bytes)."""
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _load_seed() -> dict[bytes, np.ndarray]:
    global _seed
    with _seed_lock:
        if _seed is None:
            if SEED_FILE.exists():
                with np.load(SEED_FILE) as f:
                    keys, vecs = f["keys"], f["vectors"]
                _seed = {k.tobytes(): v for k, v in zip(keys, vecs)}
            else:
                _seed = {}
        return _seed


def seeded_fraction(texts: Sequence[str]) -> float:
    """Share of ``texts`` whose embedding ships with the package (1.0 on the bundled sample).

    Examples
    --------
    >>> from seal_core.data import load_pairs
    >>> seeded_fraction(load_pairs().pairs["chosen"].head(50).tolist())
    1.0
    >>> seeded_fraction(["a text that is not in the bundled sample"])
    0.0
    """
    seed = _load_seed()
    return sum(text_hash(t) in seed for t in texts) / len(texts) if len(texts) else 1.0


def embed_responses(texts: Sequence[str], *, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Unit-norm embeddings (float32, one row per text): shipped ones from the seed file, the rest from the encoder
    in batches of 64, calling ``progress(done, total)`` after each batch of texts to embed."""
    seed = _load_seed()
    keys = [text_hash(t) for t in texts]
    out = np.zeros((len(texts), 384), dtype=np.float32)
    missing: dict[bytes, str] = {}
    for i, (k, t) in enumerate(zip(keys, texts)):
        if k in seed:
            out[i] = seed[k]
        else:
            missing.setdefault(k, t)
    if missing:
        from seal_core.models.encoder import Encoder

        enc, todo, got = Encoder.shared(), list(missing.items()), {}
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            for (k, _), v in zip(batch, enc.embed([t for _, t in batch])):
                got[k] = v
            if progress:
                progress(min(start + BATCH, len(todo)), len(todo))
        for i, k in enumerate(keys):
            if k in got:
                out[i] = got[k]
    return out


def response_similarity(pairs: pd.DataFrame, *, progress: Callable[[int, int], None] | None = None) -> pd.Series:
    """Cosine of the chosen and rejected responses per ``pair_id``, using the shipped embeddings where they exist.

    Examples
    --------
    >>> from seal_core.data import load_pairs
    >>> pairs = load_pairs().pairs.head(3)
    >>> sim = response_similarity(pairs)
    >>> list(sim.index) == list(pairs["pair_id"]), bool(((sim > -1.01) & (sim < 1.01)).all())
    (True, True)
    """
    texts = pairs["chosen"].tolist() + pairs["rejected"].tolist()
    vecs = embed_responses(texts, progress=progress)
    n = len(pairs)
    cos = np.einsum("ij,ij->i", vecs[:n], vecs[n:]).astype(float)
    return pd.Series(cos, index=pairs["pair_id"].to_numpy())


def write_seed(path: Path = SEED_FILE) -> Path:
    """Embed every distinct response of the bundled sample and write the seed file (float16)."""
    from seal_core.data import load_pairs
    from seal_core.models.encoder import Encoder

    pairs = load_pairs().pairs
    texts = sorted(set(pairs["chosen"]) | set(pairs["rejected"]))
    vecs = Encoder.shared().embed(texts)
    keys = np.frombuffer(b"".join(text_hash(t) for t in texts), dtype=np.uint8).reshape(-1, 16)
    np.savez_compressed(path, keys=keys, vectors=vecs.astype(np.float16))
    return path


if __name__ == "__main__":
    print(write_seed())
