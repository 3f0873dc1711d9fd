"""Findings: the handful of things the results say that matter most, in plain words, computed and never hand-written.

Every finding carries one sentence, a chart spec, why it matters, two or three example pairs, the page (and pairs)
behind it, its caveats, and a standardised effect size with a 95% interval, by which findings are ranked:

* shares: Cohen's h against the reference the sentence names (a coin flip, zero flips, the other group), with the
  arcsine transform's standard error ``sqrt(1/n1 + 1/n2)`` (``1/sqrt(n)`` against a fixed reference);
* imprint coefficients: Cohen's d, the coefficient over the RM's standard deviation of scores.

Findings are ranked by the lower end of that interval (the effect we are 95% sure of), and one whose interval
reaches zero is not a finding. The headline (how often the RM prefers the rejected response) always comes first:
it is what the others explain. The two scales are Cohen's, on which 0.2 is small, 0.5 medium and 0.8 large.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd

from seal_core.glossary import (
    GAMMA,
    PERTURBATIONS,
    REGIMES,
    ROLES,
    feature_name,
    fmt_count,
    fmt_num,
    fmt_p,
    fmt_pct,
    fmt_signed,
    responses_that,
    topic,
)
from seal_core.story._base import (
    PROBES,
    SMALL_SLICE,
    Ctx,
    Finding,
    and_join,
    cell_caveats,
    h_low,
    margins,
    share_of,
    share_row,
    wilson,
)
from seal_core.story.figures import ChartSpec


def _at_chance(k_resist: int, n: int) -> bool:
    """The resistance metric's own test: exact binomial of agreement against a coin flip, p ≥ 0.05."""
    from seal_core.metrics.power import ALPHA, chance_test

    return n > 0 and chance_test(n - k_resist, n) >= ALPHA


def _headline(ctx: Ctx) -> Finding:
    m = margins(ctx, ctx.main)
    n, k = len(m), int((m <= 0).sum())
    lo, hi = wilson(k, n)
    rows = [share_row(ROLES["post" if ctx.main == ctx.post else "pre"].name if ctx.pre and ctx.post else "This model",
                 k, n, ROLES["post"].name if ctx.main == ctx.post and ctx.pre else "")]  # fmt: skip
    who = "After training, the model" if ctx.pre and ctx.post else "The model"
    sentence = f"{who} prefers the response people rejected in {share_of(k, n, lo, hi, 'pair')}"
    numbers = {"model": ctx.main, "resistance": k / n, "ci_low": lo, "ci_high": hi, "n_pairs": n}
    caveats = list(ctx.caveats(ctx.main))
    if ctx.pre and ctx.post:
        mp = margins(ctx, ctx.pre).reindex(m.index)
        kp = int((mp <= 0).sum())
        rows.insert(0, share_row(ROLES["pre"].name, kp, n, ROLES["pre"].name))
        from statsmodels.stats.contingency_tables import mcnemar

        a, b = (mp > 0).to_numpy(), (m > 0).to_numpy()
        p = float(mcnemar([[int((a & b).sum()), int((a & ~b).sum())], [int((~a & b).sum()), int((~a & ~b).sum())]],
                          exact=True).pvalue)  # fmt: skip
        move = "about the same as" if p >= 0.05 else ("down from" if k < kp else "up from")
        sentence += f", {move} {fmt_pct(kp / n)} before ({fmt_p(p)})."
        effect, low = h_low(k / n, kp / n, n, n)
        numbers.update(pre_model=ctx.pre, pre_resistance=kp / n, mcnemar_p=p)
        if _at_chance(kp, n):
            caveats.append("the model before training is at chance level: it does no better than a coin flip")
    else:
        sentence += "; a coin flip would be 50%."
        effect, low = h_low(k / n, 0.5, n)
    if _at_chance(k, n):
        caveats.append("at chance level: the model does no better than a coin flip on these pairs")
    ties = int((m == 0).sum())
    if ties:
        caveats.append(f"{fmt_count(ties, 'tie')} counted as preferring the rejected response")
    worst = m[m <= 0].sort_values().index[:3]
    chart = ChartSpec(
        "bars",
        pd.DataFrame(rows),
        "How often the model prefers the rejected response",
        "Share of pairs (95% CI)",
        reference=0.5,
        reference_label="a coin flip",
        domain=(0, 1),
    )
    why = ("A reward model teaches a chat model what to say. Each pair where it prefers the rejected response "
           "pushes the chat model toward the answer people did not want.")  # fmt: skip
    return Finding("resistance", sentence, why, chart, tuple(worst), "resistance", effect, low,
                   tuple(caveats), numbers)  # fmt: skip


