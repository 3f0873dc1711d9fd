"""Doctests run offline, with a throwaway score cache."""

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("SEAL_CACHE_DIR", tempfile.mkdtemp(prefix="seal-doctest-"))
