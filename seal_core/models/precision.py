"""Numeric precision of a reward model: int8 quantization on CPU and its fidelity against float32.

``precision="int8"`` quantizes every ``torch.nn.Linear`` of a model to int8 weights (one scale per output channel)
with int8 activations quantized per batch at run time (dynamic quantization), through PyTorch's built-in quantized kernels (fbgemm on x86, qnnpack
on ARM). Embeddings, layer norms and the attention arithmetic stay float32. It needs no calibration data and no
export step, and it runs on CPU only.

Why this path: in torch 2.13 ``torch.ao.quantization.quantize_dynamic`` is marked deprecated in favour of torchao,
but torchao (0.18) runs its int8 dynamic-activation config on CPU through generic tensor-subclass ops unless the
model is compiled with ``torch.compile`` (slow to compile, and again for new sequence lengths): on a base-width
4-layer DeBERTa-v2 it ran 20× *slower* than float32 in eager mode here, where this path ran 1.6× faster. The deprecated call is still the fastest well-tested eager CPU int8 path, so it is used
behind this one function, with the warning silenced here only; swapping the backend later changes nothing else.

A quantized model's scores differ slightly from float32, so int8 scores are cached under their own key
(the provenance's ``dtype`` is ``"int8"``) and :func:`fidelity_report` measures what int8 changes on the same pairs.
"""

from __future__ import annotations

import platform
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError

PRECISIONS: tuple[str, ...] = ("float32", "int8")


def check_precision(precision: str, *, device: str = "cpu", dtype: str = "float32") -> None:
    """Refuse a precision this device or dtype cannot run, with what to do instead.

    Examples
    --------
    >>> check_precision("int8")
    >>> check_precision("int4")
    Traceback (most recent call last):
    ...
    seal_core.errors.SealInputError: unknown precision 'int4'; expected one of ['float32', 'int8']
    """
    if precision not in PRECISIONS:
        raise SealInputError(f"unknown precision {precision!r}; expected one of {list(PRECISIONS)}")
    if precision == "int8":
        if not str(device).startswith("cpu"):
            raise SealInputError(
                f"precision 'int8' runs on CPU only (got device {device!r}); on a GPU use --dtype bfloat16 or "
                "float16 with precision float32"
            )
        if dtype != "float32":
            raise SealInputError(f"precision 'int8' quantizes a float32 model; leave dtype at float32 (got {dtype!r})")


def quantize_int8(model):
    """Quantize the ``Linear`` layers of a float32 torch model to int8 (dynamic), in place; returns the model.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)).eval()
    >>> q = quantize_int8(net)
    >>> type(q[0]).__name__, q(torch.ones(2, 8)).shape
    ('Linear', torch.Size([2, 1]))
    >>> type(q[0]).__module__
    'torch.ao.nn.quantized.dynamic.modules.linear'
    """
    import torch

    engines = torch.backends.quantized.supported_engines
    wanted = "qnnpack" if platform.machine().lower() in ("arm64", "aarch64") else "fbgemm"
    if wanted in engines:
        torch.backends.quantized.engine = wanted
    elif "x86" in engines:
        torch.backends.quantized.engine = "x86"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation notice (see the module docstring)
        from torch.ao.quantization import per_channel_dynamic_qconfig

        spec = {torch.nn.Linear: per_channel_dynamic_qconfig}  # per output channel: closer to float32 than per tensor
        return torch.ao.quantization.quantize_dynamic(model.eval(), spec, dtype=torch.qint8, inplace=True)


