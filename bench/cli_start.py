"""Start-up cost of `intake` commands that need no model, against importing the pipeline (target <= 0.15).

Each command only builds the parser (or reads the policy files); the commands import their heavy
dependencies (spaCy, scikit-learn, FastAPI, SQLAlchemy) only when they run. The baseline, measured
in this same run and interleaved with the commands, is a process that imports the assessment
pipeline and the API, what every command used to pay at start. Figures are the median CPU
seconds (user + sys) of whole processes, which a busy shared machine disturbs less than wall time;
the bare interpreter's start is printed for scale.

    .venv/bin/python bench/cli_start.py [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INTAKE = Path(sys.executable).parent / "intake"
COMMANDS = (["--help"], ["policies", "list"], ["users", "list", "--help"], ["keys", "--help"])
BASELINE = [sys.executable, "-c", "import assessment.pipeline, api"]
INTERPRETER = [sys.executable, "-c", "pass"]
TARGET = 0.15


def cpu_seconds(command: list[str]) -> float:
    """User + sys CPU seconds of one whole process; it must exit 0."""
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}")
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each process (after one warm-up)")
    args = parser.parse_args()
    processes = {"(interpreter)": INTERPRETER, "(baseline: pipeline + API import)": BASELINE}
    processes |= {f"intake {' '.join(c)}": [str(INTAKE), *c] for c in COMMANDS}
    for command in processes.values():  # warm-up: page cache, .pyc files
        cpu_seconds(command)
    samples: dict[str, list[float]] = {name: [] for name in processes}
    for _ in range(args.runs):  # interleaved, so a change in the machine's load hits all alike
        for name, command in processes.items():
            samples[name].append(cpu_seconds(command))
    median = {name: statistics.median(values) for name, values in samples.items()}
    baseline = median["(baseline: pipeline + API import)"]
    print(f"median CPU seconds of {args.runs} runs; ratio against the baseline (target <= {TARGET})")
    worst = 0.0
    for name, seconds in median.items():
        ratio = seconds / baseline
        if name.startswith("intake"):
            worst = max(worst, ratio)
        print(f"  {name:<36} {seconds:7.3f} s  {ratio:5.2f}")
    print(f"worst command / baseline: {worst:.2f} (target <= {TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
