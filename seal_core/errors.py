"""Exceptions raised at seal_core's public boundary."""

from __future__ import annotations


class SealInputError(ValueError):
    """Bad input from the user: a file, a column, an option or a model that cannot be used.

    The message always says what was received, what was expected and how to fix it.
    """


class OfflineError(SealInputError):
    """Something needs the network (a hub model or dataset) and the network is not there."""
