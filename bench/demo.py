"""The demo's wall time, CPU time and peak memory: `kcorpus demo` on a fresh data home, in a fresh process.

    .venv/bin/python bench/demo.py [--runs N] [--without-kiwi]

The parent only starts the child and waits for it: os.wait4 gives that child's CPU time and its peak
RSS (ru_maxrss, the child's own high-water mark: a forked child starts from its parent's RSS, which is why
the demo is never measured in the process that imported kcorpus). The child runs the `kcorpus demo`
command itself (kcorpus.cli's app, in-process, as the console script does; no Prefect server configured,
as for a newcomer) and reports whether Kiwi, the Korean analyser, was started and its process's peak:
Kiwi runs in a process of its own (corpus.nlp), started at the first Korean paragraph of a release, never
otherwise. "peak RSS" is wait4's figure for the demo's process tree (the largest single process of it,
the analyser's included); "demo process" is the demo's own process.

--without-kiwi runs the same demo with Korean paragraphs segmented as English (syntok) instead: the
releases' Korean CoNLL-U is then wrong, so this is a measurement of what the rest of the demo costs, never
a mode of kcorpus. Wall time depends on the neighbours on a shared machine: CPU seconds are printed beside
it, and the load average at the start.

Target (issue 27): the demo's peak RSS <= 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> tuple[float, float]:
    """This process's (current RSS, peak RSS) in MB, from /proc (VmRSS, VmHWM)."""
    values = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line[:5]] = int(line.split()[1]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


def child(home: Path, report: Path, without_kiwi: bool) -> None:
    """Run `kcorpus demo --home HOME` in this process; write what Kiwi cost to `report` (JSON)."""
    sys.path.insert(0, str(ROOT))
    import corpus.nlp

    kiwi = {"loaded": False, "korean_paragraphs": 0}
    korean = corpus.nlp._korean

    def watched(text: str):
        kiwi["korean_paragraphs"] += 1
        if without_kiwi:
            return corpus.nlp._english(text)
        kiwi["loaded"] = True   # the first Korean paragraph starts the analyser's process (Kiwi and its model)
        return korean(text)

    corpus.nlp._korean = watched
    from kcorpus.cli import app
    code = app(["demo", "--home", str(home)], standalone_mode=False)   # the exit code `kcorpus demo` gives
    kiwi["peak_mb"] = round(rss_mb()[1])
    if kiwi["loaded"]:   # the analyser's own peak, asked of it while it lives
        kiwi["analyser_mb"] = round(corpus.nlp._analyser().submit(rss_mb).result()[1])
    report.write_text(json.dumps(kiwi))
    raise SystemExit(code)


def run_once(without_kiwi: bool) -> dict:
    """One demo in a fresh child process on a fresh data home: wall, CPU, peak RSS, Kiwi."""
    with tempfile.TemporaryDirectory(prefix="kcorpus-bench-demo-") as tmp:
        report = Path(tmp) / "kiwi.json"
        env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "KCORPUS_PREFECT")}
        env.update(DO_NOT_TRACK="1", PYTHONPATH=str(ROOT))
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(Path(tmp) / "home"), str(report)]
        command += ["--without-kiwi"] if without_kiwi else []
        load = os.getloadavg()[0]
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stderr = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"the demo failed (exit {process.returncode}):\n{stderr.decode(errors='replace')[-2000:]}")
        kiwi = json.loads(report.read_text())
        return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
                "load": load, "kiwi": kiwi}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--without-kiwi", action="store_true", help="Korean paragraphs segmented as English")
    parser.add_argument("--child", nargs=2, metavar=("HOME", "REPORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.without_kiwi)
        return
    label = "without Kiwi (Korean segmented as English)" if args.without_kiwi else "as shipped"
    print(f"kcorpus demo, {label}: a fresh process and data home per run")
    print(f"{'run':>3} {'load':>5} {'wall s':>7} {'CPU s':>6} {'peak RSS MB':>11} {'demo process':>12}  Kiwi")
    for number in range(1, args.runs + 1):
        r = run_once(args.without_kiwi)
        k = r["kiwi"]
        kiwi = (f"its process {k['analyser_mb']} MB ({k['korean_paragraphs']} Korean paragraphs)"
                if k["loaded"] else f"not started ({k['korean_paragraphs']} Korean paragraphs)")
        print(f"{number:>3} {r['load']:>5.2f} {r['wall']:>7.1f} {r['cpu']:>6.1f} {r['peak_mb']:>11.0f} "
              f"{k['peak_mb']:>12.0f}  {kiwi}", flush=True)


if __name__ == "__main__":
    main()
