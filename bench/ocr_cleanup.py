"""Does image clean-up before OCR pay off on noisy fax pages?

Builds a few synthetic pages with known text and form rules, faxes them (G4, speckle noise),
then OCRs each page raw, despeckled, despeckled with ruled lines removed, and upsampled to
300 dpi. Prints word accuracy (share of the known words read exactly, as a bag of words) and
seconds per page, each also as a ratio against raw OCR measured in this same run.

    .venv/bin/python bench/ocr_cleanup.py [--noise 0.006] [--pages 3]
"""
from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from extraction import imaging
from extraction.documents import open_document
from extraction.limits import Limits
from extraction.ocr import TesseractEngine
from synthetic.fax import FaxDamage, pdf_to_fax

WORDS = ("patient relapsed after induction chemotherapy with blinatumomab and inotuzumab "
         "bone marrow biopsy showed blasts CD19 positive by flow cytometry performance status "
         "ECOG creatinine clearance ejection fraction no active infection hepatitis negative "
         "leukapheresis scheduled bridging therapy planned date of birth 03/14/1971 weight kg").split()


def _pages_pdf(pages: int, seed: int) -> tuple[bytes, list[list[str]]]:
    rng = random.Random(seed)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    truth = []
    for _ in range(pages):
        page_words = []
        c.setFont("Helvetica", 11)
        for row in range(22):
            y = 720 - row * 28
            line = [rng.choice(WORDS) for _ in range(rng.randint(5, 8))]
            c.drawString(72, y, " ".join(line))
            c.line(72, y - 6, 540, y - 6)  # form rule under each line, as on intake forms
            page_words.append(line)
        truth.append([w for line in page_words for w in line])
        c.showPage()
    c.save()
    return buf.getvalue(), truth


def _accuracy(expected: list[str], read: list[str]) -> float:
    want, got = Counter(expected), Counter(read)
    return sum(min(n, got[w]) for w, n in want.items()) / sum(want.values())


def _upsample(image: Image.Image, dpi: float, target: float = 300) -> tuple[Image.Image, float]:
    scale = target / dpi
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.BICUBIC), target


VARIANTS = {
    "raw": lambda im, dpi: (im, dpi),
    "despeckle": lambda im, dpi: (imaging.despeckle(im, dpi), dpi),
    "despeckle+lines": lambda im, dpi: (imaging.remove_lines(imaging.despeckle(im, dpi), dpi), dpi),
    "upsample300": _upsample,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", type=float, default=0.006)
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args()
    pdf, truth = _pages_pdf(args.pages, seed=7)
    with tempfile.TemporaryDirectory() as tmp:
        tiff = pdf_to_fax(pdf, Path(tmp) / "bench.tif", FaxDamage(noise=args.noise, seed=7)).read_bytes()
    engine = TesseractEngine()
    results: dict[str, tuple[float, float]] = {}
    with open_document(tiff, Limits()) as doc:
        rasters = [doc.raster(i) for i in range(doc.page_count)]
    for name, prepare in VARIANTS.items():
        accuracies, seconds = [], 0.0
        for raster, expected in zip(rasters, truth):
            start = time.perf_counter()
            image, dpi = prepare(raster.image, raster.dpi)
            words = engine.read_words(image, dpi)
            seconds += time.perf_counter() - start
            accuracies.append(_accuracy(expected, [w.text for w in words]))
        results[name] = (sum(accuracies) / len(accuracies), seconds / len(rasters))
    base_acc, base_sec = results["raw"]
    print(f"{len(rasters)} fax pages at {rasters[0].dpi:.0f} dpi, noise {args.noise}")
    print(f"{'variant':<18}{'accuracy':>9}{'x raw':>8}{'s/page':>9}{'x raw':>8}")
    for name, (acc, sec) in results.items():
        print(f"{name:<18}{acc:>9.3f}{acc / base_acc:>8.2f}{sec:>9.2f}{sec / base_sec:>8.2f}")


if __name__ == "__main__":
    main()
