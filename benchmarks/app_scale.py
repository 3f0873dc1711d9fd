"""The app at hh-rlhf train scale: 160,800 synthetic pairs, scores and rule features already in the caches.

Steps, each timed as one interaction of the real app (``streamlit.testing`` AppTest, in this process):

  1. open the app (bundled sample, built-in RMs)
  2. load the 160,800-pair file; the Overview from cached scores
  3. the Overview again (nothing changed: the memo)
  4. slicing: a text search over the 160,800 pairs
  5. the Resistance page (regimes, γ from cached rule features, tables)
  6. the Feature imprint page (pair fixed-effects regressions on 321,600 texts)

The data come from :mod:`seal_core.data.synthetic` (recombined bundled texts, each pair distinct). A separate process
fills a throw-away cache folder first (``SEAL_CACHE_DIR``): scores of both built-in RMs (synthetic numbers, keyed by
the real models' cache keys: nothing here is a result) and the rule features of every text (computed per distinct
response, which is all the rules read); then, as ``seal score`` and ``seal label`` on that file would, it builds the
whole tables once, which leaves their snapshots (:mod:`seal_core.snapshots`) beside the caches. ``--no-snapshots``
leaves only the per-text caches: the app then reads 643,200 cached scores and 321,600 cached labels itself. Prints
each interaction's seconds against the 5 s target, and the process's peak resident memory against 4 GB. Never run
with your real cache folder: the script makes its own.

    python benchmarks/app_scale.py [--pairs 160800] [--no-snapshots]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def prefill(data: Path, n: int, snapshots: bool) -> None:
    """Write the synthetic file and fill the caches (run in a child process, so its memory is not counted)."""
    import numpy as np

    from seal_core.data import load_pairs
    from seal_core.data.synthetic import write_synthetic
    from seal_core.features import LabelCache, RulesFeaturizer
    from seal_core.models import list_models, load_reward_model
    from seal_core.scoring import CachedScore, ScoreCache
    from seal_core.storage import text_key

    t0 = time.perf_counter()
    write_synthetic(data, n, seed=0)
    pairs = load_pairs(str(data)).pairs
    prompts = pairs["prompt_chosen"].tolist() + pairs["prompt_rejected"].tolist()
    responses = pairs["chosen"].tolist() + pairs["rejected"].tolist()
    keys = [text_key(p, r) for p, r in zip(prompts, responses)]
    rng = np.random.default_rng(0)
    cache = ScoreCache()
    n_tok = [min(256, len(r) // 4 + 8) for r in responses]
    for m in list_models():
        rm = load_reward_model(m.name)
        scores = rng.normal(size=len(keys)) + np.r_[np.full(n, 0.2), np.zeros(n)]
        items = [(k, CachedScore(float(s), t, 0, 0)) for k, s, t in zip(keys, scores, n_tok)]
        # under the key of the model that scores each pair (a cross-fitting RM routes pairs to sub-models)
        for sub, idx in rm.route(pairs):
            rows = np.r_[idx, idx + n]
            cache.put_many(sub.cache_key, dict(items[i] for i in rows), provenance=sub.provenance)
    featurizer = RulesFeaturizer()
    distinct = sorted(set(responses))
    rows = featurizer._label([""] * len(distinct), distinct).to_dict("records")
    by_response = dict(zip(distinct, rows))
    labels = {text_key(p, r): by_response[r] for p, r in zip(prompts, responses)}
    LabelCache().put_many(featurizer.key, labels)
    if snapshots:  # what `seal score` and `seal label` leave behind: whole-table snapshots beside the caches
        from seal_core.features import label_pairs
        from seal_core.scoring import score_pairs

        loaded = load_pairs(str(data), snapshot=True)
        for m in list_models():
            score_pairs(loaded.pairs, load_reward_model(m.name), cache=cache, content_key=loaded.content_key)
        label_pairs(loaded.pairs, featurizer, cache=LabelCache(), content_key=loaded.content_key)
    print(f"prefill: {n:,} pairs written, {len(keys):,} scores x 2 RMs and rule features cached "
          f"in {time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=160_800)
    ap.add_argument("--work", default=None, help="folder to keep (and reuse) the data and caches; default: a new one")
    ap.add_argument(
        "--no-snapshots",
        action="store_true",
        help="fill only the per-text caches (as if the app were the first to read the scores)",
    )
    ap.add_argument("--prefill", default=None, help=argparse.SUPPRESS)  # internal: the child process
    args = ap.parse_args()
    if args.prefill:
        prefill(Path(args.prefill), args.pairs, not args.no_snapshots)
        return

    work = Path(args.work or tempfile.mkdtemp(prefix="seal-app-scale-"))
    os.environ["SEAL_CACHE_DIR"] = str(work / "cache")
    data = work / "synthetic.parquet"
    if not data.exists():
        extra = ["--no-snapshots"] if args.no_snapshots else []
        subprocess.run([sys.executable, __file__, "--pairs", str(args.pairs), "--prefill", str(data), *extra],
                       check=True)  # fmt: skip

    from streamlit.testing.v1 import AppTest

    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    figures: list[tuple[str, float]] = []

    def step(name: str, action) -> None:
        t0 = time.perf_counter()
        action()
        dt = time.perf_counter() - t0
        errors = [e.value for e in at.exception] + [e.value for e in at.error]
        figures.append((name, dt))
        print(f"{name:<58} {dt:7.2f} s  {'ok' if dt <= 5 else 'OVER 5 s'}" + (f"  errors: {errors}" if errors else ""))

    step("open the app (bundled sample; cold start)", at.run)
    step("Overview page (bundled sample)", lambda: at.switch_page("views/overview.py").run())
    at.radio(key="data_mode").set_value("Local file")
    step("choose 'Local file' (bundled sample meanwhile)", at.run)
    at.text_input(key="data_path").set_value(str(data))
    step(f"load {args.pairs:,} pairs + Overview from cached scores", at.run)
    step("Overview again (no change)", at.run)
    at.text_input(key="slice_search").set_value("money")
    step("slice: text contains 'money'", at.run)
    at.text_input(key="slice_search").set_value("")
    step("slice cleared (all pairs)", at.run)
    step("Resistance page", lambda: at.switch_page("views/resistance.py").run())
    step("Feature imprint page", lambda: at.switch_page("views/imprint.py").run())
    step("Overview page again", lambda: at.switch_page("views/overview.py").run())
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    worst = max(dt for name, dt in figures[2:])
    print(f"slowest interaction on the large data: {worst:.2f} s (target <= 5 s)")
    print(f"peak resident memory of this process: {peak_gb:.2f} GB (target < 4 GB)")


if __name__ == "__main__":
    main()
