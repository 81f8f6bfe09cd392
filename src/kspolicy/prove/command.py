"""`kspolicy prove`: the command's arguments and output (docs/analysis.md).

`prove OLD NEW` compares two versions; `prove POLICY --dead` lists what can never fire;
`prove POLICY --property FILE` proves or refutes a property. The arguments are declared
here without z3, so that the rest of the command line works without the extra; the
solver is loaded when the command runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w

from ..diagnostics import KspolicyError
from ..lang.loader import default_policy_path
from ..policy import Policy
from ..tools import output
from . import plain


def register(command: argparse.ArgumentParser) -> None:
    """The arguments of `kspolicy prove` (the command line adds the loading options)."""
    command.add_argument(
        "policies",
        type=Path,
        nargs="*",
        metavar="POLICY",
        help="OLD NEW to compare; one policy with --dead or --property (default: built-in)",
    )
    command.add_argument("--dead", action="store_true", help="what can never fire or be reached")
    command.add_argument(
        "--property", type=Path, metavar="FILE", help="prove or refute a property file"
    )
    command.add_argument("--format", choices=("text", "json"), default="text")
    command.add_argument(
        "--counterexamples",
        type=Path,
        metavar="DIR",
        help="write each counterexample as a case file (TOML) here",
    )
    command.add_argument(
        "-k",
        type=int,
        default=3,
        metavar="N",
        help="the bound: at most N elements in each list of records (default 3)",
    )


def run(args: argparse.Namespace, load: Callable[[Path], Policy], as_of: dt.date | None) -> int:
    """Run the command: exit 0 when everything asked was proved or answered, 1 when a
    property was refuted or an answer is unknown, 2 when the property file is refused."""
    if args.k < 0 or args.k > 8:
        raise KspolicyError(f"-k {args.k}: give a bound from 0 to 8 (3 is the default)")
    if args.counterexamples is not None:
        # Made before any proof, so that a folder that cannot be made is said at once.
        try:
            args.counterexamples.mkdir(exist_ok=True)
        except OSError as exc:
            raise output.cannot_write(args.counterexamples, exc) from None
    if args.dead or args.property is not None:
        if len(args.policies) > 1:
            raise KspolicyError("--dead and --property take one policy (or none: the built-in)")
        path = args.policies[0] if args.policies else default_policy_path()
        if args.property is not None:
            from . import problems, properties

            try:
                found = properties.prove_file(path, args.property, load, args.k, as_of)
            except properties.PropertyFileError as exc:
                # Refused, never proved: each mistake at its place, as `check` says them.
                sys.stderr.write(problems.render(exc.problems))
                return 2
            _write_cases(args.counterexamples, found.cases())
            _emit(args, found.to_dict(), properties.render(found))
            return 0 if found.proved else 1
        from . import dead

        report = dead.analyse(load(path), args.k, as_of)
        _emit(args, report.to_dict(), dead.render(report))
        return 0
    if len(args.policies) != 2:
        raise KspolicyError("give OLD and NEW to compare (or --dead, --property with one policy)")
    from . import compare

    old, new = (load(path) for path in args.policies)
    result = compare.compare(old, new, args.k, as_of)
    cases = {
        f"{name}-{x.direction}": (x.case, x.as_of, _header(name, x))
        for name, r in result.outcomes.items()
        for x in r.counterexamples
    }
    _write_cases(args.counterexamples, cases)
    _emit(args, result.to_dict(), _render(result))
    return 1 if any(r.verdict == "unknown" for r in result.outcomes.values()) else 0


def _header(name: str, example: Any) -> str:
    more = {"up": "more", "down": "less", "changed": "otherwise"}[example.direction]
    return (
        f"kspolicy prove: NEW gives {more} {name} than OLD on this case: "
        f"OLD {json.dumps(example.old)}, NEW {json.dumps(example.new)}"
    )


def _render(result: Any) -> str:
    lines = [f"Within the bound: {result.bound.describe()}."]
    for name, r in result.outcomes.items():
        line = f"  {name}: {r.verdict}"
        if r.reason:
            line += f" ({r.reason})"
        lines.append(line)
        for x in r.counterexamples:
            lines.append(
                f"    {x.direction}: OLD {json.dumps(x.old)}, NEW {json.dumps(x.new)} "
                f"on {x.as_of}: {json.dumps(plain(x.case), ensure_ascii=False)}"
            )
    if result.unsupported:
        lines.append("Not encoded (answers that depend on them are unknown):")
        lines += [f"  {rule}: {why}" for rule, why in sorted(result.unsupported.items())]
    return "\n".join(lines) + "\n"


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    if args.format == "json":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(text)


def case_toml(case: dict[str, Any], as_of: dt.date, header: str) -> str:
    """A counterexample as a case file `kspolicy eval` reads: its day as `as_of`."""
    body = tomli_w.dumps({"as_of": as_of, **case})
    return "".join(f"# {line}\n" for line in header.splitlines()) + body


def _write_cases(
    folder: Path | None, cases: dict[str, tuple[dict[str, Any], dt.date, str]]
) -> None:
    if folder is None or not cases:
        return
    for name, (case, day, header) in cases.items():
        output.write_bytes(folder / f"{name}.toml", case_toml(case, day, header).encode())
