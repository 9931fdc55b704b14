"""Turn a digital PDF into what a fax gateway really sends.

Ghostscript renders at fax resolution (204x196 dpi) into CCITT G3; we then degrade pages the way
fax lines do (speckle noise, small skew, a page fed upside down or sideways), re-encode as
G3/G4 TIFF and optionally wrap them into an image-only PDF with tiff2pdf, exactly as gateways do.
"""
from __future__ import annotations

import random
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

FAX_DPI = (204, 196)


@dataclass
class FaxDamage:
    """How to degrade each page. `rotations[i]` is degrees clockwise the page is turned (0/90/180/270)."""
    noise: float = 0.0  # share of pixels flipped (salt and pepper), e.g. 0.002
    skew_degrees: float = 0.0  # max absolute skew, randomised per page
    rotations: dict[int, int] = field(default_factory=dict)  # page index -> degrees
    seed: int = 0
    resolution: tuple[int, int] = FAX_DPI  # (204, 98) is standard fax resolution: non-square pixels
    header: str | None = None  # transmit header the sending machine stamps upright on every page


def render_fax_pages(pdf_bytes: bytes, damage: FaxDamage | None = None) -> list[Image.Image]:
    """Rasterize a PDF to bilevel fax-resolution pages with Ghostscript, then apply the damage."""
    damage = damage or FaxDamage()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf_bytes)
        out = Path(tmp) / "page-%03d.tif"
        subprocess.run(
            ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffg3",
             f"-r{damage.resolution[0]}x{damage.resolution[1]}", f"-sOutputFile={out}", str(src)],
            check=True, capture_output=True,
        )
        pages = []
        for path in sorted(Path(tmp).glob("page-*.tif")):
            with Image.open(path) as im:
                im.load()
                pages.append(im.convert("1"))
    rng = random.Random(damage.seed)
    damaged = [_damage_page(p, i, damage, rng) for i, p in enumerate(pages)]
    if damage.header:
        damaged = [_stamp_header(p, f"{damage.header}   P.{i + 1}/{len(damaged)}", damage.resolution)
                   for i, p in enumerate(damaged)]
    return damaged


def _stamp_header(page: Image.Image, header: str, resolution: tuple[int, int]) -> Image.Image:
    """The sending machine's line at the top edge, drawn after any turn (it is always upright)."""
    from PIL import ImageDraw, ImageFont

    width = page.width
    strip = Image.new("L", (width, 30), 255)
    ImageDraw.Draw(strip).text((20, 6), header, fill=0, font=ImageFont.load_default(size=18))
    strip = strip.resize((width, max(1, round(30 * resolution[1] / resolution[0]))))
    out = page.convert("L")
    out.paste(strip, (0, 0))
    return out.point(lambda v: 255 if v > 127 else 0).convert("1")


def _damage_page(page: Image.Image, index: int, damage: FaxDamage, rng: random.Random) -> Image.Image:
    img = page.convert("L")
    if damage.skew_degrees:
        angle = rng.uniform(-damage.skew_degrees, damage.skew_degrees)
        img = img.rotate(angle, resample=Image.BILINEAR, expand=False, fillcolor=255)
    if damage.noise:
        arr = np.array(img)
        np_rng = np.random.default_rng(damage.seed * 1000 + index)
        flips = np_rng.random(arr.shape) < damage.noise
        arr[flips] = 255 - arr[flips]
        img = Image.fromarray(arr)
    rotation = damage.rotations.get(index, 0)
    if rotation:
        # rotate() turns counter-clockwise; a page fed turned clockwise by N shows as -N
        img = img.rotate(-rotation, expand=True)
    return img.point(lambda v: 255 if v > 127 else 0).convert("1")


def save_fax_tiff(pages: list[Image.Image], path: Path, compression: str = "group4",
                  resolution: tuple[int, int] = FAX_DPI) -> None:
    """Write a multipage bilevel TIFF with CCITT compression and the fax resolution."""
    if compression not in ("group3", "group4"):
        raise ValueError(f"fax compression must be group3 or group4, not {compression}")
    first, rest = pages[0], pages[1:]
    first.save(path, format="TIFF", compression=compression, dpi=resolution,
               save_all=True, append_images=rest)


def tiff_to_pdf(tiff_path: Path, pdf_path: Path, sent_at: datetime | None = None) -> None:
    """Wrap a fax TIFF into an image-only PDF without re-encoding, as gateways do.

    tiff2pdf stamps the wall clock into the PDF; `sent_at` replaces that stamp (same length, so the
    xref offsets stay valid) to make generated packets byte-for-byte reproducible.
    """
    subprocess.run(["tiff2pdf", "-o", str(pdf_path), str(tiff_path)], check=True, capture_output=True)
    if sent_at is not None:
        stamp = sent_at.strftime("D:%Y%m%d%H%M%S").encode()
        data = re.sub(rb"(/(?:CreationDate|ModDate) \()D:\d{14}", lambda m: m.group(1) + stamp,
                      pdf_path.read_bytes())
        pdf_path.write_bytes(data)


def pdf_to_fax(pdf_bytes: bytes, out_path: Path, damage: FaxDamage | None = None,
               compression: str = "group4", sent_at: datetime | None = None) -> Path:
    """Digital PDF -> faxed packet at `out_path` (.tif/.tiff: the TIFF itself; .pdf: tiff2pdf of it)."""
    damage = damage or FaxDamage()
    pages = render_fax_pages(pdf_bytes, damage)
    out_path = Path(out_path)
    if out_path.suffix.lower() in (".tif", ".tiff"):
        save_fax_tiff(pages, out_path, compression, damage.resolution)
        return out_path
    with tempfile.TemporaryDirectory() as tmp:
        tiff = Path(tmp) / "fax.tif"
        save_fax_tiff(pages, tiff, compression, damage.resolution)
        tiff_to_pdf(tiff, out_path, sent_at)
    return out_path
