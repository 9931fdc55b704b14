"""A new policy as a user adds one: a copy of the packaged Aucatzyl policy file under another id,
governing another product and code, in a folder of its own (one TOML file and its guideline)."""
from __future__ import annotations

from pathlib import Path

from rules.policy import POLICIES_DIR


def policy_folder(tmp_path: Path, policy_id: str, code: str, product: str) -> Path:
    folder = tmp_path / policy_id
    (folder / "guidelines").mkdir(parents=True)
    (folder / "guidelines" / "source.md").write_text("test guideline\n", encoding="utf-8")
    text = (POLICIES_DIR / "aucatzyl.toml").read_text(encoding="utf-8")
    text = (text.replace('id = "aucatzyl-2025-07"', f'id = "{policy_id}"')
                .replace('products = ["obecabtagene autoleucel"]', f'products = ["{product}"]')
                .replace('source = "guidelines/aucatzyl-medical-necessity-guideline.md"', 'source = "guidelines/source.md"')
                .replace('code = "Q2058"', f'code = "{code}"').replace('replaces = ["C9301"]', 'replaces = []'))
    (folder / f"{policy_id}.toml").write_text(text, encoding="utf-8")
    return folder
