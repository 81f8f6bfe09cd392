"""`kspolicy screen review` adds an answer to the adjudications file and changes nothing
else in it: officers' comments, the order of tables and entries and their layout stay
byte for byte; the file is replaced whole or not at all (tools/screen_adjudications.py).

Issue 14's closing note: the file was rewritten from its data (tomli_w), without its
comments.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import tomllib
from pathlib import Path

import attrs
import pytest
import tomlkit

import kspolicy
from kspolicy.diagnostics import KspolicyError
from kspolicy.lang.lists import Adjudication
from kspolicy.tools import audit, screen_adjudications
from kspolicy.tools import screen as screen_tool

from .test_screen_language import decide, make_policy

ANSWER = Adjudication(
    list="LISTED",
    name="HIT",
    country="CN",
    entry="Harbin Institute of Technology",
    entry_sha256="ab" * 32,
    ruling="dismissed",
    by="j.doe",
    at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
    why="Hitachi Institute of Technology, checked on its website",
)

# As an officer keeps the file: a note at the top, a comment on each answer and on
# some lines, a blank line between answers, and another list after it.
HEAD = """\
# Adjudications of the screening desk. Ask M. Peeters before removing an answer.
# Answers are never edited: a later answer for the same name supersedes an earlier one.

[ANSWERS]   # the desk's answers
kind = "adjudications"
title = "Screening desk: answers to possible matches"
source = "screening desk"      # not a publisher: our own answers
retrieved = 2026-01-05         # the first answer; kept as we wrote it

# Case 2026-014: the partner's letterhead says Harbin.
[[ANSWERS.entries]]
list = "LISTED"
name = "Harbin Inst. of Tech."
country = "CN"
entry = "Harbin Institute of Technology"
entry_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
ruling = "confirmed"
by = "m.peeters"
at = 2026-01-05T10:00:00Z
why = "letterhead"    # scanned in the case file

# Case 2026-020
[[ANSWERS.entries]]
list = "LISTED"
name = "Acme Rocket"
entry = "Acme Rockets"
entry_sha256 = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
ruling = "dismissed"
by = "j.doe"
at = 2026-02-01T08:15:00Z
why = "a bakery in Ghent"
"""

TAIL = """
# Our own list, kept in the same file.
[LOCAL]
kind = "codes"
source = "desk"
retrieved = 2026-01-01
entries = ["X1", "X2"]  # two codes
"""


def _added(old: str, new: str, head: str) -> str:
    """What `new` has that `old` lacks, where `old` is `head` + the rest: the rest must
    follow the addition byte for byte."""
    rest = old[len(head) :]
    assert new.startswith(head), new
    assert new.endswith(rest), new
    return new[len(head) : len(new) - len(rest)]


def test_adding_an_answer_keeps_the_comments_and_other_entries_byte_identical(
    tmp_path: Path,
) -> None:
    path = tmp_path / "adjudications.toml"
    old = HEAD + TAIL
    path.write_text(old, encoding="utf-8")
    screen_adjudications.add_answer(path, ANSWER)
    new = path.read_text(encoding="utf-8")
    added = _added(old, new, HEAD)
    assert added.startswith("\n[[ANSWERS.entries]]\n")  # a blank line, as between the others
    assert added.endswith("\n") and "#" not in added
    entries = tomllib.loads(new)["ANSWERS"]["entries"]
    assert [e["name"] for e in entries] == ["Harbin Inst. of Tech.", "Acme Rocket", "HIT"]
    assert entries[-1] == {
        "list": "LISTED",
        "name": "HIT",
        "country": "CN",
        "entry": "Harbin Institute of Technology",
        "entry_sha256": "ab" * 32,
        "ruling": "dismissed",
        "by": "j.doe",
        "at": ANSWER.at,
        "why": "Hitachi Institute of Technology, checked on its website",
    }
    # A second answer (changing the first: the later one supersedes it) adds again.
    again = attrs.evolve(ANSWER, ruling="confirmed")
    screen_adjudications.add_answer(path, again)
    newer = path.read_text(encoding="utf-8")
    assert _added(new, newer, HEAD + added).count("[[ANSWERS.entries]]") == 1


def test_an_answer_added_to_inline_entries_follows_their_layout(tmp_path: Path) -> None:
    head = """\
