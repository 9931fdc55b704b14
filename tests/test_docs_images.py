"""Every image the README and docs/*.md show exists and is a real PNG screenshot, and the three
screenshots scripts/screenshots.py renders are all shown somewhere."""
from __future__ import annotations

import re
import struct
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
SCREENSHOTS = {"docs/queue.png", "docs/packet.png", "docs/dashboard.png"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_WIDTH_PX = 1000  # a screenshot of the UI, not a placeholder


def _pages() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.relative_to(REPO)} is not a PNG"
    return struct.unpack(">II", head[16:24])  # the IHDR chunk's width and height


def test_every_image_the_docs_show_exists():
    shown: set[str] = set()
    missing = []
    for page in _pages():
        for target in IMAGE_LINK.findall(page.read_text()):
            if "://" in target:
                continue
            image = (page.parent / target).resolve()
            if not image.is_file():
                missing.append(f"{page.relative_to(REPO)} -> {target}")
                continue
            shown.add(image.relative_to(REPO).as_posix())
            width, height = _png_size(image)
            assert width >= MIN_WIDTH_PX and height > 0
    assert missing == []
    assert SCREENSHOTS <= shown
