"""One lookup for every string option of the library: a typed table in, the chosen entry out, or a clear error.

Each option is a ``dict`` keyed by the values its ``Literal`` type allows, so the type, the valid values and the
error message come from one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from seal_core.errors import SealInputError

__all__ = ["choose"]

T = TypeVar("T")


def choose(what: str, value: object, table: Mapping[str, T], *, option: str | None = None) -> T:
    """The entry of ``table`` for ``value``; a :class:`SealInputError` naming the valid values otherwise.

    Parameters
    ----------
    what : str
        What the option is, in words (``"input format"``), for the message.
    value : object
        The value given.
    table : mapping of str to anything
        The valid values and what each one selects.
    option : str, optional
        The parameter's name (default: ``what`` with underscores), carried on the error for front ends.

    Examples
    --------
    >>> choose("dtype", "float16", {"float32": 4, "float16": 2})
    2
    >>> choose("dtype", "fp16", {"float32": 4, "float16": 2})
    Traceback (most recent call last):
    ...
    seal_core.errors.SealInputError: unknown dtype 'fp16'; expected one of ['float32', 'float16']
    """
    try:
        return table[value]  # type: ignore[index]
    except (KeyError, TypeError):
        raise SealInputError(
            f"unknown {what} {value!r}; expected one of {list(table)}", option=option or what.replace(" ", "_")
        ) from None
