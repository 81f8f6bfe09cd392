"""What is wrong with an open property file, as `kspolicy prove --property` says it.

A property file (`properties/*.toml` beside a policy's main file, prove/properties.py)
is read and its conditions checked by the very functions `prove` uses: `read_property`
for the file's shape (TOML, its keys, what each holds) and `with_conditions` for the
conditions, made definitions of a copy of the policy and checked as its own. So the
editor says what `prove` would, before it is run:

- a file that is not TOML, or whose keys or values `prove` refuses: `prove`'s message
  (it stops at the first such mistake, and so does this), at the place tomllib names,
  else on the line of the key the message names;
- a condition that does not parse or check: each error of the check, with its code and
  help, on the condition's text inside the TOML string (on its key's line when the
  string is written with escapes, whose text in the file is not the condition's);
- a `[change]` fact or an `[expect]` outcome `prove` refuses (it finds them only while
  proving, with z3, so they are looked up here in the checked policy, with `prove`'s
  messages: tests/test_lsp_properties.py keeps the two the same), at its key; and a
  group's member that is neither a list nor a code of the fact, at its name (an error,
  as `prove` refuses it: a misspelt list would make the group empty).

What is found and where it is placed is prove/problems.py's, shared with `prove`, so
the terminal and the editor say the same thing at the same place.

The conditions are checked only when the policy itself has no errors (they would be
reported in every condition; the policy's files show them). The checks run in the
server's mirror (project.py), so an unsaved buffer is checked as it stands; a check of
the conditions is kept while neither the policy nor the conditions change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..diagnostics import KspolicyError
from ..policy import Policy
from ..prove.problems import Found, Problem, first_line, names, placed, relative
from ..span import Source
from . import properties

__all__ = ["Checker", "Problem", "is_property_file"]


def is_property_file(path: Path, main: Path) -> bool:
    """Whether a file is one of the property files of the policy whose main file is `main`."""
    return (
        path.suffix == ".toml"
        and path.parent.name == properties.FOLDER
        and path.parent.parent == main.parent
    )


class Checker:
    """Checks a policy's property files; remembers the last check of each file's
    conditions (a keystroke in `[expect]` checks no condition again)."""

    def __init__(self, load: Callable[[Path], Policy]) -> None:
        self.load = load
        self._checked: dict[Path, tuple[str, tuple[str, ...], list[Found]]] = {}

    def check(
        self,
        source: Source,
        written: Path,
        main: Path,
        policy: str | None,
        loaded: Callable[[], Policy | None] = lambda: None,
    ) -> list[Problem]:
        """The problems of the property file `source`, whose text is written at `written`
        beside the policy `main` (the mirror's copies); `policy` names the policy's texts
        (None: the policy has errors, so its conditions are not checked), and `loaded`
        gives it loaded (for the names `[change]` and `[expect]` give)."""
        try:
            from ..prove import properties as proving
        except (KspolicyError, ImportError) as exc:  # the extra `prove` (z3) is missing
            return [Problem(first_line(source), f"{exc}; until then its file is not checked")]
        try:
            prop = proving.parse_property(source)
        except proving.PropertyFileError as exc:
            return list(exc.problems)
        texts = (*prop.given, *prop.given_b)
        if policy is None:
            return []
        checked = loaded()
        named = (
            names(source, prop.change, prop.expect, checked.checked) if checked is not None else []
        )
        if not texts:
            return named
        real = Path(source.name)
        known = self._checked.get(real)
        if known is not None and known[:2] == (policy, texts):
            found = known[2]
        else:
            found = self._conditions(main, list(texts), written)
            self._checked[real] = (policy, texts, found)
        return placed(source, prop.given, prop.given_b, found) + named

    def _conditions(self, main: Path, texts: list[str], written: Path) -> list[Found]:
        from ..prove import properties as proving

        try:
            proving.with_conditions(main, texts, self.load, written)
        except proving.ConditionsError as exc:
            return [relative(d, proving.PREFIX) for d in exc.errors]
        except OSError as exc:  # the copy could not be made: `prove` would fail so too
            return [Found(None, 0, 0, f"the conditions could not be checked: {exc}", None, None)]
        return []
