"""Golden CLI outputs: each ``seal`` command prints and writes exactly what it did when the goldens were recorded.

Regenerate after an intended change: ``.venv/bin/pytest tests/test_golden.py --update-golden`` (see
``tests/golden/harness.py``), and say so in the commit message.
"""

import difflib
import math
import re

import pytest
from golden.harness import CASES, EXPECTED, run_all


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    work = tmp_path_factory.mktemp("golden")
    mp.setenv("SEAL_CACHE_DIR", str(work / "cache"))
    try:
        yield run_all(work)
    finally:
        mp.undo()


@pytest.mark.parametrize("name", ["parser", *(c.name for c in CASES)])
def test_cli_output_matches_golden(results, name, request):
    got = results[name]
    path = EXPECTED / f"{name}.txt"
    if request.config.getoption("--update-golden"):
        path.write_text(got)
        return
    assert path.exists(), f"no golden file {path.name}; record it with: pytest tests/test_golden.py --update-golden"
    want = path.read_text()
    if not _same(got, want):
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "golden", "now", n=2))
        pytest.fail(f"`seal {name}` output changed:\n{diff[:6000]}")


def test_every_golden_file_has_a_case():
    names = {"parser", *(c.name for c in CASES)}
    assert {p.stem for p in EXPECTED.glob("*.txt")} <= names


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _same(got: str, want: str) -> bool:
    """Standard output and messages byte for byte; in written tables, numbers within 1e-4 relative.

    Scores computed in batches of another size differ in the last float32 bits, so tables are compared with a
    tolerance while everything printed must be identical.
    """
    if got == want:
        return True
    head_g, _, files_g = got.partition("--- file ")
    head_w, _, files_w = want.partition("--- file ")
    if head_g != head_w or _NUMBER.sub("#", files_g) != _NUMBER.sub("#", files_w):
        return False
    pairs = zip(_NUMBER.findall(files_g), _NUMBER.findall(files_w))
    return all(math.isclose(float(a), float(b), rel_tol=1e-4, abs_tol=1e-6) for a, b in pairs)
