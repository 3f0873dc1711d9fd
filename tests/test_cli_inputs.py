"""`seal` on hostile inputs, as a separate process: /dev/zero, a FIFO with no writer and a 10 MB junk file each end
at once with one line and exit status 2, in bounded memory.

No timing asserts: the subprocess timeout is only a guard against a hang (the old loader read /dev/zero until memory
ran out, and blocked forever on a FIFO). Peak memory is the child's own maximum resident set, measured by a wrapper
process whose only child is the command.
"""

import json
import os
import signal
import subprocess
import sys

import pytest

HANG_GUARD_S = 300
MEMORY_LIMIT_MB = 1500  # importing pandas and torch costs a few hundred MB; reading /dev/zero passed 3 GiB in 3 s

_WRAPPER = """
import json, resource, subprocess, sys
run = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": run.returncode, "out": run.stdout, "err": run.stderr, "peak_mb": peak_kb / 1024}))
"""


def run_seal(*args: str, env_extra: dict | None = None) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env_extra or {})}
    cmd = [sys.executable, "-c", _WRAPPER, sys.executable, "-m", "seal_core", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)  # fmt: skip
    try:
        out, err = proc.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the wrapper and the hung command with it
        proc.communicate()
        pytest.fail(f"seal {' '.join(args)} still running after {HANG_GUARD_S} s")
    assert proc.returncode == 0, err
    return json.loads(out)


def assert_one_line_exit_2(result: dict, *expected: str) -> str:
    assert result["rc"] == 2, result
    lines = [line for line in result["err"].splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "Traceback" not in result["err"]
    assert lines[0].startswith("seal score: error: ")
    for part in expected:
        assert part in lines[0], lines[0]
    assert result["peak_mb"] < MEMORY_LIMIT_MB, result["peak_mb"]
    return lines[0]


def test_dev_zero_is_refused_at_once():
    assert_one_line_exit_2(run_seal("score", "/dev/zero"), "/dev/zero is a character device, not a regular file")


def test_a_fifo_with_no_writer_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pairs.jsonl"
    os.mkfifo(fifo)
    assert_one_line_exit_2(run_seal("score", str(fifo)), "is a FIFO (named pipe), not a regular file")


@pytest.fixture(scope="module")
def junk(tmp_path_factory):
    path = tmp_path_factory.mktemp("junk") / "junk.jsonl"
    rng = __import__("random").Random(0)
    with path.open("wb") as f:
        for _ in range(10):
            f.write(bytes(rng.getrandbits(8) for _ in range(1 << 20)))
    return path


def test_a_10_mb_junk_file_ends_in_one_line(junk):
    line = assert_one_line_exit_2(run_seal("score", str(junk)), "junk.jsonl line 1")
    assert len(line) < 400


def test_a_10_mb_junk_file_loaded_leniently_is_summarised(junk):
    line = assert_one_line_exit_2(run_seal("score", str(junk), "--lenient"), "every record of junk.jsonl was skipped")
    assert "not valid UTF-8: " in line and "the first: junk.jsonl line 1" in line  # counts, not 40,000 lines


def test_a_file_over_the_size_limit_is_refused_before_reading(junk):
    result = run_seal("score", str(junk), env_extra={"SEAL_MAX_INPUT_MB": "1"})
    assert_one_line_exit_2(result, "over the 1.0 MB input limit", "SEAL_MAX_INPUT_MB")
