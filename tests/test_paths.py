"""Fact paths: one syntax shown everywhere (`partners[1].country`), the older dotted
index still read, and every path that is not one refused in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kspolicy
from kspolicy.paths import Part, PathError, child, element, format_path, parse_path

PACKAGE = Path(kspolicy.__file__).parent

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
paths = st.tuples(names, st.lists(st.one_of(names, st.integers(0, 10_000)), max_size=6)).map(
    lambda first_rest: (first_rest[0], *first_rest[1])
)


@given(paths)
def test_a_path_reads_back_as_it_was_written(parts: tuple[Part, ...]) -> None:
    assert parse_path(format_path(parts)) == parts


@given(paths)
def test_the_dotted_index_form_reads_as_the_bracketed_one(parts: tuple[Part, ...]) -> None:
    dotted = ".".join(map(str, parts))
    assert parse_path(dotted) == parts


@pytest.mark.parametrize(
    ("text", "parts", "shown"),
    [
        ("partners[1].country", ("partners", 1, "country"), "partners[1].country"),
        ("partners.1.country", ("partners", 1, "country"), "partners[1].country"),
        ("project.topics.01", ("project", "topics", 1), "project.topics[1]"),
        ("institution", ("institution",), "institution"),
    ],
)
def test_fact_paths_in_either_form_are_shown_in_one(
    text: str, parts: tuple[Part, ...], shown: str
) -> None:
    assert parse_path(text) == parts
    assert format_path(parse_path(text)) == shown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the path is empty"),
        ("project..trl", "the path has an empty part between dots"),
        ("project.", "the path has an empty part between dots"),
        ("0.name", "a path starts with a field name, such as `partners[0].country`"),
        ("[0].name", "`[0]` has no field name before its `[`"),
        ("partners[0", "`partners[0` has a `[` that is not closed"),
        ("partners[x]", "`[x]` is not an index: an index is a whole number from 0"),
        ("partners[-1]", "`[-1]` is not an index: an index is a whole number from 0"),
        ("partners]", "`partners]` has a `]` without a `[` before it"),
        ("partners[0]name", "`partners[0]name` goes on after its `]`: put a dot before a field"),
        ("partners[" + "9" * 5000 + "]", "is too large"),
    ],
)
def test_texts_that_are_no_fact_path_are_refused_in_words(text: str, message: str) -> None:
    with pytest.raises(PathError) as caught:
        parse_path(text)
    assert message in str(caught.value)


def test_paths_are_built_one_step_at_a_time() -> None:
    assert child("", "partners") == "partners"
    assert element(child("", "partners"), 2) == "partners[2]"
    assert child(element("partners", 2), "country") == "partners[2].country"


def test_no_module_formats_or_splits_a_fact_path_by_hand() -> None:
    """The modules that read paths people write, or show paths, go through
    `kspolicy.paths`: a dotted split or an index put in brackets by hand is a second
    syntax waiting to happen."""
    owners = ["eval/cases.py", "tools/batch.py", "tools/testing.py"]
    for owner in owners:
        text = (PACKAGE / owner).read_text(encoding="utf-8")
        assert 'split(".")' not in text and "}[{" not in text, owner
