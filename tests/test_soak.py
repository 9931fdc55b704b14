"""The soak (bench/soak.py) at a tiny size: a real `intake serve` with two workers and its
embedded Redis, 20 uploads over 30 s, one SIGKILL each of a worker, a work horse and the Redis;
nothing accepted is lost or processed twice, and every file ends as its kind must. Short
leases and reconciler periods (as in the other service tests) keep it to about 80 s."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
FAST_RECOVERY = {"INTAKE_LEASE_SECONDS": "6", "INTAKE_RECONCILE_INTERVAL": "2", "INTAKE_RECONCILE_GRACE": "3",
                 "INTAKE_RETRY_INTERVALS": "[1, 2, 4]"}


def test_a_tiny_soak_loses_nothing_and_duplicates_nothing(tmp_path):
    out = tmp_path / "soak.json"
    run = subprocess.run([sys.executable, "bench/soak.py", "--uploads", "20", "--duration", "30", "--kills", "1",
                          "--fax-share", "0.1", "--bad-share", "0.2", "--drain-timeout", "180", "--seed", "2",
                          "--out", str(out)],
                         cwd=REPO, env={**os.environ, **FAST_RECOVERY}, capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["passed"] and report["lost"] == 0 and report["duplicated"] == 0 and report["unexpected"] == 0
    kinds = report["config"]["kinds"]
    assert report["accepted"] == 20 - kinds["bad_at_upload"]
    assert report["processed_once"] == kinds["text"] + kinds["fax"]
    assert sum(report["failed_by_code"].values()) == kinds["bad_in_worker"]
    assert report["refused_at_upload_by_code"] == {"unsupported_format": kinds["bad_at_upload"]}
    assert sorted(k["kind"] for k in report["kills"] if k["pid"]) == ["horse", "redis", "worker"]
    assert {"api", "worker", "horse", "redis"} <= set(report["peak_rss_mb"])