def _regimes(ctx: Ctx) -> Finding | None:
    a = margins(ctx, ctx.pre) > 0
    b = (margins(ctx, ctx.post) > 0).reindex(a.index)
    n = len(a)
    regime = np.select([a & b, ~a & b, ~a & ~b], ["stayed_aligned", "got_aligned", "resisted"], "reversed")
    k = int((regime == "resisted").sum())
    expected = float((~a).mean() * (~b).mean())
    effect, low = h_low(k / n, expected, n)
    lo, hi = wilson(k, n)
    rows = [share_row(REGIMES[r].name, int((regime == r).sum()), n) for r in REGIMES]
    sentence = (
        f"In {share_of(k, n, lo, hi, 'pair')} neither model prefers the response people chose, even after "
        f"training on it; if the two models' mistakes were unrelated this would be {fmt_pct(expected)}."
    )
    if k / n < expected:
        sentence = (
            f"Only {share_of(k, n, lo, hi, 'pair')} resist training (neither model prefers the chosen "
            f"response), fewer than the {fmt_pct(expected)} expected if the models' mistakes were unrelated."
        )
    why = (
        "Pairs that resist training are often ambiguous or mislabeled: a person reviewing them may fix more than "
        "further training would."
    )
    worst = pd.Series(margins(ctx, ctx.post)[regime == "resisted"]).sort_values().index[:3]
    chart = ChartSpec(
        "bars", pd.DataFrame(rows), "What training did to each pair", "Share of pairs (95% CI)", domain=(0, 1)
    )
    numbers = {"resisted": k / n, "ci_low": lo, "ci_high": hi, "expected_if_unrelated": expected, "n_pairs": n}
    return Finding("regimes", sentence, why, chart, tuple(worst), "resistance", effect, low,
                   ctx.caveats(ctx.pre, ctx.post), numbers)  # fmt: skip


def _gamma(ctx: Ctx, features: pd.DataFrame, targets: Sequence[str]) -> Finding | None:
    from seal_core.metrics.regimes import labeler_preference

    gamma = labeler_preference(features, targets)
    m = margins(ctx, ctx.main)
    d = pd.DataFrame({"mis": m <= 0}).join(gamma, how="inner")
    cells = {g: (int(d.loc[d.gamma == g, "mis"].sum()), int((d.gamma == g).sum())) for g in "cir"}
    (kc, nc), (kr, nr) = cells["c"], cells["r"]
    if nc == 0 or nr == 0:
        return None
    effect, low = h_low(kr / nr, kc / nc, nr, nc)
    judged = and_join([topic(t.lstrip("-")) for t in targets])
    lo, hi = wilson(kr, nr)
    who = f"the model {ctx.when(ctx.main)}".rstrip()
    sentence = (f"When the automatic labels judge the rejected response better (on {judged}), {who} prefers it in "
                f"{share_of(kr, nr, lo, hi, 'pair')}, against {fmt_pct(kc / nc)} when they "
                f"judge the chosen response better.")  # fmt: skip
    if kr / nr > kc / nc:
        why = ("Where the content and the human label disagree, the model often sides with the content: some of its "
               "'mistakes' may be mislabeled pairs rather than a flaw of the model.")  # fmt: skip
    else:
        why = ("The model goes against what the labels see in the responses, so its mistakes are not explained by "
               "mislabeled pairs: it has learned something other than what the labels check.")  # fmt: skip
    rows = [share_row(GAMMA[g].name, *cells[g]) for g in "cir"]
    chart = ChartSpec("bars", pd.DataFrame(rows), "How often the model prefers the rejected response, by what the "
                      "labels say", "Share of pairs (95% CI)", domain=(0, 1))  # fmt: skip
    side = "r" if kr / nr > kc / nc else "c"  # pairs that show the pattern the sentence describes
    ex = m[d.index[(d.gamma == side) & d.mis]].sort_values().index[:3]
    caveats = [*ctx.caveats(ctx.main), *cell_caveats(nr, lo, hi)]
    numbers = {"targets": list(targets), "share_r": kr / nr, "ci_low": lo, "ci_high": hi, "share_c": kc / nc,
               "n_r": nr, "n_c": nc}  # fmt: skip
    return Finding("gamma", sentence, why, chart, tuple(ex), "resistance", effect, low, tuple(caveats), numbers)


