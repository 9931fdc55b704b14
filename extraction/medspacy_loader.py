"""medspaCy without QuickUMLS: import this module before medspaCy.

`medspacy.util` imports QuickUMLS at module level for its optional UMLS component, and QuickUMLS
imports NLTK, which imports SciPy's statistics and scikit-learn: about 100 MB of memory in every
worker and a second at every process start, for a component this pipeline never adds (terminology
is our own, extraction/terminology). Unless QuickUMLS is already loaded, an empty stand-in takes
its place; medspaCy's "medspacy_quickumls" factory is then not registered, and asking for it fails
with spaCy's unknown-factory error.
"""
from __future__ import annotations

import sys
import types

if "quickumls" not in sys.modules:
    _stand_in = types.ModuleType("quickumls", "stand-in: QuickUMLS is not used (extraction/medspacy_loader.py)")
    _stand_in.__path__ = []  # a package, so `from quickumls import spacy_component` resolves below
    _stand_in.spacy_component = types.ModuleType("quickumls.spacy_component")  # type: ignore[attr-defined]
    sys.modules["quickumls"] = _stand_in
    sys.modules["quickumls.spacy_component"] = _stand_in.spacy_component  # type: ignore[attr-defined]
