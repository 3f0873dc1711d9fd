"""Exceptions raised at seal_core's public boundary."""

from __future__ import annotations


class SealInputError(ValueError):
    """Bad input from the user: a file, a column, an option or a model that cannot be used.

    The message always says what was received, what was expected and how to fix it, in the library's own terms
    (parameter names, never command-line flags). ``option`` names the parameter at fault, when there is one, so a
    front end can add its own hint (the ``seal`` command names its flag).

    Examples
    --------
    >>> e = SealInputError("strict loading stopped at line 3", option="strict")
    >>> str(e), e.option
    ('strict loading stopped at line 3', 'strict')
    """

    def __init__(self, message: str, *, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class OfflineError(SealInputError):
    """Something needs the network (a hub model or dataset) and the network is not there."""
