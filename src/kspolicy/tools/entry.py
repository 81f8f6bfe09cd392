"""The `kspolicy` command's entry point: the command line, with Ctrl-C and a reader that
stops reading answered from the first instant.

Importing the engine takes a moment (~0.3 s), and a Ctrl-C during it used to end in a
Python traceback: this module imports nothing of the engine before its `try` (the
package's facade is imported lazily for the same reason, kspolicy/__init__.py).
`tools/cli.py` answers both once it runs; this answers them before it runs, and after
it returns, when the last of the output is flushed into a pipe whose reader has gone.
"""

from __future__ import annotations

import sys

INTERRUPTED = 130
"""The exit status after Ctrl-C: 128 + SIGINT, as a shell reports a process it killed."""


def main() -> None:
    """Run `kspolicy` with the process's arguments and exit with its status."""
    code: int | str | None = 0
    try:
        from .cli import main as run

        try:
            code = run()
        except SystemExit as done:  # argparse's --help, --version and usage errors
            code = done.code
        # Flushed here, inside the `try`: a pipe closed early fails now, and is answered
        # as the command line answers it, rather than at the interpreter's exit
        # ("Exception ignored ... BrokenPipeError", status 120).
        sys.stdout.flush()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code = INTERRUPTED
    except BrokenPipeError:
        from .output import cut_short

        code = cut_short(code if isinstance(code, int) else 0)
    sys.exit(code)


if __name__ == "__main__":
    main()