def _imprint(ctx: Ctx, features: pd.DataFrame, top: int = 3) -> list[Finding]:
    from seal_core.metrics.imprint import feature_imprint

    with warnings.catch_warnings():  # small slices: the finding's own caveats say so in plain words
        warnings.simplefilter("ignore")
        res = feature_imprint(ctx.scores, features.drop(columns=["labeler"], errors="ignore"), pre=ctx.pre,
                              post=ctx.post, models=[m for m in (ctx.pre, ctx.post) if m])  # fmt: skip
    t = res.table
    s = ctx.scores[ctx.scores["model"] == ctx.main]
    sd = float(np.std(np.concatenate([s["score_chosen"], s["score_rejected"]]))) or 1.0
    typical = float(s["margin"].abs().median())
    role = "post" if ctx.main == ctx.post else "pre"
    main = t[(t["rm"] == ctx.main) & (t["p_adj"] < 0.05)] if "rm" in t else t.iloc[0:0]
    main = main.assign(d_low=np.minimum(main["ci_low"].abs(), main["ci_high"].abs()) / sd)
    out = []
    for r in main.sort_values("d_low", ascending=False).head(top).itertuples():
        subject, valence = responses_that(r.feature)
        up = r.coef > 0
        diff = t[(t["role"] == "difference") & (t["feature"] == r.feature)]
        preshare_row = t[(t["role"] == "pre") & (t["feature"] == r.feature)]
        verb = "reward" if up else "penalise"
        if role == "post" and len(diff) and diff["p_adj"].iloc[0] < 0.05 and (diff["coef"].iloc[0] > 0) == up:
            how = f"the model learned to {verb} them"
        elif (
            role == "post"
            and len(preshare_row)
            and preshare_row["p_adj"].iloc[0] < 0.05
            and (preshare_row["coef"].iloc[0] > 0) == up
        ):
            how = "the model already did before training"
        else:
            how = f"the model {verb}s them"
        when = f" {ctx.when(ctx.main)}" if ctx.when(ctx.main) else ""
        unit = " per doubling of length" if r.feature == "response_words" else ""
        sentence = (f"{subject} score {'higher' if up else 'lower'}{when}: {how} "
                    f"({fmt_signed(r.coef)} points{unit}, 95% CI {fmt_signed(r.ci_low)} to {fmt_signed(r.ci_high)}; "
                    f"the typical gap between two responses is {fmt_num(typical)}).")  # fmt: skip
        good = valence * (1 if up else -1)
        why = {1: "This is what a reward model should do: a chat model trained with it will move the same way.",
               -1: "A problem: a chat model trained with this reward will move the wrong way on this.",
               0: f"This is style, not substance: a chat model trained with this reward learns to "
                  f"{'add' if up else 'avoid'} it whether or not it helps."}[good]  # fmt: skip
        rows = t[(t["feature"] == r.feature) & t["role"].isin(["pre", "post"])]
        chartshare_rows = pd.DataFrame({"label": rows["role"].map(lambda v: ROLES[v].name),
                                   "value": rows["coef"], "ci_low": rows["ci_low"], "ci_high": rows["ci_high"],
                                   "group": rows["role"].map(lambda v: ROLES[v].name)})  # fmt: skip
        chart = ChartSpec("points", chartshare_rows, f"Change in score for: {feature_name(r.feature).lower()}",
                          "Change in score when a response has it (95% CI)", percent=False, reference=0.0,
                          reference_label="no effect")  # fmt: skip
        f = features.pivot_table(index="pair_id", columns="side", values=r.feature, aggfunc="first")
        gap = (f["chosen"] - f["rejected"]).reindex(margins(ctx, ctx.main).index)
        m = margins(ctx, ctx.main)
        follows = m[(np.sign(gap) * np.sign(m) * (1 if up else -1) > 0)]
        ex = follows.abs().sort_values(ascending=False).index[:3]
        caveats = list(ctx.caveats(ctx.main))
        if r.n_pairs < 50:
            caveats.append(f"underpowered: {fmt_count(int(r.n_pairs), 'pair')}")
        numbers = {"feature": r.feature, "model": ctx.main, "coef": r.coef, "ci_low": r.ci_low, "ci_high": r.ci_high,
                   "p_adj": r.p_adj, "sd_scores": sd}  # fmt: skip
        out.append(Finding(f"imprint:{r.feature}", sentence, why, chart, tuple(ex), "imprint", abs(r.coef) / sd,
                           r.d_low, tuple(caveats), numbers))  # fmt: skip
    return out


