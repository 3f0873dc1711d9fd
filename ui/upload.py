"""File upload beside the path box: the uploaded bytes go through the same loaders as a local path.

The upload is written once, content-addressed, under the temporary folder (``seal-explorer-uploads/<hash>/<name>``)
and read from there by :func:`seal_core.data.load_pairs`, so strict and lenient loading, the line-numbered messages
and the dataset cache behave exactly as for a typed path. It lives as long as the browser session keeps the file in
the uploader.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import streamlit as st

from seal_core.errors import SealInputError

UPLOAD_DIR = Path(tempfile.gettempdir()) / "seal-explorer-uploads"
TYPES = ["jsonl", "json", "csv", "tsv", "parquet", "gz"]


def limit_mb() -> int:
    """The upload size limit in MB (Streamlit's ``server.maxUploadSize``)."""
    return int(st.get_option("server.maxUploadSize"))


def safe_name(name: str) -> str:
    """A file name for the stored upload: the base name with anything but letters, digits, ``._-`` replaced.

    Examples
    --------
    >>> safe_name("../../etc/my data (1).jsonl.gz")
    'my_data__1_.jsonl.gz'
    >>> safe_name("")
    'upload'
    """
    base = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name).lstrip(".")
    return base or "upload"


def store_upload(name: str, data: bytes) -> Path:
    """Write the uploaded bytes once (content-addressed) and return their path."""
    folder = UPLOAD_DIR / hashlib.sha256(data).hexdigest()[:20]
    path = folder / safe_name(name)
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def upload_control() -> Path | None:
    """Draw the uploader in the sidebar; the stored file's path when a file is uploaded, else None."""
    up = st.sidebar.file_uploader(
        f"…or upload a file (up to {limit_mb()} MB)",
        type=TYPES,
        key="data_upload",
        help="Same formats and checks as a path. The file is kept for this browser session only.",
    )
    if up is None:
        return None
    return store_upload(up.name, up.getvalue())


def friendly(message: str, path: Path | None) -> str:
    """An error message about an uploaded file, naming the file as the user called it (not the server path)."""
    if path is None:
        return message
    return message.replace(str(path), path.name).replace(str(path.parent) + "/", "")


def checked_path(text: str) -> str:
    """A typed path or ``?data=`` value, checked against the data roots when the server must restrict paths
    (listening beyond localhost, or ``SEAL_RESTRICT_DATA=1``); refused with one message that does not say whether
    the path exists."""
    from seal_core.safe_io import resolve_data_path, restriction_required

    restrict = restriction_required(st.get_option("server.address") or "")
    path = resolve_data_path(text, restrict=restrict)
    if path is None:
        if restrict:  # a hub-style name that is no file in a data folder: never read it relative to the server
            raise SealInputError(
                f"{text!r} cannot be opened: on this server, data files must lie in the data folders it was given "
                "(SEAL_DATA_DIRS). Upload the file instead, or ask whoever runs the server to add its folder."
            )
        return text
    return str(path)
