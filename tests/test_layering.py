"""The package layering the code relies on, read from the source's own imports: `extraction/`
knows no policy, storage, queue or generator, and no two top-level packages import each other
(a cycle would make the library unusable without the service)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("extraction", "rules", "quality", "assessment", "synthetic", "intake")


def _imports(package: str) -> set[str]:
    """Top-level project packages imported anywhere in `package` (function-level imports included)."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                     else [])
            found |= {name.split(".")[0] for name in names} & set(PACKAGES)
    return found - {package}


def test_extraction_imports_no_policy_storage_queue_or_generator():
    assert _imports("extraction") == set()


def test_no_two_top_level_packages_import_each_other():
    graph = {package: _imports(package) for package in PACKAGES}
    mutual = sorted((a, b) for a in PACKAGES for b in graph[a] if a < b and a in graph[b])
    assert mutual == []


def test_the_service_sits_above_the_assessment_layer():
    assert "intake" not in _imports("assessment")
    assert {"rules", "quality", "extraction"} >= _imports("assessment")