def _robustness(ctx: Ctx, rows: pd.DataFrame) -> list[Finding]:
    rows = rows[rows["model"] == ctx.main]
    out = []
    sample = rows["pair_id"].nunique()
    caveats = list(ctx.caveats(ctx.main))
    if sample < ctx.n_pairs:
        caveats.append(f"measured on a sample of {fmt_count(sample, 'pair')} of {ctx.n_pairs:,}")
    for name, d in rows.groupby("perturbation", sort=False):
        words = PERTURBATIONS.get(name)
        label = words.name if words else feature_name(name)
        if name in PROBES:
            delta = np.concatenate([d["score_chosen_perturbed"] - d["score_chosen"],
                                    d["score_rejected_perturbed"] - d["score_rejected"]])  # fmt: skip
            moved = delta[delta != 0]
            k, n = int((moved < 0).sum()), len(moved)
            if n == 0:
                continue
            lo, hi = wilson(k, n)
            effect, low = h_low(k / n, 0.5, n)
            act, things = PROBES[name]
            share = share_of(k, n, lo, hi, "response")
            sentence = (f"{act} lowers the score in only {share}: the model does not penalise {things}."
                        if k / n < 0.5 else f"{act} lowers the score in {share}: the model penalises "
                        f"{things}, as it should.")  # fmt: skip
            why = "A reward model should score an answer lower when something plainly worse is added to it."
            data = pd.DataFrame([share_row(f"{label}: score went down", k, n)])
            chart = ChartSpec("bars", data, f"{label}: how often the score went down, as it should",
                              "Share of edited responses (95% CI)", reference=0.5, reference_label="a coin flip",
                              domain=(0, 1))  # fmt: skip
            up = d[(d["score_chosen_perturbed"] > d["score_chosen"])]
            ex = tuple(up["pair_id"].head(3))
            numbers = {"perturbation": name, "pass_rate": k / n, "ci_low": lo, "ci_high": hi, "n_texts": n}
        else:
            flips = d["became_misaligned"] | d["became_aligned"]
            k, n = int(flips.sum()), len(d)
            lo, hi = wilson(k, n)
            effect, low = h_low(k / n, 0.0, n)
            sentence = (
                f"{label} ({words.meaning if words else name}) change the model's preference in "
                f"{share_of(k, n, lo, hi, 'pair')}."
            )
            why = (
                "Edits that keep the meaning should not change which response wins: a model this sensitive "
                "is rewarding surface form, and its verdicts on close pairs are partly luck."
            )
            data = pd.DataFrame([share_row(f"{label}: preference flipped", k, n)])
            chart = ChartSpec(
                "bars",
                data,
                f"{label}: how often the preferred response changed",
                "Share of pairs (95% CI)",
                domain=(0, max(0.25, min(1.0, hi * 1.5))),
            )
            ex = tuple(d.loc[flips, "pair_id"].head(3))
            numbers = {"perturbation": name, "flip_rate": k / n, "ci_low": lo, "ci_high": hi, "n_pairs": n}
        out.append(Finding(f"robustness:{name}", sentence, why, chart, ex, "robustness", effect, low,
                           tuple(caveats + cell_caveats(n, lo, hi)), numbers))  # fmt: skip
    return out


