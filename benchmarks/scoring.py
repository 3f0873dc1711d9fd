"""Scoring throughput: SEAL's reference loop vs RewardBench-style batching vs seal_core, in one process.

Model: a random-weight DeBERTa-v2 with base dimensions (hidden 768, 12 heads, FFN 3072) and few layers, with a
tokenizer trained here (no download); pair format; max length 512. Data: the bundled hh-rlhf sample.

  (a) SEAL reference: one text at a time, ``tokenizer(question, response)`` then ``model(**inputs)``, no batching
      (SEAL passes no truncation and crashed on over-long inputs; here ``truncation="only_first"`` keeps it running)
  (b) RewardBench style: dataset order, batches of 8 padded to the longest in the batch
  (c) seal_core.score_pairs: texts de-duplicated, sorted by length, batches of --batch-size (no cache; default
      4 on CPU, where larger batches only add padding, 32 on GPU)

Prints pairs/s for each and the ratios (c)/(a) and (c)/(b); checks the three agree on every score.

    python benchmarks/scoring.py [--pairs 300] [--layers 2] [--batch-size 16]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch
from transformers import AutoTokenizer

from seal_core.data import load_pairs
from seal_core.models import load_reward_model
from seal_core.scoring import score_pairs
from seal_core.testing import build_tiny_pair_rm


def seal_reference(model, tok, pairs) -> np.ndarray:
    out = []
    for side in ("chosen", "rejected"):
        for full in pairs[f"{side}_full"]:
            pivot = full.rfind("Assistant:")
            inputs = tok(full[:pivot], full[pivot:], return_tensors="pt", truncation="only_first", max_length=512)
            with torch.inference_mode():
                out.append(model(**inputs).logits[0][0].item())
    return np.array(out)


def rewardbench_style(model, tok, pairs, batch: int = 8) -> np.ndarray:
    questions, responses = [], []
    for side in ("chosen", "rejected"):
        for full in pairs[f"{side}_full"]:
            pivot = full.rfind("Assistant:")
            questions.append(full[:pivot])
            responses.append(full[pivot:])
    out = []
    for i in range(0, len(questions), batch):
        enc = tok(
            questions[i : i + batch],
            responses[i : i + batch],
            padding=True,
            truncation="only_first",
            max_length=512,
            return_tensors="pt",
        )
        with torch.inference_mode():
            out.append(model(**enc).logits[:, 0].double().numpy())
    return np.concatenate(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=None, help="default: the library default for the device")
    args = ap.parse_args()

    path = build_tiny_pair_rm(
        tempfile.mkdtemp(),
        hidden_size=768,
        num_layers=args.layers,
        num_heads=12,
        intermediate_size=3072,
        vocab_size=8000,
        initializer_range=0.02,
    )
    rm = load_reward_model(str(path), max_length=512, batch_size=args.batch_size)
    tok = AutoTokenizer.from_pretrained(path)
    tok.truncation_side = "left"
    pairs = load_pairs().pairs.head(args.pairs)
    n = len(pairs)
    print(
        f"{n} pairs ({2 * n} texts), DeBERTa-v2 hidden 768 x {args.layers} layers, "
        f"{torch.get_num_threads()} torch threads"
    )

    results = {}
    for name, fn in (
        ("(a) SEAL reference, one at a time", lambda: seal_reference(rm.model, tok, pairs)),
        ("(b) RewardBench style, batches of 8", lambda: rewardbench_style(rm.model, tok, pairs)),
        (f"(c) seal_core, sorted batches of {rm.batch_size}", lambda: _ours(rm, pairs)),
    ):
        t0 = time.perf_counter()
        scores = fn()
        dt = time.perf_counter() - t0
        results[name] = (n / dt, scores)
        print(f"{name:<42} {n / dt:8.2f} pairs/s  ({dt:.1f} s)")
    (a, sa), (b, sb), (c, sc) = results.values()
    print(f"ours / SEAL reference  = {c / a:.2f}x   (target >= 5x)")
    print(f"ours / RewardBench     = {c / b:.2f}x   (target >= 1.3x)")
    print(
        f"score scale (std) {sa.std():.3g}; max |difference| vs reference: {np.abs(sc - sa).max():.2e} (ours), "
        f"{np.abs(sb - sa).max():.2e} (b)"
    )


def _ours(rm, pairs) -> np.ndarray:
    s = score_pairs(pairs, rm, cache=None)
    return np.concatenate([s.score_chosen.to_numpy(), s.score_rejected.to_numpy()])


if __name__ == "__main__":
    main()
