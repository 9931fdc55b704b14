"""Peak RSS of reading hostile files (issue 14, rows 1-2), the way the code did before the
content and pixel limits and the way it does now. Each measurement runs in a fresh child
process under an address-space cap (so a bomb cannot take the machine) and a time cap.

    worker, before: pdfplumber parses the page unbounded (page.extract_words())
    worker, after:  open_document(...).text_layer(0) under the default Limits
    API, before:    Image.open(...).load() decodes the whole image to validate it
    API, after:     open_document(..., decode=False): headers only

    .venv/bin/python bench/hostile_rss.py [--cap-gb 4] [--timeout 120]
"""
from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import hostile_files as hostile  # noqa: E402

CASES = {  # name -> (file, reader before, reader after)
    "flate bomb 44 KB -> 15 MB ops": (lambda: hostile.flate_bomb_pdf(15_000_000), "plumber", "bounded_pdf"),
    "flate bomb 5 KB -> 2 MB ops": (lambda: hostile.flate_bomb_pdf(2_000_000), "plumber", "bounded_pdf"),
    "400k glyphs in one string": (hostile.many_glyphs_pdf, "plumber", "bounded_pdf"),
    "form drawn 200k times": (hostile.form_bomb_pdf, "plumber", "bounded_pdf"),
    "13000x13000 PNG, no dpi": (hostile.huge_png, "pil_load", "headers_only"),
}


def _read(data: bytes, reader: str) -> str:
    from extraction.documents import open_document
    from extraction.errors import IntakeError
    from extraction.limits import Limits
    try:
        if reader == "plumber":
            import pdfplumber
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                return f"{len(pdf.pages[0].extract_words())} words"
        if reader == "pil_load":
            from PIL import Image
            Image.MAX_IMAGE_PIXELS = None
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                return f"decoded {image.width}x{image.height}"
        if reader == "bounded_pdf":
            with open_document(data, Limits()) as doc:
                doc.text_layer(0)
                return "read"
        with open_document(data, Limits(), decode=False) as doc:
            return f"{doc.page_count} page(s)"
    except IntakeError as exc:
        return exc.code
    except MemoryError:
        return "MemoryError (hit the cap)"


def _child(data: bytes, reader: str, cap_bytes: int, out) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))
    started = time.perf_counter()
    outcome = _read(data, reader)
    out.send((outcome, time.perf_counter() - started))


def measure(data: bytes, reader: str, cap_bytes: int, timeout: float) -> tuple[str, float, float]:
    """(outcome, seconds, peak RSS in MB) of one read in a fresh process."""
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("fork").Process(target=_child, args=(data, reader, cap_bytes, send))
    process.start()
    outcome, seconds = "timeout", timeout
    if receive.poll(timeout):
        outcome, seconds = receive.recv()
    else:
        process.kill()
    _, status, usage = os.wait4(process.pid, 0)
    if outcome == "timeout" and os.WIFSIGNALED(status) and os.WTERMSIG(status) != 9:
        outcome = f"killed by signal {os.WTERMSIG(status)}"
    return outcome, seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cap-gb", type=float, default=4.0, help="address-space cap of each child")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a child is killed")
    args = parser.parse_args()
    cap = int(args.cap_gb * 1024**3)
    print(f"{'case':34} {'file':>9}  {'reader':13} {'outcome':28} {'seconds':>8} {'peak RSS MB':>12}")
    for name, (make, before, after) in CASES.items():
        data = make()
        for reader in (before, after):
            outcome, seconds, rss = measure(data, reader, cap, args.timeout)
            print(f"{name:34} {len(data):>9,}  {reader:13} {outcome[:28]:28} {seconds:8.1f} {rss:12.0f}")


if __name__ == "__main__":
    main()
