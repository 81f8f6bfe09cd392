"""`python -m kspolicy`: the `kspolicy` command, where its script is not on the PATH
(a virtual environment not activated, a system that hides scripts).

The same entry point as the console script (`tools/entry.py`), so the same exits for
Ctrl-C and a closed pipe. Under the `__main__` guard: worker processes (`--workers`)
import the main module again, and must not run the command a second time.
"""

from kspolicy.tools.entry import main

if __name__ == "__main__":
    main()
