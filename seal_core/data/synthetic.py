"""Synthetic preference data at hh-rlhf scale, for benchmarks and tests of the app and the pipelines.

:func:`synthetic_transcripts` recombines the bundled hh-rlhf sample into any number of distinct pairs in the hh-rlhf
transcript format: each pair takes a bundled conversation's prompt and a chosen and a rejected response drawn from the
bundled responses, and its last human turn is tagged with the pair's number, so every text is distinct (every text
costs one cache entry, as on real data) while lengths, turn counts and vocabulary stay those of real data. Nothing in
it is a real preference: use it to measure speed and memory, never to report a statistic.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError

HH_RLHF_TRAIN_PAIRS = 160_800


def synthetic_transcripts(n: int = HH_RLHF_TRAIN_PAIRS, *, seed: int = 0) -> pd.DataFrame:
    """``n`` distinct synthetic pairs as hh-rlhf transcripts (columns ``chosen``, ``rejected``, ``source``).

    Examples
    --------
    >>> df = synthetic_transcripts(5, seed=1)
    >>> df.shape, bool(df.chosen.str.contains("\\n\\nAssistant:").all())
    ((5, 3), True)
    >>> synthetic_transcripts(5, seed=1).equals(df)
    True
    """
    if n < 1:
        raise SealInputError(f"the number of synthetic pairs must be at least 1, got {n}")
    from seal_core.data import load_pairs

    base = load_pairs().pairs
    rng = np.random.default_rng(seed)
    prompts = base["prompt_chosen"].to_numpy()
    responses = np.concatenate([base["chosen"].to_numpy(), base["rejected"].to_numpy()])
    p_idx = rng.integers(0, len(prompts), n)
    c_idx = rng.integers(0, len(responses), n)
    r_idx = (c_idx + rng.integers(1, len(responses), n)) % len(responses)  # never the same response
    tagged = [f"{p.removesuffix(chr(10) * 2)} (#{i})\n\n" for i, p in enumerate(prompts[p_idx])]
    chosen = [f"{p}Assistant: {r}" for p, r in zip(tagged, responses[c_idx])]
    rejected = [f"{p}Assistant: {r}" for p, r in zip(tagged, responses[r_idx])]
    sources = np.array(["synthetic-a", "synthetic-b", "synthetic-c"])[rng.integers(0, 3, n)]
    return pd.DataFrame({"chosen": chosen, "rejected": rejected, "source": sources})


def write_synthetic(path: str | os.PathLike, n: int = HH_RLHF_TRAIN_PAIRS, *, seed: int = 0) -> Path:
    """Write :func:`synthetic_transcripts` to ``path`` (``.parquet`` or ``.jsonl.gz``); returns the path."""
    path = Path(path)
    df = synthetic_transcripts(n, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif path.name.endswith((".jsonl.gz", ".jsonl")):
        df.to_json(path, orient="records", lines=True, compression="infer")
    else:
        raise SealInputError(f"write synthetic data to a .parquet or .jsonl(.gz) file, not {path.name!r}")
    return path
