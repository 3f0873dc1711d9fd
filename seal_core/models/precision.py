"""Numeric precision of a reward model: int8 quantization on CPU and its fidelity against float32.

``precision="int8"`` (:func:`quantize_int8`) replaces every ``torch.nn.Linear`` of a model by an int8 one:

* weights in int8, one scale per output channel (symmetric, ``max |w| / 127``);
* activations in int8 quantized at run time (dynamic: no calibration data, no export step) with **one scale per
  token** (per row of the input), over the full 8-bit range where the CPU's kernel sums without saturating (checked
  once by a probe; otherwise 7 bits, as PyTorch's own dynamic quantization always uses);
* the :data:`OUTLIER_CHANNELS` input channels of largest magnitude in each batch stay float32 (a small float matrix
  product added to the int8 one, as in LLM.int8()).

Embeddings, layer norms and the attention arithmetic stay float32. It runs on CPU only, through PyTorch's quantized
kernels (fbgemm on x86, qnnpack on ARM).

Why not plain ``torch.ao.quantization.quantize_dynamic``: its activations get one 7-bit scale per *tensor* (the whole
padded batch), and transformer encoders have outliers that this handles badly. In MiniLM/BERT a few hidden channels
after each layer norm are 10-20× larger than the rest (they feed the query/key/value and FFN input projections), and
some tokens are several times larger than others (the FFN output projection's input). Measured on the built-in
reward models (all-MiniLM-L6-v2; ``benchmarks/int8_fidelity.py``), plain dynamic quantization kept 84.7% and 95.0%
of preferences. Keeping float32 Linear layers instead does not fix it: every layer contributes (the FFN output
projections most, once the channel outliers are handled), and keeping the FFN output projections float32 costs a
third of the int8 matrix products on a DeBERTa. Per-token scales plus float32 outlier channels bring every Linear's
activation error down to about its weight-quantization error, with no calibration data and no model-specific rule.
Remaining costs: one pass over each Linear's input to find its scales and outlier channels, one over its output to
rescale it, and a float32 copy of the weights (to compute the outlier channels). The int8 kernel runs in blocks of
:data:`CHUNK_ROWS` tokens, each rescaled in place into the output (which already holds the bias and the outlier
product) while it is still in cache; the outlier channels are still chosen over the whole batch, so blocking changes
no score beyond float rounding.

In torch 2.13 the ``torch.ao`` quantization API is marked deprecated in favour of torchao, but torchao (0.18) runs its
int8 dynamic-activation config on CPU through generic tensor-subclass ops unless the model is compiled with
``torch.compile`` (slow to compile, and again for new sequence lengths): on a base-width 4-layer DeBERTa-v2 it ran
20× *slower* than float32 in eager mode here. The quantized kernels used here (``torch.ops.quantized``) are still the
fastest well-tested eager CPU int8 path, so they are used behind this one function, with the deprecation warnings
silenced here only; swapping the backend later changes nothing else.

A quantized model's scores differ slightly from float32 (and, as with any dynamic quantization, slightly with the
other texts of the batch, which pick the outlier channels), so int8 scores are cached under their own key (the
provenance's ``dtype`` is ``"int8"``) and :func:`fidelity_report` measures what int8 changes on the same pairs.
"""

from __future__ import annotations

import functools
import platform
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError

PRECISIONS: tuple[str, ...] = ("float32", "int8")
OUTLIER_CHANNELS = 16  # input channels per batch computed in float32 by each int8 Linear (see quantize_int8)
CHUNK_ROWS = 256  # rows (tokens) per int8 kernel call: 256 ran the Linear layers of a base-width DeBERTa fastest


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


