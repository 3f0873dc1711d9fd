"""Latency of one live edit: change a response, get both built-in RMs' scores for the pair.

Each round trip edits the chosen response of a pair (a new text every time, so nothing is cached for it) and
scores the pair with the pre-D and post-D built-in models, as the editor page does. The baseline, run in the same
process on the same edited texts, is the bare encoder call that any embedding-based RM must make for that edit:
``SentenceTransformer.encode`` of the two encoder inputs of the edited response (context + response, response).

    python benchmarks/live_edit.py [--edits 60]

Prints p50/p95 of both and the ratio (targets: p95 <= 150 ms and <= 1.5x the bare call).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from seal_core.data import load_pairs
from seal_core.models import POST_NAME, PRE_NAME, load_reward_model
from seal_core.models.encoder import Encoder
from seal_core.models.heads import compose


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edits", type=int, default=60)
    args = ap.parse_args()
    pre, post = load_reward_model(PRE_NAME), load_reward_model(POST_NAME)
    enc = Encoder.shared()
    pairs = load_pairs().pairs.head(args.edits)
    # warm up: the originals are already scored when a user starts editing
    for p in (pre, post):
        p.score(
            pairs.prompt_chosen.tolist() + pairs.prompt_rejected.tolist(),
            pairs.chosen.tolist() + pairs.rejected.tolist(),
        )
    ours, bare = [], []
    for i, row in enumerate(pairs.itertuples()):
        edited = f"{row.chosen} Edit number {i}."
        prompts, responses = [row.prompt_chosen, row.prompt_rejected], [edited, row.rejected]
        t0 = time.perf_counter()
        pre.score(prompts, responses)
        post.score(prompts, responses)
        ours.append(time.perf_counter() - t0)
        comp = compose(enc, [row.prompt_chosen], [edited + " (bare)"])  # a fresh text for the bare call too
        t0 = time.perf_counter()
        enc.model.encode(comp.contextual + comp.responses, batch_size=32, normalize_embeddings=True)
        bare.append(time.perf_counter() - t0)
    o, b = np.array(ours) * 1000, np.array(bare) * 1000
    print(f"{len(o)} edits, both built-in RMs, 1 encoder forward per edit")
    print(f"edit -> both scores   p50 {np.percentile(o, 50):6.1f} ms   p95 {np.percentile(o, 95):6.1f} ms")
    print(f"bare encoder call     p50 {np.percentile(b, 50):6.1f} ms   p95 {np.percentile(b, 95):6.1f} ms")
    print(
        f"ratio p95 ours / bare = {np.percentile(o, 95) / np.percentile(b, 95):.2f}x  (target <= 1.5x; "
        f"p95 target <= 150 ms)"
    )
    print(f"ratio p50 ours / bare = {np.percentile(o, 50) / np.percentile(b, 50):.2f}x")


if __name__ == "__main__":
    main()
