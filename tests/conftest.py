"""Fixtures shared by the test modules: each spaCy pipeline is built once per test session."""
from __future__ import annotations

import pytest

from extraction.nlp import NlpConfig, build_pipeline


@pytest.fixture(scope="session")
def nlp():
    """The service's pipeline: rules, ConText and our small NER model."""
    return build_pipeline(NlpConfig())


@pytest.fixture(scope="session")
def rules_nlp():
    """The pipeline without the NER model: what the rules alone find."""
    return build_pipeline(NlpConfig(ner_model=None))
