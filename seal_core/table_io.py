"""Read Scores, Features and verdict tables (``.parquet``, ``.csv``, ``.tsv``) through :mod:`seal_core.safe_io`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from seal_core.errors import SealInputError
from seal_core.safe_io import _too_large, max_input_bytes, open_input, open_regular

__all__ = ["parquet_rows_bytes", "read_table"]


def parquet_rows_bytes(f: BinaryIO) -> int:
    """The uncompressed size of a Parquet file's data, from its footer (nothing else is read)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(f).metadata
    return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))


def read_table(path: str | os.PathLike, *, what: str = "table", limit: int | None = None, **csv_options):
    """Read a ``.parquet``, ``.csv`` or ``.tsv`` table (``.gz`` ok for CSV/TSV) safely: regular files only, within
    the size limit (for Parquet, the uncompressed size in its footer is checked before any data is read), and every
    reader failure turned into a :class:`SealInputError` that names the file and the kind of problem, never its
    content.

    Parameters
    ----------
    path : path
        The file.
    what : str
        What the table is, for messages ("scores file", "features file").
    limit : int, optional
        Size limit in bytes; default :func:`max_input_bytes`.
    **csv_options
        Passed to :func:`pandas.read_csv` (``dtype``, ``keep_default_na``).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("a,b\\n1,2\\n")
    >>> read_table(p).to_dict("records")
    [{'a': 1, 'b': 2}]
    """
    import pandas as pd

    name = os.fspath(path)
    short = Path(name).name
    limit = max_input_bytes() if limit is None else limit
    if not os.path.lexists(name):
        raise SealInputError(f"{what} not found: {name}")
    suffixes = [s.lower() for s in Path(name).suffixes if s.lower() != ".gz"]
    suffix = suffixes[-1] if suffixes else ""
    if suffix == ".parquet":
        with open_regular(name, limit=limit, seekable=True) as f:
            try:
                size = parquet_rows_bytes(f)
                if size > limit:
                    raise _too_large(short, size, limit, decompressed=True)
                f.seek(0)
                return pd.read_parquet(f)
            except SealInputError:
                raise
            except Exception as e:  # pyarrow raises several types for a bad file
                raise SealInputError(f"{short}: not a readable Parquet file ({type(e).__name__})") from None
    if suffix not in (".csv", ".tsv"):
        raise SealInputError(
            f"{short}: unsupported {what} type {suffix or 'with no suffix'!r}; expected .parquet or .csv"
        )
    with open_input(name, limit=limit) as f:
        try:
            return pd.read_csv(f, sep="\t" if suffix == ".tsv" else ",", **csv_options)
        except SealInputError:
            raise
        except pd.errors.EmptyDataError:
            raise SealInputError(f"{short}: the {what} is empty") from None
        except UnicodeDecodeError as e:
            raise SealInputError(
                f"{short}: bytes are not valid UTF-8 (byte offset {e.start}); is it a {what}? Re-save it as UTF-8"
            ) from None
        except (pd.errors.ParserError, ValueError) as e:
            kind = "rows have different numbers of fields" if isinstance(e, pd.errors.ParserError) else "bad value"
            raise SealInputError(
                f"{short}: could not parse as {suffix[1:].upper()} ({kind}); is it a {what}?"
            ) from None
