"""Hostile files built in memory, byte by byte: compression bombs, huge pixel grids behind tiny
files, malformed page trees. Each is small on the wire and costly for a naive reader; nothing
here decodes them. Synthetic content only."""
from __future__ import annotations

import struct
import zlib


def pdf_from_objects(objects: list[bytes]) -> bytes:
    """A PDF whose object n (1-based) is objects[n-1]; object 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def one_page_pdf(content: bytes, mediabox: bytes = b"[0 0 612 792]", flate: bool = True,
                 resources: bytes = b"<< /Font << /F1 4 0 R >> >>", extra_objects: tuple[bytes, ...] = ()) -> bytes:
    body = zlib.compress(content, 9) if flate else content
    return pdf_from_objects([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources %s /Contents 5 0 R >>" % (mediabox, resources),
        _FONT,
        _stream(body, b"/Filter /FlateDecode " if flate else b""),
        *extra_objects,
    ])


def flate_bomb_pdf(inflated_bytes: int = 15_000_000) -> bytes:
    """One page whose Flate content stream inflates to `inflated_bytes` of text-showing operators
    (~44 KB on the wire for 15 MB)."""
    op = b"(W) Tj "
    return one_page_pdf(b"BT /F1 1 Tf 10 10 Td " + op * (inflated_bytes // len(op)) + b"ET")


def many_glyphs_pdf(glyphs: int = 400_000) -> bytes:
    """A modest content stream (a few MB inflated, ~5 KB on the wire) that draws `glyphs` characters."""
    return one_page_pdf(b"BT /F1 1 Tf 10 10 Td (" + b"W" * glyphs + b") Tj ET")


def form_bomb_pdf(draws: int = 200_000) -> bytes:
    """A tiny page drawing one small Form XObject `draws` times (each draw reruns its content)."""
    form = _stream(b"BT /F1 1 Tf 0 0 Td (WW) Tj ET",
                   b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /Font << /F1 4 0 R >> >> ")
    return one_page_pdf(b"/X0 Do " * draws, resources=b"<< /Font << /F1 4 0 R >> /XObject << /X0 6 0 R >> >>",
                        extra_objects=(form,))


def huge_image_pdf(side: int = 13000) -> bytes:
    """A letter page showing one side x side bilevel image (~20 KB of Flate data on the wire)."""
    packer = zlib.compressobj(9)
    row = b"\xff" * ((side + 7) // 8)
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    image = _stream(pixels, b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                            b"/BitsPerComponent 1 /Filter /FlateDecode " % (side, side))
    return one_page_pdf(b"q 612 0 0 792 0 0 cm /Im0 Do Q", resources=b"<< /XObject << /Im0 6 0 R >> >>",
                        extra_objects=(image,))


def nested_page_tree_pdf(depth: int = 5000) -> bytes:
    """A page tree `depth` /Pages nodes deep above its only page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        number = 2 + level
        objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1%s >>"
                       % (number + 1, b" /Parent %d 0 R" % (number - 1) if level else b""))
    leaf = 2 + depth
    objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R >>" % (leaf - 1, leaf + 1))
    objects.append(_stream(b"BT ET"))
    return pdf_from_objects(objects)


def odd_mediabox_pdf(mediabox: bytes = b"[0 0 612]") -> bytes:
    return one_page_pdf(b"BT /F1 12 Tf 72 720 Td (Synthetic) Tj ET", mediabox=mediabox, flate=False)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(side: int = 13000) -> bytes:
    """A valid white 1-bit PNG, side x side, with no resolution (pHYs) chunk: ~20 KB on the wire."""
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def huge_g4_tiff(side: int = 13000) -> bytes:
    """A bilevel CCITT G4 TIFF declaring side x side pixels (a G4 page of blank lines is ~2 KB;
    the few strip bytes here are never decoded: the header is refused first). No resolution tags."""
    strip = b"\x00\x10\x01" * 8
    entries = [  # tag, type (3 SHORT, 4 LONG), value
        (256, 4, side), (257, 4, side), (258, 3, 1), (259, 3, 4), (262, 3, 0),
        (273, 4, 8), (277, 3, 1), (278, 4, side), (279, 4, len(strip)),
    ]
    ifd_offset = 8 + len(strip)
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        ifd += struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value))
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", ifd_offset) + strip + ifd


def many_frames_tiff(frames: int = 200_000) -> bytes:
    """A chain of `frames` 1x1 TIFF directories (~114 bytes each) sharing one pixel."""
    entries = [(256, 4, 1), (257, 4, 1), (258, 3, 8), (259, 3, 1), (262, 3, 1),
               (273, 4, 8), (277, 3, 1), (278, 4, 1), (279, 4, 1)]
    ifd_size = 2 + 12 * len(entries) + 4
    first = 10
    out = bytearray(b"II*\x00" + struct.pack("<I", first) + b"\x00\x00")
    for i in range(frames):
        following = first + (i + 1) * ifd_size if i < frames - 1 else 0
        out += struct.pack("<H", len(entries))
        for tag, kind, value in entries:
            out += struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3
                                                         else struct.pack("<I", value))
        out += struct.pack("<I", following)
    return bytes(out)
