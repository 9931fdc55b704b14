"""`intake export` and `intake keys add --callback-secret` as an operator runs them: the real
console script on a seeded data folder."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from intake.db.models import ApiKey, Document
from intake.db.review_models import AuditEntry
from intake.db.session import session_scope
from intake.review.decisions import record_determination
from review_seed import extracted_packet, review_every_item, seed_document, seedable_data_dir

INTAKE = Path(sys.executable).parent / "intake"


def _intake(data_dir: Path, *args: str | Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, INTAKE_DATA_DIR=str(data_dir))
    env.pop("DATABASE_URL", None)
    return subprocess.run([str(INTAKE), *map(str, args)], capture_output=True, text=True, timeout=300, env=env)


def test_export_writes_one_parseable_bundle_per_decided_packet_and_audits_it(tmp_path):
    data_dir, out = tmp_path / "data", tmp_path / "out"
    data_dir.mkdir()
    with seedable_data_dir(data_dir) as (sessions, store, key_id):
        decided, undecided = (seed_document(sessions, store, key_id, extracted_packet(), source=f"{n}.pdf")
                              for n in ("decided", "undecided"))
        with session_scope(sessions) as db:
            review_every_item(db, db.get(Document, decided), "nurse-a")  # required before a determination
            record_determination(db, db.get(Document, decided), "meets_criteria", "synthetic note", "nurse-a")

        since = _intake(data_dir, "export", "--since", "2000-01-01", out)
        assert since.returncode == 0, since.stderr
        assert sorted(p.name for p in out.iterdir()) == [f"{decided}.fhir.json"]
        later = _intake(data_dir, "export", "--since", "2999-01-01", tmp_path / "none")
        assert later.returncode == 0 and list((tmp_path / "none").iterdir()) == []

        one = _intake(data_dir, "export", "--fhir", undecided, out)
        assert one.returncode == 0, one.stderr
        for path in out.iterdir():
            bundle = Bundle.model_validate_json(path.read_text())
            assert bundle.identifier.value == path.name.split(".")[0]
        missing = _intake(data_dir, "export", "--fhir", "no-such-id", out)
        assert missing.returncode == 1 and "no document no-such-id" in missing.stderr
        with session_scope(sessions) as db:
            exported = db.scalars(select(AuditEntry.document_id).where(AuditEntry.action == "fhir_export")).all()
        assert sorted(exported) == sorted([decided, undecided])


def test_keys_add_with_callback_secret_prints_it_once_and_keeps_it_to_sign(tmp_path):
    data_dir = tmp_path / "data"
    added = _intake(data_dir, "keys", "add", "gateway", "--callback-secret")
    assert added.returncode == 0, added.stderr
    key_line, secret_line = added.stdout.splitlines()
    secret = secret_line.removeprefix("callback secret: ")
    assert key_line.startswith("ik_") and secret.startswith("whsec_") and len(secret) > 40
    plain = _intake(data_dir, "keys", "add", "plain")
    assert len(plain.stdout.splitlines()) == 1
    listed = _intake(data_dir, "keys", "list")
    assert secret not in listed.stdout
    with seedable_data_dir(data_dir) as (sessions, _, _):
        with session_scope(sessions) as db:
            stored = dict(db.execute(select(ApiKey.name, ApiKey.callback_secret)).all())
    assert stored["gateway"] == secret and stored["plain"] is None