[ANSWERS]
kind = "adjudications"  # ours
source = "desk"
retrieved = 2026-01-05
entries = [
  # the first answer
  { list = "LISTED", name = "Acme Rocket", entry = "Acme Rockets", entry_sha256 = "00", ruling = "dismissed", by = "a", at = 2026-01-05T10:00:00Z, why = "a bakery" },  # see case 20
"""
    old = head + "]\n# end of the answers\n"
    path = tmp_path / "answers.toml"
    path.write_text(old, encoding="utf-8")
    screen_adjudications.add_answer(path, ANSWER)
    added = _added(old, path.read_text(encoding="utf-8"), head)
    assert added.startswith('  { list = "LISTED", name = "HIT", country = "CN", ')
    assert added.endswith(" },\n")
    assert len(tomllib.loads(path.read_text(encoding="utf-8"))["ANSWERS"]["entries"]) == 2


def test_a_file_with_crlf_line_ends_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "answers.toml"
    old = HEAD.replace("\n", "\r\n")
    path.write_bytes(old.encode("utf-8"))
    screen_adjudications.add_answer(path, ANSWER)
    new = path.read_bytes().decode("utf-8")
    assert new.startswith(old)
    assert "\n" not in new.replace("\r\n", "")


def test_a_file_without_an_adjudications_list_gets_one_after_what_it_has(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lists.toml"
    old = TAIL.lstrip("\n")
    path.write_text(old, encoding="utf-8")
    screen_adjudications.add_answer(path, ANSWER)
    new = path.read_text(encoding="utf-8")
    assert new.startswith(old + "\n[ADJUDICATIONS]\n")
    data = tomllib.loads(new)
    assert data["ADJUDICATIONS"]["kind"] == "adjudications"
    assert data["ADJUDICATIONS"]["entries"][0]["name"] == "HIT"


def test_a_new_file_names_its_writer_and_reads_as_a_list(tmp_path: Path) -> None:
    path = tmp_path / "new.toml"
    screen_adjudications.add_answer(path, ANSWER)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(screen_adjudications.HEADER + "\n[ADJUDICATIONS]\n")
    table = tomllib.loads(text)["ADJUDICATIONS"]
    assert table["retrieved"] == dt.date(2026, 3, 2)
    assert [e["why"] for e in table["entries"]] == [ANSWER.why]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[ANSWERS]\nkind = "adjudications"\nentries = [\n', "it is not TOML"),
        ('[ADJUDICATIONS]\nkind = "codes"\n', "not an adjudications list"),
        ('[A]\nkind = "adjudications"\nentries = "none yet"\n', "must be a list of answers"),
        ("# \udcff\n", "is not UTF-8"),
    ],
)
def test_a_file_that_cannot_take_the_answer_is_left_as_it_was(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "answers.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    before = path.read_bytes()
    with pytest.raises(KspolicyError, match=says):
        screen_adjudications.add_answer(path, ANSWER)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["answers.toml"]  # no temporary left


def test_a_failed_check_of_the_new_text_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "answers.toml"
    path.write_text(HEAD, encoding="utf-8")
    real = tomlkit.dumps
    # A planted fault: the text tomlkit gives back loses an entry.
    monkeypatch.setattr(
        tomlkit,
        "dumps",
        lambda doc: real(doc).replace('name = "Acme Rocket"', 'name = "Acme"'),
    )
    with pytest.raises(KspolicyError, match="without changing the rest of it"):
        screen_adjudications.add_answer(path, ANSWER)
    assert path.read_text(encoding="utf-8") == HEAD


def test_an_answer_the_audit_log_refuses_is_taken_out_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = make_policy(tmp_path)
    answers = tmp_path / "lists" / "answers.toml"
    answers.write_text(HEAD, encoding="utf-8")

    def refuse(path: Path, record: object) -> object:
        raise KspolicyError(f"could not write the audit record to {path}: the disk is full")

    monkeypatch.setattr(audit, "append", refuse)
    with pytest.raises(KspolicyError, match="the disk is full"):
        screen_tool.review(
            policy,
            list_name="LISTED",
            name="HIT",
            ruling="dismissed",
            by="j.doe",
            why="Hitachi",
            file=answers,
            audit_log=tmp_path / "audit.jsonl",
        )
    assert answers.read_text(encoding="utf-8") == HEAD
    # With no file before, none is left.
    fresh = tmp_path / "lists" / "fresh.toml"
    with pytest.raises(KspolicyError, match="the disk is full"):
        screen_tool.review(
            policy,
            list_name="LISTED",
            name="HIT",
            ruling="dismissed",
            by="j.doe",
            why="Hitachi",
            file=fresh,
            audit_log=tmp_path / "audit.jsonl",
        )
    assert not fresh.exists()


def test_an_unwritable_audit_log_is_refused_before_the_answer_is_written(
    tmp_path: Path,
) -> None:
    policy = make_policy(tmp_path)
    answers = tmp_path / "lists" / "answers.toml"
    with pytest.raises(KspolicyError, match="no folder"):
        screen_tool.review(
            policy,
            list_name="LISTED",
            name="HIT",
            ruling="dismissed",
            by="j.doe",
            why="Hitachi",
            file=answers,
            audit_log=tmp_path / "missing" / "audit.jsonl",
        )
    assert not answers.exists()


def test_review_keeps_the_policys_own_adjudications_file_and_decisions_use_it(
    tmp_path: Path,
) -> None:
    policy = make_policy(tmp_path)
    answers = tmp_path / "lists" / "answers.toml"
    old = HEAD + TAIL
    answers.write_text(old, encoding="utf-8")
    policy = kspolicy.load(tmp_path / "policy.pol")
    assert screen_tool.adjudications_file(policy) == answers
    assert [r.rule for r in decide(policy, "HIT").pending] == ["listed_partner"]
    screen_tool.review(
        policy, list_name="LISTED", name="HIT", ruling="dismissed", by="j.doe", why="Hitachi"
    )
    _added(old, answers.read_text(encoding="utf-8"), HEAD)
    assert decide(kspolicy.load(tmp_path / "policy.pol"), "HIT").pending == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="flock is POSIX")
def test_two_reviewers_answering_at_once_lose_no_answer(tmp_path: Path) -> None:
    # Noticed in session 6: read, add, write with no lock let two reviewers at once each
    # write the file without the other's answer. Twelve reviewers, four answers each.
    path = tmp_path / "answers.toml"
    screen_adjudications.add_answer(path, ANSWER)
    start = threading.Barrier(12)

    def reviewer(number: int) -> None:
        start.wait()
        for turn in range(4):
            name = f"Reviewer {number} name {turn}"
            screen_adjudications.add_answer(path, attrs.evolve(ANSWER, name=name))

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = tomllib.loads(path.read_text(encoding="utf-8"))["ADJUDICATIONS"]["entries"]
    assert len(entries) == 1 + 12 * 4
