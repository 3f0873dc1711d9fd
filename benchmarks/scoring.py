"""Scoring throughput: SEAL's reference loop vs RewardBench-style batching vs seal_core, in one process.

Model: a random-weight DeBERTa-v2 with base dimensions (hidden 768, 12 heads, FFN 3072) and few layers, with a
tokenizer trained here (no download); pair format; max length 512. Data: the bundled hh-rlhf sample.

  (a) SEAL reference: one text at a time, ``tokenizer(question, response)`` then ``model(**inputs)``, no batching
      (SEAL passes no truncation and crashed on over-long inputs; here ``truncation="only_first"`` keeps it running)
  (b) RewardBench style: dataset order, batches of 8 padded to the longest in the batch
  (c) seal_core.score_pairs: texts de-duplicated, sorted by length, batches of --batch-size (no cache; default
      4 on CPU, where larger batches only add padding, 32 on GPU)

Prints pairs/s for each and the ratios (c)/(a) and (c)/(b); checks the three agree on every score. On CUDA the
model runs in --dtype (default bfloat16) with SDPA attention where the architecture has it, and (c) batches by a
token budget instead of a count.

On CPU it then times int8 against float32 end to end (load the model, quantize for int8, score --int8-pairs pairs,
no cache) in --int8-rounds alternating rounds and prints the median ``int8 / float32 speed`` with the fidelity of the
int8 scores (random weights give tiny margins: judge fidelity on trained models with benchmarks/int8_fidelity.py).

    python benchmarks/scoring.py [--pairs 300] [--layers 2] [--batch-size 16] [--int8-pairs 200] [--int8-rounds 3]
    python benchmarks/scoring.py --device cuda [--dtype bfloat16] [--pairs 2000] [--layers 24]
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


def seal_reference(model, tok, pairs, device: str = "cpu") -> np.ndarray:
    out = []
    for side in ("chosen", "rejected"):
        for full in pairs[f"{side}_full"]:
            pivot = full.rfind("Assistant:")
            inputs = tok(full[:pivot], full[pivot:], return_tensors="pt", truncation="only_first", max_length=512)
            with torch.inference_mode():
                out.append(model(**inputs.to(device)).logits[0][0].item())
    return np.array(out)


def rewardbench_style(model, tok, pairs, batch: int = 8, device: str = "cpu") -> np.ndarray:
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
            out.append(model(**enc.to(device)).logits[:, 0].double().cpu().numpy())
    return np.concatenate(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=None, help="default: the library default for the device")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--dtype", default=None, help="default float32 on CPU, bfloat16 on CUDA")
    ap.add_argument("--int8-pairs", type=int, default=200, help="pairs for the int8 vs float32 timing (CPU; 0: skip)")
    ap.add_argument(
        "--int8-rounds", type=int, default=3, help="alternating float32/int8 rounds (median ratio printed)"
    )
    args = ap.parse_args()
    if args.int8_rounds < 1:
        ap.error(f"--int8-rounds must be 1 or more, got {args.int8_rounds}")
    dtype = args.dtype or ("float32" if args.device == "cpu" else "bfloat16")

    path = build_tiny_pair_rm(
        tempfile.mkdtemp(),
        hidden_size=768,
        num_layers=args.layers,
        num_heads=12,
        intermediate_size=3072,
        vocab_size=8000,
        initializer_range=0.02,
    )
    rm = load_reward_model(str(path), max_length=512, batch_size=args.batch_size, device=args.device, dtype=dtype)
    tok = AutoTokenizer.from_pretrained(path)
    tok.truncation_side = "left"
    pairs = load_pairs().pairs.head(args.pairs)
    n = len(pairs)
    where = (
        torch.cuda.get_device_name() if args.device.startswith("cuda") else f"{torch.get_num_threads()} torch threads"
    )
    print(f"{n} pairs ({2 * n} texts), DeBERTa-v2 hidden 768 x {args.layers} layers, {args.device} {dtype}, {where}")

    if not n:  # --pairs 0: only the int8 timing
        if args.device == "cpu" and args.int8_pairs:
            int8_vs_float32(path, load_pairs().pairs.head(args.int8_pairs), args.int8_rounds)
        return
    results = {}
    for name, fn in (
        ("(a) SEAL reference, one at a time", lambda: seal_reference(rm.model, tok, pairs, args.device)),
        ("(b) RewardBench style, batches of 8", lambda: rewardbench_style(rm.model, tok, pairs, device=args.device)),
        (f"(c) seal_core, {_batching(rm)}", lambda: _ours(rm, pairs)),
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
    if args.device == "cpu" and args.int8_pairs:
        int8_vs_float32(path, load_pairs().pairs.head(args.int8_pairs), args.int8_rounds)


def int8_vs_float32(path, pairs, repeat: int = 3) -> None:
    """End to end, as `seal score --rm PATH --precision P --no-cache`: load (and quantize), then score.

    Runs alternate (float32, int8, then int8, float32, ...) ``repeat`` times, so that a slow spell of a shared machine
    hits both; prints each round and the median ratio.
    """
    from seal_core.models.precision import fidelity_report

    times: dict[str, list[float]] = {"float32": [], "int8": []}
    scores = {}
    for r in range(repeat):
        for precision in ("float32", "int8") if r % 2 == 0 else ("int8", "float32"):
            t0 = time.perf_counter()
            rm = load_reward_model(str(path), max_length=512, precision=precision)
            scores[precision] = score_pairs(pairs, rm, cache=None)
            times[precision].append(time.perf_counter() - t0)
        print(
            f"round {r + 1}: end to end (load + score {len(pairs)} pairs, no cache): float32 {times['float32'][-1]:.1f} s,"
            f" int8 {times['int8'][-1]:.1f} s, ratio {times['float32'][-1] / times['int8'][-1]:.2f}x"
        )
    ratios = np.array(times["float32"]) / np.array(times["int8"])
    print(
        f"int8 / float32 speed: {np.median(ratios):.2f}x   (median of {repeat} round(s), {ratios.min():.2f}-"
        f"{ratios.max():.2f}x; target >= 1.5x end to end)"
    )
    rep = fidelity_report(scores["float32"], scores["int8"])
    print("fidelity (random weights, tiny margins): " + rep.sentence())


def _batching(rm) -> str:
    budget = getattr(rm, "token_budget", None)
    return f"token budget {budget}" if budget else f"sorted batches of {rm.batch_size}"


def _ours(rm, pairs) -> np.ndarray:
    s = score_pairs(pairs, rm, cache=None)
    return np.concatenate([s.score_chosen.to_numpy(), s.score_rejected.to_numpy()])


if __name__ == "__main__":
    main()
