"""The one option lookup, and the command line's hints for library errors."""

import pytest

from seal_core.cli import main
from seal_core.data import SliceSpec, load_pairs, slice_pairs
from seal_core.errors import SealInputError
from seal_core.options import choose


def test_choose_returns_the_entry_or_names_every_valid_value():
    assert choose("colour", "red", {"red": 1, "blue": 2}) == 1
    with pytest.raises(SealInputError, match=r"unknown colour 'green'; expected one of \['red', 'blue'\]") as e:
        choose("colour", "green", {"red": 1, "blue": 2})
    assert e.value.option == "colour"
    with pytest.raises(SealInputError, match="unknown colour"):
        choose("colour", ["red"], {"red": 1})  # unhashable values are refused the same way


def test_library_options_go_through_the_lookup():
    pairs = load_pairs().pairs.head(40)
    with pytest.raises(SealInputError, match="unknown search field 'title'; expected one of") as e:
        slice_pairs(pairs, SliceSpec(search="x", search_in=("title",)))
    assert e.value.option == "search_in"


def test_library_errors_name_parameters_and_the_cli_adds_its_flag(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"chosen": "x"\n')
    with pytest.raises(SealInputError) as e:
        load_pairs(bad)
    assert "--" not in str(e.value) and "strict=False" in str(e.value) and e.value.option == "strict"
    assert main(["score", str(bad), "--rm", "x"]) == 2
    assert "(pass --lenient to skip bad records and list them)" in capsys.readouterr().err
