"""A definition's syntax tree is parsed once per text and moto release, then read from the cache folder by the next
process; a damaged or foreign file there is parsed over, never trusted, and never runs code."""

import json
import pickle

import pytest
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

from napstack.emulator import moto_gaps

DEFINITION = json.dumps({
    "StartAt": "Add", "States": {
        "Add": {"Type": "Pass", "Parameters": {"Sum.$": "States.MathAdd($.a, 1)"}, "Next": "Big"},
        "Big": {"Type": "Choice", "Choices": [{"Variable": "$.Sum", "NumericGreaterThan": 2, "Next": "Done"}],
                "Default": "Done"},
        "Done": {"Type": "Succeed"},
    },
})


@pytest.fixture
def parse(tmp_path, monkeypatch):
    """moto's parse with napstack's patch, a cache folder of its own, and no tree kept in this process."""
    monkeypatch.setenv("NAPSTACK_CACHE", str(tmp_path))
    monkeypatch.setattr(moto_gaps, "_SYNTAX_TREES", {})
    patches = moto_gaps._Patches()
    moto_gaps.parse_each_definition_once(patches)
    yield AmazonStateLanguageParser.parse
    patches.undo()


def test_a_parsed_definition_is_kept_and_read_back_as_the_same_tree(parse):
    _, tree = parse(DEFINITION)
    kept = moto_gaps._kept_tree(DEFINITION)
    assert kept is not None and kept is not tree and kept.getText() == tree.getText()
    assert type(Preprocessor().visit(kept)) is type(Preprocessor().visit(tree))
    moto_gaps._SYNTAX_TREES.clear()  # as in the next process
    program, read = parse(DEFINITION)
    assert read is not tree and read.getText() == tree.getText() and program is not None


@pytest.mark.parametrize("damage", ["cut short", "not a pickle", "another definition's tree"])
def test_a_damaged_kept_tree_is_parsed_again_and_replaced(parse, damage):
    text = parse(DEFINITION)[1].getText()
    file = moto_gaps._tree_file(DEFINITION)
    if damage == "cut short":
        file.write_bytes(file.read_bytes()[:200])
    elif damage == "not a pickle":
        file.write_text("{}")
    else:  # a whole tree, but of another text (a file copied by hand)
        other = DEFINITION.replace('"Done"', '"Finished"')
        parse(other)
        file.write_bytes(moto_gaps._tree_file(other).read_bytes())
    moto_gaps._SYNTAX_TREES.clear()
    assert moto_gaps._kept_tree(DEFINITION) is None
    assert parse(DEFINITION)[1].getText() == text
    assert moto_gaps._kept_tree(DEFINITION).getText() == text


class _RunsCode:
    def __reduce__(self):
        import os

        return os.system, ("touch ran-code",)


def test_a_kept_file_that_would_run_code_is_refused(parse, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    file = moto_gaps._tree_file(DEFINITION)
    file.parent.mkdir(parents=True)
    file.write_bytes(pickle.dumps(_RunsCode()))
    assert moto_gaps._kept_tree(DEFINITION) is None and not (tmp_path / "ran-code").exists()
    _, tree = parse(DEFINITION)
    assert tree.getText() and not (tmp_path / "ran-code").exists()


def test_an_unwritable_cache_still_parses(parse, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("NAPSTACK_CACHE", str(tmp_path / "file"))
    program, tree = parse(DEFINITION)
    assert program is not None and moto_gaps._kept_tree(DEFINITION) is None
