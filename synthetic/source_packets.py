"""Hand-written packet sources (`corpus/**/*.packet`, format in corpus/FORMAT.md) -> faxed files + truth.

Authors write each packet case by case as text; this module only lays the text out and sends it
through the fax simulator. It adds no wording of its own, so the corpus stays the authors'.

    python -m synthetic.source_packets SRC_DIR OUT_DIR [--check]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reportlab.pdfbase.pdfmetrics import stringWidth

from synthetic.fax import FaxDamage, pdf_to_fax
from synthetic.layout import PAGE_HEIGHT, PAGE_WIDTH, Box, Ellipse, PageDraft, Rule, TextLine
from synthetic.render import render_pdf

RENDERS = {  # name -> (suffix, fax resolution or None for a digital PDF, CCITT compression)
    "fax-fine-pdf": (".pdf", (204, 196), "group4"),
    "fax-standard-pdf": (".pdf", (204, 98), "group4"),
    "tiff-g3": (".tif", (204, 196), "group3"),
    "tiff-g4": (".tif", (204, 196), "group4"),
    "digital-pdf": (".pdf", None, None),
}
MEDIA_TYPES = {".pdf": "application/pdf", ".tif": "image/tiff"}
FIELD_KEYS = ("patient_name", "member_id", "birth_date", "treatment_date", "request_date", "diagnosis",
              "diagnosis_icd10", "prior_car_t", "prior_car_t_products", "setting",
              "outpatient_appropriate_attested", "safety_monitoring_attested", "hcpcs_codes", "expedited")
CRITERIA = ("diagnosis_b_all", "age_18_or_older", "no_prior_car_t", "outpatient_appropriate_attested",
            "outpatient_safety_attested")
STATUSES = {"met", "not_met", "insufficient_evidence", "not_applicable"}
RECOMMENDATIONS = {"meets_criteria", "does_not_meet_criteria", "needs_more_information"}
HEADER_KEYS = {"render", "seed", "skew", "noise", "rotate", "fax_header", "truth"}
TRUTH_KEYS = {"recommendation", "tags", "why", "fields", "criteria"}
OPTIONAL_TRUTH_KEYS = {"policy"}  # the policy judging the packet (default: the Aucatzyl policy's id)
DEFAULT_POLICY = "aucatzyl-2025-07"
OPTIONAL_FIELD_KEYS = {"disease_status": {"refractory", "first relapse", "second or later relapse",
                                          "relapsed or refractory, not specified", "null"}}
FONTS = {"helvetica": "Helvetica", "times": "Times-Roman", "courier": "Courier"}
BOLD = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}
HAND_FONT = "Courier-Oblique"
MARGIN, BOTTOM = 54.0, PAGE_HEIGHT - 40.0
BOX_MARKS = {" ": None, "x": "x", "X": "x", "v": "check", "V": "check", "#": "fill"}
_INLINE = re.compile(r"\[(?P<box>[ xXvV#])\]|\(\((?P<circled>[^()]+)\)\)|\{\{(?P<hand>[^{}]+)\}\}|(?P<tab>>>)")
_PAGE_BREAK = re.compile(r"^===\s*page\b.*===\s*$")


class SourceError(ValueError):
    """A packet source that cannot be rendered; the message names the file and line."""


@dataclass
class SourcePacket:
    path: Path
    header: dict[str, Any]
    pages: list[PageDraft]

    @property
    def suffix(self) -> str:
        return RENDERS[self.header["render"]][0]

    def truth_record(self, file: str, split: str) -> dict[str, Any]:
        truth = self.header["truth"]
        fields = {k: (None if v == "null" else v) for k, v in truth["fields"].items()}
        return {
            "file": file, "split": split, "media_type": MEDIA_TYPES[self.suffix], "pages": len(self.pages),
            "rotated_pages": {str(k): v for k, v in self.header.get("rotate", {}).items()},
            "policy": truth.get("policy", DEFAULT_POLICY),
            "fields": fields, "criteria": dict(truth["criteria"]), "recommendation": truth["recommendation"],
            "tags": list(truth["tags"]) + [self.header["render"].replace("-", "_")], "why": truth["why"],
        }


def parse_source(path: Path) -> SourcePacket:
    raw = path.read_text(encoding="utf-8")
    parts = raw.split("+++\n", 2)
    if len(parts) != 3 or parts[0].strip():
        raise SourceError(f"{path}: the file must start with a TOML header between two '+++' lines")
    try:
        header = tomllib.loads(parts[1])
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"{path}: header: {exc}") from exc
    _check_header(path, header)
    first_line = parts[1].count("\n") + 3
    pages = _layout(path, parts[2], first_line)
    for page_number in header.get("rotate", {}):
        if not 1 <= int(page_number) <= len(pages):
            raise SourceError(f"{path}: rotate names page {page_number}; the packet has {len(pages)}")
    return SourcePacket(path, header, pages)


def _check_header(path: Path, header: dict[str, Any]) -> None:
    def fail(message: str) -> None:
        raise SourceError(f"{path}: header: {message}")

    for key in header:
        if key not in HEADER_KEYS:
            fail(f"unknown key {key!r}")
    if header.get("render") not in RENDERS:
        fail(f"render must be one of {', '.join(RENDERS)}")
    if not isinstance(header.get("seed", 0), int):
        fail("seed must be an integer")
    if not 0 <= float(header.get("skew", 0)) <= 2.5 or not 0 <= float(header.get("noise", 0)) <= 0.006:
        fail("skew must be 0-2.5 degrees and noise 0-0.006")
    for page, degrees in header.get("rotate", {}).items():
        if not str(page).isdigit() or degrees not in (90, 180, 270):
            fail("rotate maps a page number to 90, 180 or 270")
        if degrees != 180 and header["render"] == "fax-standard-pdf":
            fail("a standard-resolution fax page can only be turned 180 degrees")
    truth = header.get("truth")
    if not isinstance(truth, dict):
        fail("[truth] is missing")
    if not TRUTH_KEYS <= set(truth) <= TRUTH_KEYS | OPTIONAL_TRUTH_KEYS:
        fail(f"[truth] needs {sorted(TRUTH_KEYS)} (and may name a policy); has {sorted(truth)}")
    fields = set(truth["fields"]) - set(OPTIONAL_FIELD_KEYS)
    if fields != set(FIELD_KEYS):
        missing, extra = set(FIELD_KEYS) - fields, fields - set(FIELD_KEYS)
        fail(f"[truth.fields] missing {sorted(missing)}, unknown {sorted(extra)}")
    for key, allowed in OPTIONAL_FIELD_KEYS.items():
        if key in truth["fields"] and truth["fields"][key] not in allowed:
            fail(f"[truth.fields] {key} must be one of {sorted(allowed)}")
    criteria = policy_criteria(truth.get("policy", DEFAULT_POLICY))
    if criteria is None:
        fail(f"[truth] policy {truth.get('policy')!r} is not a packaged policy")
    if set(truth["criteria"]) != set(criteria) or not set(truth["criteria"].values()) <= STATUSES:
        fail(f"[truth.criteria] needs {list(criteria)} with values {sorted(STATUSES)}")
    if truth["recommendation"] not in RECOMMENDATIONS:
        fail(f"recommendation must be one of {sorted(RECOMMENDATIONS)}")
    statuses = set(truth["criteria"].values())
    derived = ("does_not_meet_criteria" if "not_met" in statuses else "needs_more_information"
               if "insufficient_evidence" in statuses else "meets_criteria")
    if derived != truth["recommendation"]:
        fail(f"recommendation {truth['recommendation']} does not follow from the criteria ({derived})")


def policy_criteria(policy_id: str) -> tuple[str, ...] | None:
    """Criterion ids of a packaged policy, in file order; None for an unknown id."""
    if policy_id == DEFAULT_POLICY:
        return CRITERIA
    from rules.registry import PolicyRegistry
    try:
        return tuple(c.id for c in PolicyRegistry.load().get(policy_id).policy.criteria)
    except KeyError:
        return None


class _PageWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.pages: list[PageDraft] = []
        self.font, self.size, self.indent = "Helvetica", 10.0, 0.0
        self.tabs: list[float] = [90.0 * i for i in range(1, 7)]

    def new_page(self) -> None:
        self.pages.append(PageDraft("source"))
        self.y = 50.0

    def directive(self, line: str, where: str) -> None:
        name, *args = line[1:].split()
        try:
            if name == "font" and args and args[0] in FONTS:
                self.font = FONTS[args[0]]
                self.size = float(args[1]) if len(args) > 1 else 10.0
                if not 7 <= self.size <= 14:
                    raise ValueError
            elif name == "tabs" and args:
                self.tabs = sorted(float(a) for a in args)
            elif name == "gap" and len(args) == 1:
                self.y += float(args[0])
            elif name == "indent" and len(args) == 1:
                self.indent = float(args[0])
            else:
                raise ValueError
        except ValueError:
            raise SourceError(f"{where}: cannot read directive {line!r}") from None

    def write(self, line: str, where: str) -> None:
        if not line.strip():
            self.y += self.size * 1.3
            return
        if line.strip() == "---":
            self._room(8, where)
            self.page.rules.append(Rule(MARGIN, self.y + 2, PAGE_WIDTH - MARGIN, self.y + 2))
            self.y += 8
            return
        font, size = self.font, self.size
        if line.startswith("# "):
            font, size, line = BOLD[self.font], 13.0, line[2:]
        elif line.startswith("## "):
            font, line = BOLD[self.font], line[3:]
        stripped = line.lstrip(" ")
        x0 = MARGIN + self.indent + 3.0 * (len(line) - len(stripped))
        if ">>" in stripped or not self._too_wide(stripped, font, size, x0):
            self._draw(stripped, font, size, x0, where)
            return
        for piece in self._wrap(stripped, font, size, x0):
            self._draw(piece, font, size, x0, where)

    @property
    def page(self) -> PageDraft:
        return self.pages[-1]

    def _room(self, height: float, where: str) -> None:
        if self.y + height > BOTTOM:
            raise SourceError(f"{where}: page {len(self.pages)} overflows; start a new page before this line")

    def _too_wide(self, text: str, font: str, size: float, x0: float) -> bool:
        return x0 + self._width(text, font, size) > PAGE_WIDTH - MARGIN

    def _width(self, text: str, font: str, size: float) -> float:
        plain = _INLINE.sub(lambda m: "WW" if m.group("box") is not None else (m.group("circled") or
                                                                              m.group("hand") or ""), text)
        return stringWidth(plain, font, size)

    def _wrap(self, text: str, font: str, size: float, x0: float) -> list[str]:
        lines: list[str] = []
        for word in re.split(r"(?<=\S) (?=\S)", text):
            if lines and not self._too_wide(lines[-1] + " " + word, font, size, x0):
                lines[-1] += " " + word
            else:
                lines.append(word)
        return lines

    def _draw(self, text: str, font: str, size: float, x0: float, where: str) -> None:
        self._room(size * 1.3, where)
        baseline = self.y + size
        x, position = x0, 0
        for match in _INLINE.finditer(text):
            x = self._text(text[position:match.start()], x, baseline, font, size)
            if match.group("box") is not None:
                side = max(8.0, size * 0.95)
                self.page.boxes.append(Box(x + 1, baseline - size * 0.8, side, BOX_MARKS[match.group("box")]))
                x += side + 4
            elif match.group("circled") is not None:
                word = match.group("circled")
                end = self._text(word, x + 7, baseline, font, size)
                self.page.ellipses.append(Ellipse(x, baseline - size * 1.1, end + 7, baseline + size * 0.5))
                x = end + 10
            elif match.group("hand") is not None:
                end = self._text(match.group("hand"), x + 2, baseline, HAND_FONT, size + 1)
                self.page.rules.append(Rule(x, baseline + 2, end + 4, baseline + 2))
                x = end + 4
            else:
                stops = [MARGIN + t for t in self.tabs if MARGIN + t > x + 2]
                if not stops:
                    raise SourceError(f"{where}: '>>' past the last tab stop")
                x = stops[0]
            position = match.end()
        x = self._text(text[position:], x, baseline, font, size)
        if x > PAGE_WIDTH - 20:
            raise SourceError(f"{where}: line runs off the page")
        self.y += size * 1.3

    def _text(self, text: str, x: float, baseline: float, font: str, size: float) -> float:
        if text:
            try:
                text.encode("latin-1")
            except UnicodeEncodeError:
                raise SourceError(f"{self.path}: non-Latin-1 character in {text!r}") from None
            self.page.lines.append(TextLine(x, baseline, text, [], font, size))
        return x + stringWidth(text, font, size)


def _layout(path: Path, body: str, first_line: int) -> list[PageDraft]:
    writer = _PageWriter(path)
    for number, line in enumerate(body.split("\n"), start=first_line):
        where = f"{path}:{number}"
        line = line.rstrip()
        if _PAGE_BREAK.match(line):
            writer.new_page()
        elif not writer.pages:
            if line.strip():
                raise SourceError(f"{where}: text before the first '=== page ===' line")
        elif line.startswith("@"):
            writer.directive(line, where)
        else:
            writer.write(line, where)
    if not writer.pages:
        raise SourceError(f"{path}: no pages")
    return writer.pages


def render_packet(packet: SourcePacket, out_dir: Path, split: str) -> dict[str, Any]:
    """Writes the packet's file into out_dir and returns its truth record."""
    suffix, resolution, compression = RENDERS[packet.header["render"]]
    name = packet.path.name.removesuffix(".packet") + suffix
    pdf = render_pdf(packet.pages, title=f"hand-written packet {packet.path.stem} (synthetic patient)")
    target = out_dir / name
    if resolution is None:
        target.write_bytes(pdf)
    else:
        # The header says how far to turn the page back upright; the fax line turned it the other way.
        rotations = {int(page) - 1: (360 - degrees) % 360 for page, degrees in packet.header.get("rotate", {}).items()}
        damage = FaxDamage(noise=float(packet.header.get("noise", 0.0)),
                           skew_degrees=float(packet.header.get("skew", 0.0)), rotations=rotations,
                           seed=int(packet.header.get("seed", 0)), resolution=resolution,
                           header=packet.header.get("fax_header"))
        pdf_to_fax(pdf, target, damage, compression=compression, sent_at=datetime(2026, 1, 1))
    return packet.truth_record(name, split)


