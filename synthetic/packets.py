"""A packet = one case's pages, rendered and (usually) sent through a simulated fax line,
plus its ground-truth record for samples/truth.jsonl."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

from synthetic import clinical, forms
from synthetic.case import Case, choose_features, draw_case
from synthetic.fax import FaxDamage, pdf_to_fax
from synthetic.layout import PageDraft
from synthetic.phrasings import load_phrasings, load_vocabulary
from synthetic.policy_plan import planned_features
from synthetic.policy_profile import PolicyProfile, load_profile
from synthetic.render import render_pdf
from synthetic.truth import expected_criteria, recommendation

MAX_PAGES = 6
DIGITAL_EVERY = 7  # about 15% of packets stay digital PDFs with a text layer
MEDIA_TYPES = {".pdf": "application/pdf", ".tif": "image/tiff"}


@dataclass
class Packet:
    case: Case
    pages: list[PageDraft]
    suffix: str  # .pdf or .tif
    damage: FaxDamage | None  # None: stays a digital PDF with a text layer
    compression: str = "group4"
    profile: PolicyProfile | None = None  # the policy of a policy's own set; None: the original set

    def tags(self) -> list[str]:
        tags = set(self.case.tags())
        if self.damage is None:
            tags.add("digital_pdf")
        else:
            tags.add("fax_tiff" if self.suffix == ".tif" else "fax_pdf")
            tags.update(f"rotated_{deg if deg != 270 else 90}" for deg in self.damage.rotations.values())
        return sorted(tags)

    def truth_record(self, file: str) -> dict[str, Any]:
        fields = self.case.truth_fields()
        criteria = expected_criteria(fields, self.profile.policy if self.profile else None)
        # The original set's rows name no policy (they are judged by the default one), as ever.
        policy = {"policy": self.profile.policy_id} if self.profile else {}
        return policy | {
            "file": file, "split": self.case.split, "media_type": MEDIA_TYPES[self.suffix],
            "pages": len(self.pages), "fields": fields, "criteria": criteria,
            "recommendation": recommendation(criteria), "tags": self.tags(),
            "rotated_pages": {str(i + 1): deg for i, deg in sorted(self.damage.rotations.items())} if self.damage else {},
        }


def packet_rng(split: str, seed: int, index: int) -> random.Random:
    # A string seed is hashed with SHA-512 by `random`, so it is stable across processes.
    return random.Random(f"{split}:{seed}:{index}")


def set_name(split: str, profile: PolicyProfile | None = None) -> str:
    """The split its truth rows name and its files start with: `eval`, or `eval-kymriah` for a policy's set."""
    return split if profile is None else f"{split}-{profile.set_name}"


def build_packet(split: str, seed: int, index: int, profile: PolicyProfile | None = None) -> Packet:
    """Packet `index` of a set, in `split`'s phrasings. Without a profile: the original set (the default
    policy's product and criteria, hard cases by `choose_features`, rows naming no policy); with one:
    that policy's set (its product, its criteria, hard cases by `planned_features`)."""
    name = set_name(split, profile)
    rng = packet_rng(name, seed, index)
    phrasings, vocab = load_phrasings(split), load_vocabulary()
    features = choose_features(rng, index, seed % 7) if profile is None else planned_features(profile, index)
    case = draw_case(rng, name, index, features, profile or load_profile(), phrasings, vocab)
    digital = (index + seed) % DIGITAL_EVERY == 3
    clinical_pages = clinical.note_pages(rng, case, phrasings)
    if case.diagnosis.name == "T-cell ALL" or (case.other_dob and case.other_dob[0] == "donor") or rng.random() < 0.6:
        clinical_pages += clinical.pathology_pages(rng, case, phrasings)
    if case.prior_kind != "none" or rng.random() < 0.4:
        clinical_pages += clinical.history_pages(rng, case, phrasings)
    if case.label_products:
        clinical_pages.insert(rng.randint(0, len(clinical_pages)), *clinical.label_pages(rng, case, phrasings))
    pages = forms.request_form(rng, case, phrasings, vocab) + clinical_pages
    with_cover = not digital or rng.random() < 0.5 or len(pages) < 3
    pages = pages[:MAX_PAGES - 1 if with_cover else MAX_PAGES]
    if with_cover:
        pages = [forms.cover_page(rng, case, phrasings, len(pages) + 1)] + pages
    if digital:
        return Packet(case, pages, ".pdf", None, profile=profile)
    rotations: dict[int, int] = {}
    if (index + seed) % 5 == 1:
        rotations[rng.randrange(1, len(pages))] = 180
    elif (index + seed) % 5 == 3:
        rotations[rng.randrange(1, len(pages))] = rng.choice([90, 270])
    damage = FaxDamage(noise=rng.uniform(0.0005, 0.003), skew_degrees=rng.uniform(0.2, 1.5),
                       rotations=rotations, seed=rng.randrange(1 << 30))
    suffix = ".tif" if rng.random() < 0.4 else ".pdf"
    compression = "group3" if suffix == ".tif" and rng.random() < 0.3 else "group4"
    return Packet(case, pages, suffix, damage, compression, profile)


def write_packet(packet: Packet, out_dir: Path, stem: str) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}{packet.suffix}"
    pdf = render_pdf(packet.pages, title=f"synthetic packet {stem}")
    if packet.damage is None:
        path.write_bytes(pdf)
    else:
        sent_at = datetime.combine(packet.case.request_date, time(9, 30))
        pdf_to_fax(pdf, path, packet.damage, compression=packet.compression, sent_at=sent_at)
    return packet.truth_record(path.name)
