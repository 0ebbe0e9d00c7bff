"""One step of a benchmark in a fresh Python process, so its imports, peak RSS and Prefect server are
its own. A step is Python code run with `python -c`: SETUP (below) first, then the step's own lines;
its last line of output is a JSON object."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# argv: mode, replay port, data home, then the step's own arguments
SETUP = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
mode, port, home = sys.argv[1], int(sys.argv[2]), sys.argv[3]
from dataclasses import asdict
from flows.settings import apply_prefect_defaults
from core.datahome import DataHome
from scrapers.fetch import CrawlSettings
data_home = DataHome.resolve(home).ensure()
apply_prefect_defaults(data_home.root)
"""


def run_step(code: str, mode: str, port: int, home: Path, *args: str) -> tuple[dict, str]:
    """Run SETUP + `code` as `mode`; returns (its JSON result, its stderr). A failed step ends the
    benchmark with the step's last lines of error."""
    out = subprocess.run([sys.executable, "-c", SETUP + code, mode, str(port), str(home), *args],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"error: the {mode} run failed:\n" + "\n".join(out.stderr.strip().splitlines()[-15:]))
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr
