"""NER training corpus: the generator's own page texts with exact entity offsets.

Each passage is one page's text (lines joined by newlines, as the page draws it). OCR-like
confusions are same-length substitutions, so offsets stay exact. Train only on split="train";
the eval split exists here so evaluation scripts can measure NER on held-out phrasings.
"""
from __future__ import annotations

import random

from synthetic.packets import build_packet

LABELS = ("PATIENT_NAME", "BIRTH_DATE", "OTHER_DATE", "DIAGNOSIS", "CAR_T_PRODUCT", "MEMBER_ID", "OTHER_PERSON")
OCR_CONFUSIONS = {"O": "0", "0": "O", "l": "1", "1": "l", "I": "l", "S": "5", "B": "8", "e": "c"}

AnnotatedText = tuple[str, list[tuple[int, int, str]]]


def annotated_texts(split: str, count: int, seed: int, *, ocr_error_rate: float = 0.01) -> list[AnnotatedText]:
    """`count` page passages from split's packets, each with sorted (start, end, label) spans.

    `ocr_error_rate` is the chance that each confusable character (O/0, l/1, I, S, B, e) is swapped.
    """
    rng = random.Random(f"corpus:{split}:{seed}")
    out: list[AnnotatedText] = []
    index = 0
    while len(out) < count:
        packet = build_packet(split, seed, index)
        index += 1
        for page in packet.pages:
            text, spans = page.text()
            out.append((_ocr_noise(text, rng, ocr_error_rate), sorted(spans)))
            if len(out) == count:
                break
    return out


def _ocr_noise(text: str, rng: random.Random, rate: float) -> str:
    if rate <= 0:
        return text
    chars = list(text)
    for i, ch in enumerate(chars):
        swap = OCR_CONFUSIONS.get(ch)
        if swap and rng.random() < rate:
            chars[i] = swap
    return "".join(chars)