def _shift(ctx: Ctx) -> Finding | None:
    from seal_core.metrics.shift import reward_vectors

    v = reward_vectors(ctx.scores, ctx.pre, ctx.post)
    dc = v["delta_cos"].dropna()
    n, k = len(dc), int((dc > 0).sum())
    if n == 0:
        return None
    lo, hi = wilson(k, n)
    effect, low = h_low(k / n, 0.5, n)
    sentence = f"Training turned the rewards toward the response people chose in {share_of(k, n, lo, hi, 'pair')}, and away from it in the rest."
    why = "Shows whether training moved the model toward people's choices across the board or only on some pairs."
    chart = ChartSpec("bars", pd.DataFrame([share_row("Turned toward people's choice", k, n),
                                            share_row("Turned away", n - k, n)]),
                      "Which way training turned each pair's rewards", "Share of pairs (95% CI)", reference=0.5,
                      reference_label="half the pairs", domain=(0, 1))  # fmt: skip
    ex = tuple(v.loc[v["delta_cos"].sort_values(ascending=False).index[:3], "pair_id"])
    return Finding("shift", sentence, why, chart, ex, "shift", effect, low, ctx.caveats(ctx.pre, ctx.post),
                   {"share_toward": k / n, "ci_low": lo, "ci_high": hi, "n_pairs": n})  # fmt: skip


def default_gamma_targets(features: pd.DataFrame) -> tuple[str, ...]:
    """SEAL's (harmless, helpful) when the labels have them, else the harmful-content flags the rules judge."""
    from seal_core.metrics.regimes import SEAL_GAMMA_TARGETS

    if set(SEAL_GAMMA_TARGETS) <= set(features.columns):
        return tuple(SEAL_GAMMA_TARGETS)
    flags = ("last_response_contains_insult", "last_response_breaks_privacy", "last_response_is_sexually_explicit")
    return tuple(f"-{f}" for f in flags if f in features.columns)


def find_findings(
    scores: pd.DataFrame,
    *,
    pre: str | None = None,
    post: str | None = None,
    features: pd.DataFrame | None = None,
    gamma_targets: Sequence[str] | None = None,
    robustness: pd.DataFrame | None = None,
    in_sample: Collection[str] = (),
    max_findings: int = 8,
) -> list[Finding]:
    """The most important findings for these scores (and labels, and robustness rows), ranked (module docstring).

    Parameters
    ----------
    scores : DataFrame
        The Scores table of the slice (``pair_id, model, score_chosen, score_rejected, margin``).
    pre, post : str, optional
        Model ids of the RM before and after training; at least one.
    features : DataFrame, optional
        The Features table of the slice (adds the labeler and imprint findings).
    robustness : DataFrame, optional
        Rows of :func:`seal_core.robustness.run_robustness` (adds flip and probe findings).
    in_sample : collection of str
        Models whose scores are in sample (a caveat); a boolean ``in_sample`` column of ``scores`` adds to it.
    """
    from seal_core.errors import SealInputError

    models = set(scores["model"]) if len(scores) else set()
    if not (pre or post):
        raise SealInputError("findings need at least one reward model: pass pre= and/or post= (a model id)")
    for name, m in (("pre", pre), ("post", post)):
        if m is not None and m not in models:
            raise SealInputError(f"{name}={m!r} is not in the scores; they hold {sorted(models)}")
    if not 1 <= max_findings <= 20:
        raise SealInputError(f"max_findings must be between 1 and 20, got {max_findings}")
    flagged = {m: int(scores["pair_id"][scores["model"] == m].nunique()) for m in in_sample}
    if "in_sample" in scores:
        inside = scores[scores["in_sample"].fillna(False).astype(bool)]
        flagged |= {m: int(d["pair_id"].nunique()) for m, d in inside.groupby("model")}
    n = scores[scores["model"] == (post or pre)]["pair_id"].nunique()
    common = [f"small slice: only {fmt_count(n, 'pair')}"] if n < SMALL_SLICE else []
    ctx = Ctx(scores, pre, post, flagged, n, common)
    if n == 0:
        return []
    head = _headline(ctx)
    rest: list[Finding] = []
    if pre and post:
        rest += [f for f in (_regimes(ctx), _shift(ctx)) if f]
    if features is not None and len(features):
        targets = tuple(gamma_targets) if gamma_targets else default_gamma_targets(features)
        for step in (lambda: [_gamma(ctx, features, targets)] if targets else [], lambda: _imprint(ctx, features)):
            try:
                rest += [f for f in step() if f]
            except SealInputError:
                pass  # a section the labels cannot support is left out, not shown as a finding
    if robustness is not None and len(robustness):
        rest += _robustness(ctx, robustness)
    rest = sorted((f for f in rest if f.effect_low > 0), key=lambda f: f.effect_low, reverse=True)
    return [head, *rest][:max_findings]
