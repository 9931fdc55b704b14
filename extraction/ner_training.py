"""train_ner: a small spaCy NER on the synthetic corpus, reproducible from a seed.

Trained on the same scispaCy-tokenized blank pipeline that extraction.nlp runs, without
vectors and with a narrow tok2vec, so the packaged model stays a few MB. Entity spans that
do not fall on token boundaries are dropped (counted), never guessed.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path

from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from extraction.nlp import blank_pipeline

log = logging.getLogger(__name__)

AnnotatedText = tuple[str, list[tuple[int, int, str]]]

# A narrow CNN: enough for names, ids and dates in form context, small on disk.
NER_CONFIG = {
    "model": {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": 64,
        "maxout_pieces": 2,
        "use_upper": True,
        "tok2vec": {
            "@architectures": "spacy.HashEmbedCNN.v2",
            "pretrained_vectors": None,
            "width": 64,
            "depth": 2,
            "embed_size": 2000,
            "window_size": 1,
            "maxout_pieces": 3,
            "subword_features": True,
        },
    }
}
BATCH_SIZE = 16
DROPOUT = 0.2


@dataclass(frozen=True)
class TrainingReport:
    examples: int
    dropped_spans: int
    final_loss: float
    output_dir: Path


def train_ner(output_dir: Path | str, corpus: list[AnnotatedText], seed: int, iterations: int) -> TrainingReport:
    """Trains on `corpus` (texts with labelled character spans) and saves to output_dir; the
    caller chooses the corpus (`intake train-ner`: the generator's train split)."""
    fix_random_seed(seed)
    nlp = blank_pipeline()
    ner = nlp.add_pipe("ner", config=NER_CONFIG)
    examples, dropped = _examples(nlp, corpus)
    for example in examples:
        for ent in example.reference.ents:
            ner.add_label(ent.label_)
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    loss = 0.0
    for iteration in range(iterations):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=BATCH_SIZE):
            nlp.update(batch, drop=DROPOUT, sgd=optimizer, losses=losses)
        loss = losses.get("ner", 0.0)
        log.info("ner iteration %d loss %.2f", iteration + 1, loss)
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    nlp.meta.update({"name": "car_t_intake_ner", "version": "0.1.0",
                     "description": "Synthetic-trained NER for CAR-T prior-authorization packets"})
    nlp.to_disk(output)
    return TrainingReport(len(examples), dropped, loss, output)


def _examples(nlp, corpus: list[AnnotatedText]) -> tuple[list[Example], int]:
    examples, dropped = [], 0
    for text, spans in corpus:
        doc = nlp.make_doc(text)
        ents = []
        for start, end, label in spans:
            span = doc.char_span(start, end, label=label, alignment_mode="contract")
            if span is None or not span.text.strip():
                dropped += 1
                continue
            ents.append(span)
        kept, last_end = [], -1
        for span in sorted(ents, key=lambda s: (s.start, -len(s))):
            if span.start >= last_end:
                kept.append(span)
                last_end = span.end
            else:
                dropped += 1
        examples.append(Example.from_dict(doc, {"entities": [(s.start_char, s.end_char, s.label_) for s in kept]}))
    return examples, dropped
