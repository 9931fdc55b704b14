"""medspaCy's ConText with the target/modifier pairing indexed by token position.

medspaCy's ConTextGraph.apply_modifiers asks every modifier about every target: a dense 24-page
packet has ~700 targets and ~1,500 modifiers, a million `modifies` calls, and the cost grows with
the square of the packet. A modifier can only modify a target whose first or last token lies in
its scope (`modifies` starts from medspaCy's `tuple_overlaps(scope, target)`, whose scope is
fixed by then), so each target asks only the modifiers whose scope covers one of those two
tokens, in the original order: the same calls with the same results, linear in the packet.
Settling the scopes first (medspaCy's update_scopes, every pair of modifiers) runs the same way
within each cluster of overlapping modifiers.
"""
from __future__ import annotations

from collections import defaultdict

import extraction.medspacy_loader  # noqa: F401,I001  before medspaCy
from medspacy.context import ConText
from medspacy.context.context_graph import ConTextGraph
from medspacy.context.context_modifier import ConTextModifier
from medspacy.util import tuple_overlaps
from spacy.tokens import Doc


class IndexedConTextGraph(ConTextGraph):
    def update_scopes(self) -> None:
        """medspaCy's pairwise scope limiting, run within each cluster of modifiers whose spans and
        scopes overlap. limit_scope acts only on overlapping scopes and only moves a scope's ends to
        another modifier's span, so every end stays inside its cluster's extent and modifiers of
        different clusters never act on each other; within a cluster the pairs run in medspaCy's
        order."""
        for cluster in _clusters(self.modifiers):
            for i, first in enumerate(cluster[:-1]):
                for second in cluster[i + 1:]:
                    first.limit_scope(second)
                    second.limit_scope(first)

    def apply_modifiers(self) -> None:
        if self.prune_on_modifier_overlap:  # as medspaCy: a modifier overlapping a target is dropped
            self.modifiers = [m for m in self.modifiers
                              if not any(tuple_overlaps((t.start, t.end), m.modifier_span) for t in self.targets)]
        covering: dict[int, list[int]] = defaultdict(list)  # token -> modifiers whose scope holds it
        for index, modifier in enumerate(self.modifiers):
            start, end = modifier.scope_span
            for token in range(start, end):  # a reversed (empty) scope covers nothing, as in tuple_overlaps
                covering[token].append(index)
        for target in self.targets:
            # tuple_overlaps(scope, (t0, t1)): t0 in [s0, s1) or t1 - 1 in [s0, s1)
            for index in sorted(set(covering.get(target.start, ())) | set(covering.get(target.end - 1, ()))):
                modifier = self.modifiers[index]
                if modifier.modifies(target):
                    modifier.modify(target)
        edges = []
        for modifier in self.modifiers:
            modifier.reduce_targets()
            edges.extend((target, modifier) for target in modifier._targets)
        self.edges = edges


def _clusters(modifiers: list[ConTextModifier]) -> list[list[ConTextModifier]]:
    """Modifiers grouped by overlapping extent (their span and scope, ends included), each group
    in the original order."""
    extents = []
    for index, modifier in enumerate(modifiers):
        ends = (*modifier.modifier_span, *modifier.scope_span)
        extents.append((min(ends), max(ends), index))
    groups: list[list[int]] = []
    reach = None
    for low, high, index in sorted(extents):
        if reach is None or low > reach:
            groups.append([])
            reach = high
        groups[-1].append(index)
        reach = max(reach, high)
    return [[modifiers[i] for i in sorted(group)] for group in groups]


class IndexedConText(ConText):
    """ConText whose graph pairs targets and modifiers through IndexedConTextGraph."""

    def __call__(self, doc: Doc, targets: str | None = None) -> Doc:
        if targets:
            spans = getattr(doc._, targets)
        elif self.input_span_type == "group":
            spans = doc.spans[self.span_group_name]
        else:
            spans = doc.ents
        graph = IndexedConTextGraph(prune_on_modifier_overlap=self.prune_on_target_overlap)
        graph.targets = spans
        matcher = self._ConText__matcher  # medspaCy keeps its rule matcher private
        for match_id, start, end in matcher(doc):
            rule = matcher.rule_map[self.nlp.vocab[match_id].text]
            graph.modifiers.append(ConTextModifier(rule, start, end, doc, max_scope=self.max_scope))
        graph.update_scopes()
        graph.apply_modifiers()
        for target, modifier in graph.edges:
            target._.modifiers += (modifier,)
        if self.context_attributes_mapping:
            self.set_context_attributes(graph.edges)
        doc._.context_graph = graph
        return doc
