"""Batches for scoring: by a fixed count, or bucketed by a token budget.

A padded batch costs ``len(batch) × its longest text`` token slots. With a fixed count, a batch of long texts can run
out of GPU memory while a batch of short ones leaves the GPU idle; a token budget caps the padded size instead, so
short texts go in large batches and long texts in small ones. Texts are sorted longest first, so each batch holds
texts of similar length (little padding) and a budget too large for the device fails on the first batch, not the
last.
"""

from __future__ import annotations

from collections.abc import Sequence

from seal_core.errors import SealInputError


def count_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices of ``lengths`` sorted longest first (stable), cut into batches of ``batch_size``.

    Examples
    --------
    >>> count_batches([3, 9, 5, 1, 7], 2)
    [[1, 4], [2, 0], [3]]
    """
    if batch_size < 1:
        raise SealInputError(f"batch_size must be at least 1, got {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def token_budget_batches(
    lengths: Sequence[int], max_tokens: int, *, max_batch_size: int | None = None
) -> list[list[int]]:
    """Indices of ``lengths`` (tokens per text) in batches whose padded size stays within ``max_tokens``.

    Texts are taken longest first (stable for equal lengths). A batch grows while ``(n + 1) × its longest text`` fits
    the budget (and ``n < max_batch_size``, when given). A text longer than the whole budget is a batch of its own,
    so every text is scored exactly once.

    Parameters
    ----------
    lengths : sequence of int
        Tokens each text will have after truncation (the model's input length).
    max_tokens : int
        Budget of padded token slots per batch (batch size × longest text).
    max_batch_size : int, optional
        Upper bound on texts per batch, whatever the budget.

    Returns
    -------
    list of lists of int
        Every index exactly once; batches in the order to score them.

    Examples
    --------
    >>> token_budget_batches([100, 10, 400, 12, 11, 90], max_tokens=300)  # 400 > budget: a batch of its own
    [[2], [0, 5, 3], [4, 1]]
    >>> token_budget_batches([10] * 5, max_tokens=1000, max_batch_size=2)
    [[0, 1], [2, 3], [4]]
    """
    if max_tokens < 1:
        raise SealInputError(f"the token budget must be at least 1 token, got {max_tokens}")
    if max_batch_size is not None and max_batch_size < 1:
        raise SealInputError(f"max_batch_size must be at least 1, got {max_batch_size}")
    if any(n < 0 for n in lengths):
        raise SealInputError("token lengths cannot be negative")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        n = max(1, lengths[i])
        if current:
            fits = (len(current) + 1) * max(longest, n) <= max_tokens
            room = max_batch_size is None or len(current) < max_batch_size
            if fits and room:
                current.append(i)
                longest = max(longest, n)
                continue
            batches.append(current)
        current, longest = [i], n
    if current:
        batches.append(current)
    return batches


MAX_BUDGET_BATCH = 1024  # texts per batch under a token budget, however short they are


def plan_batches(model, texts: Sequence[tuple[str, str]], batch_size: int) -> list[list[int]]:
    """Batches (indices into ``texts``, (prompt, response) pairs) for ``model``: by its ``token_budget`` when set,
    using its exact input lengths, else ``batch_size`` texts sorted by its cheap length hint."""
    budget = getattr(model, "token_budget", None)
    if budget:
        lengths: list[int] = []
        for i in range(0, len(texts), 4096):  # tokenize in slices: bounded memory on large runs
            part = texts[i : i + 4096]
            lengths += model.token_lengths([p for p, _ in part], [r for _, r in part])
        return token_budget_batches(lengths, budget, max_batch_size=MAX_BUDGET_BATCH)
    return count_batches([model.length_hint(p, r) for p, r in texts], batch_size)