@dataclass(frozen=True)
class FidelityReport:
    """How far a candidate's scores (e.g. int8) are from a reference's (float32) on the same pairs.

    Attributes
    ----------
    n_pairs : int
        Pairs scored by both.
    preferences_kept : float
        Share of pairs whose preference (sign of the margin, ties included as their own outcome) is unchanged.
    spearman : float
        Spearman rank correlation of the two margins (NaN when either is constant).
    max_abs_delta_score : float
        Largest |candidate score − reference score| over all texts (chosen and rejected).
    mean_abs_delta_score : float
        Mean of the same.
    margin_scale : float
        Standard deviation of the reference margins, to read the deltas against.
    """

    n_pairs: int
    preferences_kept: float
    spearman: float
    max_abs_delta_score: float
    mean_abs_delta_score: float
    margin_scale: float

    def meets(self, *, min_kept: float = 0.98, min_spearman: float = 0.98) -> bool:
        """True when both targets hold (by default: ≥ 98% of preferences kept and Spearman ≥ 0.98)."""
        return self.preferences_kept >= min_kept and self.spearman >= min_spearman

    def sentence(self, candidate: str = "int8", reference: str = "float32") -> str:
        """The report in one plain sentence."""
        return (
            f"{candidate} vs {reference} on {self.n_pairs:,} pairs: {100 * self.preferences_kept:.1f}% of "
            f"preferences kept, Spearman of margins {self.spearman:.4f}, max |Δscore| {self.max_abs_delta_score:.3g} "
            f"(mean {self.mean_abs_delta_score:.3g}; margins' sd {self.margin_scale:.3g})"
        )


def fidelity_report(reference: pd.DataFrame, candidate: pd.DataFrame) -> FidelityReport:
    """Compare two Scores tables of one RM (same pairs) joined on ``pair_id``.

    Parameters
    ----------
    reference, candidate : DataFrame
        Scores tables (``pair_id, score_chosen, score_rejected``), e.g. float32 and int8 runs of the same model.

    Examples
    --------
    >>> ref = pd.DataFrame({"pair_id": ["a", "b", "c"], "score_chosen": [1.0, 0.0, 2.0],
    ...                     "score_rejected": [0.0, 1.0, 1.5]})
    >>> cand = ref.assign(score_chosen=[1.1, 0.0, 1.4])
    >>> r = fidelity_report(ref, cand)
    >>> r.n_pairs, round(r.preferences_kept, 3), round(r.max_abs_delta_score, 3)
    (3, 0.667, 0.6)
    """
    need = {"pair_id", "score_chosen", "score_rejected"}
    for name, df in (("reference", reference), ("candidate", candidate)):
        if need - set(df.columns):
            raise SealInputError(f"the {name} table lacks column(s) {sorted(need - set(df.columns))}")
        if df["pair_id"].duplicated().any():
            raise SealInputError(f"the {name} table repeats pair ids; compare one model's Scores at a time")
    cols = ["pair_id", "score_chosen", "score_rejected"]
    j = reference[cols].merge(candidate[cols], on="pair_id", suffixes=("_ref", "_cand"))
    if j.empty:
        raise SealInputError("the two Scores tables share no pair_id; score the same pairs with both")
    m_ref = (j["score_chosen_ref"] - j["score_rejected_ref"]).to_numpy()
    m_cand = (j["score_chosen_cand"] - j["score_rejected_cand"]).to_numpy()
    deltas = np.abs(
        np.concatenate(
            [
                j["score_chosen_cand"].to_numpy() - j["score_chosen_ref"].to_numpy(),
                j["score_rejected_cand"].to_numpy() - j["score_rejected_ref"].to_numpy(),
            ]
        )
    )
    if np.ptp(m_ref) == 0 or np.ptp(m_cand) == 0:
        rho = float("nan")
    else:
        rho = float(pd.Series(m_ref).corr(pd.Series(m_cand), method="spearman"))
    return FidelityReport(
        n_pairs=len(j),
        preferences_kept=float(np.mean(np.sign(m_ref) == np.sign(m_cand))),
        spearman=rho,
        max_abs_delta_score=float(deltas.max()),
        mean_abs_delta_score=float(deltas.mean()),
        margin_scale=float(np.std(m_ref)),
    )
