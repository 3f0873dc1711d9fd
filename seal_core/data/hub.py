"""The Hugging Face Hub: is it reachable, and the records of a hub dataset (``datasets`` is imported only here)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

from seal_core.errors import OfflineError, SealInputError

__all__ = ["hub_offline_reason", "iter_hub"]


def _hub_reachable(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def hub_offline_reason() -> str | None:
    """Why the Hugging Face Hub cannot be used right now, or None when it looks reachable.

    Examples
    --------
    >>> hub_offline_reason()  # the doctests run with HF_HUB_OFFLINE=1
    'HF_HUB_OFFLINE is set'
    """
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}:
            return f"{var} is set"
    if not _hub_reachable():
        return "huggingface.co cannot be reached (no network)"
    return None


def iter_hub(dataset_id: str, config: str | None, split: str) -> Iterator[tuple[str, dict]]:
    """Yield ``(where, record)`` for each record of a hub dataset split (needs the network).

    Raises
    ------
    OfflineError
        The hub cannot be reached; the message says how to load a local file instead.

    Examples
    --------
    >>> next(iter_hub("Anthropic/hh-rlhf", None, "test"))
    Traceback (most recent call last):
    ...
    seal_core.errors.OfflineError: 'Anthropic/hh-rlhf' is not a local file, and loading it from the Hugging Face Hub needs the network: HF_HUB_OFFLINE is set. Download it where you have network, or load a local file instead (JSONL/JSON/CSV/Parquet, gzip ok); with no source the bundled hh-rlhf sample is used.
    """
    reason = hub_offline_reason()
    if reason:
        raise OfflineError(
            f"'{dataset_id}' is not a local file, and loading it from the Hugging Face Hub needs the network: {reason}. "
            "Download it where you have network, or load a local file instead (JSONL/JSON/CSV/Parquet, gzip ok); "
            "with no source the bundled hh-rlhf sample is used.",
            option="source",
        )
    import datasets  # deferred: heavy, and only needed for hub data

    try:
        ds = datasets.load_dataset(dataset_id, config, split=split)
    except Exception as e:  # datasets raises many types (FileNotFoundError, ValueError, ConnectionError ...)
        raise SealInputError(f"could not load hub dataset '{dataset_id}' (config={config}, split={split}): {e}") from e
    for i, rec in enumerate(ds):
        yield f"{dataset_id}:{split} row {i + 1}", rec
