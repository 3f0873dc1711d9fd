"""Safe reading of local inputs: regular files only, size and decompression limits, data roots."""

import gzip
import os
import socket

import pytest

from seal_core.errors import SealInputError
from seal_core.safe_io import (
    check_regular_file,
    data_roots,
    open_input,
    read_input,
    resolve_data_path,
    restriction_required,
)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused_before_any_read(device):
    with pytest.raises(SealInputError, match=rf"^{device} is a character device, not a regular file"):
        read_input(device)


def test_a_fifo_with_no_writer_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pairs.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(SealInputError, match="is a FIFO"):
        open_input(fifo)


def test_a_socket_and_a_directory_are_refused(tmp_path):
    path = tmp_path / "s.jsonl"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        with pytest.raises(SealInputError, match="is a socket, not a regular file"):
            read_input(path)
    with pytest.raises(SealInputError, match="is a directory"):
        read_input(tmp_path)
    with pytest.raises(SealInputError, match="file not found"):
        read_input(tmp_path / "missing.jsonl")


def test_a_symlink_to_a_device_is_refused(tmp_path):
    link = tmp_path / "zero.jsonl"
    link.symlink_to("/dev/zero")
    with pytest.raises(SealInputError, match="character device"):
        read_input(link)


def test_the_size_limit_is_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"x" * 3000)
    with pytest.raises(SealInputError, match=r"is 0\.0 MB, over the 0\.0 MB input limit.*SEAL_MAX_INPUT_MB"):
        read_input(path, limit=2000)
    assert read_input(path, limit=3000) == b"x" * 3000
    monkeypatch.setenv("SEAL_MAX_INPUT_MB", "0.002")
    with pytest.raises(SealInputError, match="over the"):
        read_input(path)
    monkeypatch.setenv("SEAL_MAX_INPUT_MB", "lots")
    with pytest.raises(SealInputError, match="SEAL_MAX_INPUT_MB='lots' is not a number"):
        read_input(path)


def test_a_gzip_bomb_stops_at_the_limit(tmp_path):
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        for _ in range(64):
            f.write(b"\0" * (1 << 20))  # 64 MiB of zeros in a ~64 KB file
    assert path.stat().st_size < 200_000
    stream = open_input(path, limit=5_000_000)
    with pytest.raises(SealInputError, match="decompresses to more than the 5.0 MB input limit"):
        while stream.read(1 << 16):
            pass
    # the stream never handed out more than the limit (plus the one byte that showed the overrun)
    assert stream.raw.read_so_far <= 5_000_001


def test_gzip_by_magic_bytes_and_a_broken_gzip(tmp_path):
    path = tmp_path / "pairs.jsonl"  # no .gz suffix, gzip content
    path.write_bytes(gzip.compress(b'{"a": 1}\n'))
    assert read_input(path) == b'{"a": 1}\n'
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(os.urandom(5000))[:2000])  # cut short
    with pytest.raises(SealInputError, match="not a valid gzip file"):
        read_input(broken)


def test_check_regular_file_returns_the_stat(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("a,b\n")
    assert check_regular_file(path).st_size == 4


# --------------------------------------------------------------------------------------------- data roots


@pytest.fixture
def roots(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "pairs.jsonl").write_text("{}\n")
    (data / "sub" / "more.csv").write_text("a\n")
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.jsonl").write_text("{}\n")
    (data / "escape.jsonl").symlink_to(outside / "secret.jsonl")
    return data, outside


def test_paths_inside_the_roots_resolve(roots):
    data, _ = roots
    assert resolve_data_path("pairs.jsonl", restrict=True, roots=[data]) == (data / "pairs.jsonl").resolve()
    assert resolve_data_path("sub/more.csv", restrict=True, roots=[data]) == (data / "sub/more.csv").resolve()
    assert resolve_data_path(str(data / "pairs.jsonl"), restrict=True, roots=[data]) == (data / "pairs.jsonl")
    missing = resolve_data_path("nothing-here.jsonl", restrict=True, roots=[data])
    assert missing == data.resolve() / "nothing-here.jsonl"  # inside a root: the reader says "file not found"


def test_everything_outside_the_roots_gets_one_message_that_does_not_say_whether_it_exists(roots):
    data, outside = roots
    attempts = [
        str(outside / "secret.jsonl"),  # exists
        str(outside / "nope.jsonl"),  # does not exist
        str(outside),  # a directory
        "/dev/zero",  # a device
        "../private/secret.jsonl",  # relative escape
        "escape.jsonl",  # a symlink inside the root pointing outside
        "~/anything.jsonl",
    ]
    messages = set()
    for text in attempts:
        with pytest.raises(SealInputError) as err:
            resolve_data_path(text, restrict=True, roots=[data])
        messages.add(str(err.value).replace(repr(text), "<path>"))
    assert len(messages) == 1, messages
    (message,) = messages
    assert "SEAL_DATA_DIRS" in message and "exist" not in message and "not found" not in message


def test_with_no_roots_every_local_path_is_refused_but_hub_ids_pass(roots, monkeypatch):
    data, _ = roots
    monkeypatch.delenv("SEAL_DATA_DIRS", raising=False)
    with pytest.raises(SealInputError, match="SEAL_DATA_DIRS"):
        resolve_data_path(str(data / "pairs.jsonl"), restrict=True)
    assert resolve_data_path("Anthropic/hh-rlhf", restrict=True) is None
    monkeypatch.setenv("SEAL_DATA_DIRS", os.pathsep.join([str(data), "/nonexistent"]))
    assert data_roots()[0] == data.resolve()
    assert resolve_data_path("pairs.jsonl", restrict=True) == (data / "pairs.jsonl").resolve()


def test_unrestricted_paths_are_taken_as_given(roots):
    data, outside = roots
    assert resolve_data_path(str(outside / "secret.jsonl"), restrict=False) == outside / "secret.jsonl"
    assert resolve_data_path("Anthropic/hh-rlhf", restrict=False) is None


def test_when_the_restriction_applies(monkeypatch):
    monkeypatch.delenv("SEAL_RESTRICT_DATA", raising=False)
    assert not restriction_required(None)
    assert not restriction_required("127.0.0.1") and not restriction_required("::1")
    assert restriction_required("") and restriction_required("0.0.0.0") and restriction_required("10.1.2.3")
    assert restriction_required("myhost.example.com")
    monkeypatch.setenv("SEAL_RESTRICT_DATA", "1")
    assert restriction_required("127.0.0.1") and restriction_required(None)
