"""ConText pairs targets with modifiers through a token index (extraction/indexed_context.py): the
same modifiers on the same targets as medspaCy's own all-pairs graph, on a long packet."""
from __future__ import annotations

import pytest
from medspacy.context.context_graph import ConTextGraph
from medspacy.context.context_modifier import ConTextModifier

from extraction.nlp import NlpConfig, build_pipeline

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
def nlp():
    return build_pipeline(NlpConfig(ner_model=None))


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
    negated = [e for e in doc.ents if e._.is_negated]
    assert negated and all(e._.modifiers for e in negated)
