"""Shared fixtures. No network, ever: the hub is switched off and models are built locally from configs."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

from seal_core.data import load_pairs  # noqa: E402
from seal_core.testing import build_tiny_chat_rm, build_tiny_pair_rm  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SEAL_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def sample():
    return load_pairs()


@pytest.fixture(scope="session")
def pair_rm_path(tmp_path_factory):
    return build_tiny_pair_rm(tmp_path_factory.mktemp("pair_rm"))


@pytest.fixture(scope="session")
def chat_rm_path(tmp_path_factory):
    return build_tiny_chat_rm(tmp_path_factory.mktemp("chat_rm"))


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden/expected/ from the current CLI outputs"
    )
