"""`intake keys`: a new key is printed once and only its hash is stored; revoked keys stop working."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from intake.auth import hash_key


def _intake(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTAKE_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "intake.cli", "keys", *args], env=env, capture_output=True,
                          text=True, check=False)


def test_keys_add_list_revoke(tmp_path):
    added = _intake(tmp_path, "add", "fax-gateway")
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip()
    assert key.startswith("ik_") and len(key) > 40

    with sqlite3.connect(tmp_path / "data" / "intake.db") as db:
        stored = db.execute("SELECT name, key_hash, revoked FROM api_keys").fetchall()
    assert stored == [("fax-gateway", hash_key(key), 0)]
    assert key not in (tmp_path / "data" / "intake.db").read_bytes().decode("latin-1")

    listed = _intake(tmp_path, "list").stdout
    assert "fax-gateway" in listed and "active" in listed and key not in listed
    assert _intake(tmp_path, "revoke", "fax-gateway").returncode == 0
    assert "revoked" in _intake(tmp_path, "list").stdout
    assert _intake(tmp_path, "revoke", "fax-gateway").returncode == 1