def render_folder(src: Path, out_dir: Path, split: str | None = None) -> list[dict[str, Any]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    packets = [parse_source(p) for p in sorted(src.rglob("*.packet"))]
    records = [render_packet(p, out_dir, split or src.name) for p in packets]
    with open(out_dir / "truth.jsonl", "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    return records


def render_folder_cached(src: Path, render_dir: Path) -> Path:
    """The folder of src's rendered packets under render_dir, rendered only when the sources or the
    renderer changed (the name carries a hash of both)."""
    digest = hashlib.sha256()
    for path in sorted(src.rglob("*.packet")):
        digest.update(path.relative_to(src).as_posix().encode() + b"\0" + path.read_bytes())
    for module in ("source_packets.py", "fax.py", "render.py", "layout.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    target = render_dir / f"{src.name}-{digest.hexdigest()[:12]}"
    if not (target / "truth.jsonl").exists():
        staging = Path(tempfile.mkdtemp(prefix=f".{src.name}-", dir=render_dir.mkdir(parents=True, exist_ok=True)
                                        or render_dir))
        render_folder(src, staging)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="folder of *.packet files")
    parser.add_argument("out", type=Path, nargs="?", help="folder for the rendered files and truth.jsonl")
    parser.add_argument("--check", action="store_true", help="parse and lay out only; render nothing")
    args = parser.parse_args(argv)
    sources = sorted(args.src.rglob("*.packet")) if args.src.is_dir() else [args.src]
    errors = 0
    for path in sources:
        try:
            packet = parse_source(path)
        except SourceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            errors += 1
            continue
        if args.check:
            print(f"ok: {path} ({len(packet.pages)} pages, {packet.header['render']})")
    if errors or args.check:
        return 1 if errors else 0
    if args.out is None:
        parser.error("OUT is required unless --check")
    for record in render_folder(args.src, args.out):
        print(f"{record['file']}: {record['pages']} pages, {record['recommendation']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
