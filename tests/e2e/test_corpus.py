"""The labelled chat corpus through the real `crmbot say --batch` (issue 3: ≥ 97 % of messages fully right).

The measuring is :mod:`benchmarks.corpus_accuracy` (also a script that prints the figures for BENCHMARKS.md);
the batch runs as a subprocess of the installed entry point on a fresh demo database with the fixed clock.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks.corpus_accuracy import DEFAULT_CORPUS, FIELDS, INTENTS, format_report, load_corpus, measure

MIN_MESSAGES = 220
MIN_FULLY_RIGHT = 0.97


def test_corpus_covers_every_intent_and_both_languages() -> None:
    cases = load_corpus(DEFAULT_CORPUS)
    assert len(cases) >= MIN_MESSAGES
    intents = Counter(c.expect["intent"] for c in cases)
    assert set(intents) == set(INTENTS), f"missing: {sorted(set(INTENTS) - set(intents))}"
    languages = Counter(c.lang for c in cases)
    assert set(languages) == {"en", "de"}
    assert min(languages.values()) >= 0.4 * len(cases), languages  # roughly half and half
    assert {c.user for c in cases} == {"anna", "bob"}
    assert any(c.expect["needs_clarification"] for c in cases)


@pytest.mark.slow
def test_corpus_accuracy(tmp_path: Path) -> None:
    cases = load_corpus(DEFAULT_CORPUS)
    assert len(cases) >= MIN_MESSAGES
    assert {c.expect["intent"] for c in cases} == set(INTENTS)
    assert {c.lang for c in cases} >= {"en", "de"}

    summary = measure(cases, workdir=tmp_path)

    assert summary.total == len(cases)
    assert set(summary.fields) == set(FIELDS)
    fully_right = summary.rate
    assert fully_right >= MIN_FULLY_RIGHT, format_report(summary)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["corpus_holdout.jsonl", "corpus_fresh.jsonl"])
def test_later_corpora_accuracy(tmp_path: Path, name: str) -> None:
    """Two more corpora, each written without seeing the phrasings of the ones before (their first, blind
    scores are in BENCHMARKS.md); kept at ≥ 97 % once the causes they exposed were fixed."""
    cases = load_corpus(DEFAULT_CORPUS.parent / name)
    assert len(cases) >= 100
    summary = measure(cases, workdir=tmp_path)
    assert summary.rate >= MIN_FULLY_RIGHT, format_report(summary)
