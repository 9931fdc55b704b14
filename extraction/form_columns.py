"""Where a form's Yes / No (/ N/A) answer columns stand: the printed heads over a table or beside
its cells, and the head a mark or a box falls under. Works on PacketText offsets and word boxes."""
from __future__ import annotations

import itertools
import re

from extraction.imaging import answer_word
from extraction.text import CheckboxLabel, PacketText

_HEAD_REACH = 12  # lines above a row where its table's column heads may stand
_HEAD_WORDS = {"y", "n", "yn", "yes", "no", "na", "n/a"}
_RUN_HEADS = _HEAD_WORDS | {"u", "unk", "unknown", "yon"}


def line_heads(packet: PacketText, line_start: int, line_end: int) -> list[tuple[float, bool | None]] | None:
    """"Yes [ ]  No [x]" printed beside the cells on their own line: those words are the heads."""
    heads = _heads(packet, line_start, line_end, packet.page_at(line_start), glued=True)
    return heads if any(v is True for _, v in heads) and any(v is False for _, v in heads) else None


def _heads(packet: PacketText, line_start: int, line_end: int, page: int,
           glued: bool = False) -> list[tuple[float, bool | None]]:
    """Yes / No (/ N/A) words and their x-centres; `glued` also takes a box's ink stuck to the word
    ("Noly" for "No" and a tick)."""
    heads = []
    spans = [w for w in packet.words_in(line_start, line_end) if w.page == page]
    # "Y  N  NA" (OCR: "YN. NA") heading its columns: single letters only on a line of heads alone,
    # or as the run of heads ending a row title's line ("FIELD  Y  N  U").
    run_start, run, index = 0, 0, 0  # the longest run of head words on the line
    for is_head, group in itertools.groupby(answer_word(w.word.text).lower() in _RUN_HEADS for w in spans):
        length = len(list(group))
        if is_head and length > run:
            run_start, run = index, length
        index += length
    # ("CODES Y=YES N=NO  Y  N  U" ends its line with them; "ITEM  Y  N  U  SOURCE": a title word
    # or two either side of the run.)
    letters = bool(spans) and (run == len(spans) or (
        run >= 2 and not glued and (run_start + run == len(spans) or len(spans) - run <= 2)))
    if letters:
        spans = spans[run_start:run_start + run]
    for span in spans:
        word = answer_word(span.word.text).lower()
        if glued:
            word = re.sub(r"^(yes|no)[a-z]{1,2}$", r"\1", word)
        x0, x1 = span.word.bbox.x0, span.word.bbox.x1
        if letters and word in ("yn", "yon"):
            share = 4 if word == "yn" else 6
            heads += [(x0 + (x1 - x0) / share, True), (x1 - (x1 - x0) / share, False)]
            continue
        if letters and word in ("y", "n", "u"):
            word = {"y": "yes", "n": "no", "u": "unk"}[word]
        value = (True if word == "yes" else False if word == "no"
                 else None if word in ("na", "n/a", "unk", "unknown") else "-")
        if value != "-":
            heads.append(((x0 + x1) / 2, value))
    return heads


def column_heads(packet: PacketText, offset: int) -> list[tuple[float, bool | None]] | None:
    """x-centres of the Yes / No (/ N/A) heads of the table holding `offset`, nearest line up."""
    page = packet.page_at(offset)
    line_start, _ = packet.line_bounds(offset)
    for _ in range(_HEAD_REACH):
        if line_start == 0:
            return None
        line_start, line_end = packet.line_bounds(line_start - 1)
        heads = _heads(packet, line_start, line_end, page)
        words = [answer_word(w.word.text).lower() for w in packet.words_in(line_start, line_end) if w.page == page]
        # A heads row is mostly heads ("Question  Yes  No  N/A"), or opens with them above their
        # columns, a section's title beside ("Yes  No  PART 3 - SITE OF CARE"); "Fill the box under
        # Yes, No or N/A" is an instruction whose words stand anywhere.
        if (any(v is True for _, v in heads) and any(v is False for _, v in heads)
                and (len(heads) * 2 >= len(words) or words[:2] == ["yes", "no"])):
            return heads
    return None


def nearest_head(heads: list[tuple[float, bool | None]], cell: CheckboxLabel) -> bool | None:
    return head_at(heads, (cell.checkbox.bbox.x0 + cell.checkbox.bbox.x1) / 2)


def head_at(heads: list[tuple[float, bool | None]], centre: float) -> bool | None:
    return min(heads, key=lambda head: abs(head[0] - centre))[1]
