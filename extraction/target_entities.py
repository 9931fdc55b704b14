"""medspaCy's TargetMatcher with its matches added to doc.ents in one assignment.

medspaCy adds each match with `doc.ents += (span,)`, skipping (with a warning) a match whose
tokens already belong to an entity; every addition revalidates all entities so far, so a dense
24-page packet (~700 matches) spent two of its six analysis seconds there, growing with the square
of the packet. Here the same matches are taken in the same order and skipped on the same overlap,
tracked by token, and doc.ents is set once.
"""
from __future__ import annotations

import warnings

import extraction.medspacy_loader  # noqa: F401,I001  before medspaCy
from medspacy.target_matcher import TargetMatcher
from spacy.tokens import Doc


class EntityTargetMatcher(TargetMatcher):
    def __init__(self, nlp, name: str = "medspacy_target_matcher") -> None:
        super().__init__(nlp, name=name, result_type=None)  # medspaCy returns the matches; we place them

    def __call__(self, doc: Doc) -> Doc:
        entities = list(doc.ents)
        taken = {i for entity in entities for i in range(entity.start, entity.end)}
        for span in super().__call__(doc):
            tokens = range(span.start, span.end)
            if any(i in taken for i in tokens):
                warnings.warn(f'The result ""{span}"" conflicts with a pre-existing entity in doc.ents. This '
                              f"result has been skipped.", RuntimeWarning)  # medspaCy's warning
                continue
            entities.append(span)
            taken.update(tokens)
        doc.ents = entities
        return doc
