"""The pipeline's linear replacements for two quadratic medspaCy steps give medspaCy's results on a
long packet: ConText pairs targets with modifiers through a token index (extraction/indexed_context.py),
and target matches are placed in doc.ents at once (extraction/target_entities.py)."""
from __future__ import annotations

import pytest
from medspacy.context.context_graph import ConTextGraph
from medspacy.context.context_modifier import ConTextModifier
from spacy.tokens import Span


LINES = [
    "Prior CAR-T therapy: No",
    "The patient has never",
    "received tisagenlecleucel or any other CAR-T product.",
    "Denies prior CD19-directed CAR-T therapy; her brother received Kymriah in 2021.",
    "Possible relapse of B-cell acute lymphoblastic leukemia, no evidence of CNS disease.",
    "History of blinatumomab and inotuzumab; planned: obecabtagene autoleucel (Aucatzyl).",
    "Caregiver available 24/7: Yes   Remain within 2 hours of the treatment center: No",
    "If outpatient, will the patient be monitored daily? not applicable, but no inpatient bed.",
]


@pytest.fixture(scope="module")
def nlp(rules_nlp):
    return rules_nlp


def pairs(graph_edges) -> list[tuple]:
    return [(t.start, t.end, t.label_, m.modifier_span, m.category) for t, m in graph_edges]


def test_the_index_pairs_exactly_what_medspacy_pairs(nlp):
    doc = nlp("\n".join(LINES * 40))  # 320 lines: hundreds of targets and modifiers
    context = nlp.get_pipe("medspacy_context")
    ours = pairs(doc._.context_graph.edges)

    matcher = context._ConText__matcher
    reference = ConTextGraph(targets=doc.ents, prune_on_modifier_overlap=context.prune_on_target_overlap)
    reference.modifiers = [ConTextModifier(matcher.rule_map[nlp.vocab[match_id].text], start, end, doc,
                                           max_scope=context.max_scope) for match_id, start, end in matcher(doc)]
    reference.update_scopes()
    reference.apply_modifiers()  # medspaCy's: every target against every modifier

    assert len(doc.ents) >= 400 and len(reference.modifiers) >= 400
    assert len(ours) >= 200 and ours == pairs(reference.edges)
    assert [m.scope_span for m in doc._.context_graph.modifiers] == [m.scope_span for m in reference.modifiers]
    negated = [e for e in doc.ents if e._.is_negated]
    assert negated and all(e._.modifiers for e in negated)


def test_target_matches_become_the_same_entities_as_with_medspacy(nlp):
    """extraction/target_entities.py places the matches at once; medspaCy adds them one by one."""
    from medspacy.target_matcher import TargetMatcher

    ours = nlp.get_pipe("medspacy_target_matcher")
    reference = TargetMatcher(nlp, name="reference_target_matcher", result_type="ents")
    reference.add(ours.rules)
    before = nlp.pipe_names[:nlp.pipe_names.index("medspacy_target_matcher")]
    text = "\n".join(LINES * 40)
    docs = []
    for matcher in (ours, reference):
        doc = nlp.make_doc(text)
        for name in before:
            doc = nlp.get_pipe(name)(doc)
        doc.ents = [Span(doc, 2, 4, "EARLIER")]  # an entity set upstream: the match over it is skipped
        with pytest.warns(RuntimeWarning, match="conflicts with a pre-existing entity"):
            docs.append(matcher(doc))
    placed = [[(e.start, e.end, e.label_, e._.normalized) for e in doc.ents] for doc in docs]
    assert len(placed[0]) >= 400 and placed[0] == placed[1]
    assert placed[0][0][2] == "EARLIER"
