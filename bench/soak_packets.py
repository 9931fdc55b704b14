"""The soak's synthetic uploads (bench/soak.py), each with its bytes made unique by a tag, and the
outcome it must reach. Synthetic data only.

    text          digital PDF, 1-3 pages (text layer)            -> ready_for_review
    fax           the same faxed (G4 TIFF in PDF), 1-2 pages: OCR -> ready_for_review
    bad_in_worker passes the upload's check of its first bytes, fails when the worker opens
                  it                                              -> failed, with a code
                  (a PDF cut short, a PNG whose image data is scrambled, a JPEG cut after 2 KB)
    bad_at_upload bytes of no known format                        -> 415 unsupported_format, no document
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass

from PIL import Image

from worker_scaling import fax_packet, text_packet

KINDS = ("text", "fax", "bad_in_worker", "bad_at_upload")


@dataclass(frozen=True)
class SoakPacket:
    index: int
    kind: str  # one of KINDS
    data: bytes

    @property
    def must_be_accepted(self) -> bool:
        return self.kind != "bad_at_upload"

    @property
    def must_be_ready(self) -> bool:
        return self.kind in ("text", "fax")


def _scrambled_png(index: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (1700 + index % 500, 2200), 255).save(buf, format="PNG", dpi=(200, 200))
    data = buf.getvalue()
    start = data.index(b"IDAT") + 4
    return data[:start] + bytes(b ^ 0x5A for b in data[start:start + 200]) + data[start + 200:]


def _cut_jpeg(index: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (1700 + index % 500, 2200), 200).save(buf, format="JPEG", dpi=(200, 200))
    return buf.getvalue()[:2000]


def _bad_in_worker(index: int) -> bytes:
    if index % 3 == 0:
        return text_packet(2, f"soak-cut-{index}")[:-700]
    return _scrambled_png(index) if index % 3 == 1 else _cut_jpeg(index)


def _bad_at_upload(index: int) -> bytes:
    return f"soak {index} ".encode() + bytes(range(256)) * 8


def make_packets(count: int, fax_share: float, bad_share: float, seed: int) -> list[SoakPacket]:
    """`count` uploads in a shuffled order: `bad_share` bad files (a third of them refused at
    upload, the others failing in the worker), `fax_share` faxes, the rest text-layer PDFs."""
    rng = random.Random(seed)
    bad = round(count * bad_share)
    faxes = min(round(count * fax_share), count - bad)
    kinds = (["bad_at_upload"] * (bad // 3) + ["bad_in_worker"] * (bad - bad // 3) + ["fax"] * faxes
             + ["text"] * (count - bad - faxes))
    rng.shuffle(kinds)
    packets = []
    for index, kind in enumerate(kinds):
        tag = f"soak-{seed}-{index}"
        if kind == "text":
            data = text_packet(rng.randint(1, 3), tag)
        elif kind == "fax":
            data = fax_packet(rng.randint(1, 2), tag)
        elif kind == "bad_in_worker":
            data = _bad_in_worker(index)
        else:
            data = _bad_at_upload(index)
        packets.append(SoakPacket(index, kind, data))
    return packets