def quantize_int8(model, *, outlier_channels: int = OUTLIER_CHANNELS):
    """Replace every ``torch.nn.Linear`` of a float32 torch model by an int8 one, in place; returns the model.

    Each replacement (see the module docstring) keeps int8 weights (one scale per output channel) and quantizes its
    input at run time with one scale per token, after taking the ``outlier_channels`` input channels of largest
    magnitude in the batch out to a float32 product. Subclasses of ``Linear`` (e.g. the output projection of
    ``torch.nn.MultiheadAttention``, whose weight is read directly) are left as they are.

    Parameters
    ----------
    model : torch.nn.Module
        A float32 model on CPU.
    outlier_channels : int
        Input channels per batch kept in float32 (0: none). 16 brought the int8 activation error of all-MiniLM-L6-v2
        down to its weight-quantization error; 32 did no better.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.GELU(), torch.nn.Linear(32, 1)).eval()
    >>> x = torch.randn(8, 64)
    >>> x[:, 3] *= 50  # an outlier channel, as after a transformer's layer norm
    >>> ref = net(x).detach()
    >>> q = quantize_int8(net)
    >>> type(q[0]).__name__, q(x).shape
    ('Int8Linear', torch.Size([8, 1]))
    >>> bool((q(x) - ref).abs().max() < 0.01 * ref.abs().max())
    True
    """
    import torch

    engines = torch.backends.quantized.supported_engines
    wanted = "qnnpack" if platform.machine().lower() in ("arm64", "aarch64") else "fbgemm"
    if wanted in engines:
        torch.backends.quantized.engine = wanted
    elif "x86" in engines:
        torch.backends.quantized.engine = "x86"
    reduce_range = not _full_range_exact(torch.backends.quantized.engine)
    int8_linear = _int8_linear_class()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation notices (see the module docstring)
        for parent in list(model.modules()):
            for name, child in list(parent.named_children()):
                if type(child) is torch.nn.Linear:
                    setattr(parent, name, int8_linear(child, outlier_channels, reduce_range))
    return model.eval()


@functools.cache
def _full_range_exact(engine: str) -> bool:
    """Whether the int8 kernel multiplies 8-bit activations without saturating (x86 without AVX512-VNNI sums pairs
    of products in 16 bits, which overflow at full range: PyTorch's dynamic quantization always uses 7 bits)."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ones = torch.ones(8, 64)
        w = torch.quantize_per_channel(ones, torch.full((8,), 1 / 127, dtype=torch.double),
                                       torch.zeros(8, dtype=torch.long), 0, torch.qint8)  # fmt: skip
        y = torch.ops.quantized.linear_dynamic(ones, torch.ops.quantized.linear_prepack(w, None), False)
    return bool(torch.allclose(y, torch.full_like(y, 64.0), rtol=0.01))


@functools.cache
def _int8_linear_class():
    """The int8 ``Linear`` (built on first use, so that importing this module does not import torch)."""
    import torch

    class Int8Linear(torch.nn.Module):
        """A ``Linear`` with int8 weights and per-token int8 activations, outlier input channels in float32."""

        def __init__(self, linear, outlier_channels: int, reduce_range: bool) -> None:
            super().__init__()
            w = linear.weight.detach().float()
            self.out_features, self.in_features = w.shape
            self.k = max(0, min(int(outlier_channels), self.in_features))
            self.reduce_range = reduce_range
            scale = (w.abs().amax(1) / 127).clamp(min=1e-12).double()
            wq = torch.quantize_per_channel(w, scale, torch.zeros(len(scale), dtype=torch.long), 0, torch.qint8)
            self._packed = torch.ops.quantized.linear_prepack(wq, None)
            self.register_buffer("weight_t", w.t().contiguous() if self.k else None)  # rows: input channels
            self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float().clone())

        def extra_repr(self) -> str:
            return f"in_features={self.in_features}, out_features={self.out_features}, outlier_channels={self.k}"

        def forward(self, x):
            shape = x.shape
            x = x.detach().reshape(-1, self.in_features)  # int8 kernels have no gradient; out= needs no autograd
            out = x.new_empty(x.shape[0], self.out_features)
            if not x.shape[0]:
                return out.reshape(*shape[:-1], self.out_features)
            xn = x.abs()  # magnitudes, then (in place) the scaled int8 input
            idx = xn.amax(0).topk(self.k).indices if self.k else None
            if idx is not None:
                xn.index_fill_(1, idx, 0.0)
            s = xn.amax(1, keepdim=True).clamp_(min=1e-12)  # one scale per token: rows in [-1, 1]
            torch.div(x, s, out=xn)
            if idx is not None:  # outlier channels: a float32 product, written first (with the bias)
                xn.index_fill_(1, idx, 0.0)
                xo, wo = x.index_select(1, idx), self.weight_t.index_select(0, idx)
                torch.addmm(self.bias, xo, wo, out=out) if self.bias is not None else torch.mm(xo, wo, out=out)
            elif self.bias is not None:
                out.copy_(self.bias.expand_as(out))
            else:
                out.zero_()
            for i in range(0, x.shape[0], CHUNK_ROWS):  # row blocks: the int8 result stays in cache while rescaled
                y = torch.ops.quantized.linear_dynamic(xn[i : i + CHUNK_ROWS], self._packed, self.reduce_range)
                out[i : i + CHUNK_ROWS].addcmul_(y, s[i : i + CHUNK_ROWS])
            return out.reshape(*shape[:-1], self.out_features)

    return Int8Linear


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
