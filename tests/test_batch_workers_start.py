"""What a batch's worker processes pay to start: not the audit log's module, unless
records are written."""

from __future__ import annotations

import subprocess
import sys


def test_a_worker_deciding_a_batch_imports_no_audit_log_module() -> None:
    # A worker imports tools.batch for its task (`_written`); --record imports the rest.
    code = "import sys, kspolicy.tools.batch; print('kspolicy.tools.audit' in sys.modules)"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "False"
