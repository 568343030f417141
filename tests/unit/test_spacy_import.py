"""bot.parsers.nlp.import_spacy: spaCy without its command line, and nothing of spaCy missing afterwards.
Each check runs in a fresh interpreter, because the test process has imported spaCy long before."""

from __future__ import annotations

from tests.support.fresh import run_fresh


def test_the_tokenizers_load_without_spacys_command_line() -> None:
    result = run_fresh(
        """
        import json, sys
        from bot.parsers import nlp
        tokens = [t.text for t in nlp.tokenize("Anruf mit Max z.B. morgen", "de")]
        print(json.dumps({"tokens": tokens, "loaded": sorted(m for m in ("spacy.cli", "typer", "weasel")
                                                           if m in sys.modules)}))
        """
    )
    assert result == {"tokens": ["Anruf", "mit", "Max", "z.B.", "morgen"], "loaded": []}


def test_spacy_info_and_a_later_import_of_its_command_line_are_the_real_ones() -> None:
    result = run_fresh(
        """
        import json
        from bot.parsers import nlp
        spacy = nlp.import_spacy()
        about = spacy.info(silent=True)
        import spacy.cli
        print(json.dumps({"version": about["spacy_version"], "download": callable(spacy.cli.download),
                          "same": nlp.import_spacy() is spacy}))
        """
    )
    import spacy

    assert result == {"version": spacy.__version__, "download": True, "same": True}
