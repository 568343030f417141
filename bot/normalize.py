"""Normalisation of names and addresses for matching.

``fold`` maps every spelling a salesperson might type to one key: case, accents, German transliteration in
both directions (Müller = Mueller = Muller), punctuation, initials ("e.V." = "eV"). ``name_key`` also drops
legal-form suffixes (GmbH, AG, & Co. KG, Inc, Ltd ...). Both sides of a comparison go through the same
function, so the mapping only has to be consistent, not reversible.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that NFKD does not decompose into a base letter plus a combining mark.
_SPECIAL_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ŀ": "l"}
)
# Transliterated German umlauts collapse onto the plain vowel, as ä/ö/ü do after accent stripping.
_DIGRAPHS = re.compile(r"ae|oe|ue")
_DIGRAPH_MAP = {"ae": "a", "oe": "o", "ue": "u"}
_APOSTROPHES = re.compile(r"['’`´]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")

_LEGAL_SUFFIX_FORMS = (
    "GmbH",
    "mbH",
    "gGmbH",
    "AG",
    "KG",
    "KGaA",
    "SE",
    "UG",
    "haftungsbeschränkt",
    "OHG",
    "GbR",
    "e.V.",
    "eG",
    "PartG",
    "PartGmbB",
    "Co",
    "Cie",
    "Inc",
    "Incorporated",
    "Ltd",
    "Limited",
    "LLC",
    "LLP",
    "LP",
    "Corp",
    "Corporation",
    "Company",
    "PLC",
    "SA",
    "SAS",
    "SARL",
    "SL",
    "SRL",
    "SpA",
    "BV",
    "NV",
    "AB",
    "Oy",
    "Oyj",
    "AS",
    "ApS",
    "Pty",
    "Pvt",
    "Kft",
    "sro",
    "doo",
    "GesmbH",
    "Ges.m.b.H.",
)

FREEMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.de",
        "hotmail.com",
        "hotmail.de",
        "live.com",
        "live.de",
        "msn.com",
        "yahoo.com",
        "yahoo.de",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "aol.de",
        "gmx.de",
        "gmx.net",
        "gmx.at",
        "gmx.ch",
        "gmx.com",
        "web.de",
        "t-online.de",
        "freenet.de",
        "posteo.de",
        "mailbox.org",
        "proton.me",
        "protonmail.com",
        "arcor.de",
        "1und1.de",
        "mail.de",
        "online.de",
        "vodafone.de",
        "zoho.com",
        "yandex.com",
        "mail.ru",
        "fastmail.com",
        "hey.com",
    }
)


def _join_initials(tokens: list[str]) -> list[str]:
    """Merge runs of single-letter tokens: ``e v`` -> ``ev``, ``a b c`` -> ``abc``."""
    out: list[str] = []
    run: list[str] = []
    for tok in tokens:
        if len(tok) == 1 and tok.isalpha():
            run.append(tok)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(tok)
    if run:
        out.append("".join(run))
    return out


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Fold *text* to its matching form: lower case ASCII words separated by single spaces."""
    text = text.casefold().translate(_SPECIAL_LETTERS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _DIGRAPHS.sub(lambda m: _DIGRAPH_MAP[m.group(0)], text)
    text = _APOSTROPHES.sub("", text)
    return " ".join(_join_initials(_NON_ALNUM.sub(" ", text).split()))


# Words too common to find a company by on their own.
_TOKEN_STOPWORDS = frozenset(
    [
        "and",
        "und",
        "the",
        "der",
        "die",
        "das",
        "den",
        "dem",
        "des",
        "of",
        "von",
        "vom",
        "fur",
        "for",
        "de",
        "la",
        "le",
        "les",
        "et",
        "du",
        "y",
        "e",
        "a",
        "an",
        "in",
        "im",
        "am",
        "zu",
        "zum",
        "zur",
    ]
)


LEGAL_SUFFIXES = frozenset(fold(form).replace(" ", "") for form in _LEGAL_SUFFIX_FORMS)


def strip_legal_suffix(folded: str) -> str:
    """Drop trailing legal-form tokens from a folded name ("muller bau gmbh co kg" -> "muller bau")."""
    tokens = folded.split()
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES and not set(tokens[:-1]) <= _TOKEN_STOPWORDS:
        tokens.pop()
    return " ".join(tokens)


def name_key(name: str) -> str:
    """The matching key of a company name: folded, a joining "und"/"and" dropped ("Müller und Söhne" is
    "Müller & Söhne"), legal suffix removed."""
    words = fold(name).split()
    kept = [w for i, w in enumerate(words) if not (w in ("und", "and", "u") and 0 < i < len(words) - 1)]
    return strip_legal_suffix(" ".join(kept))


def name_tokens(keys: list[tuple[str, str]]) -> list[str]:
    """The distinct words of multi-word keys, for partial-name lookup (no stop words, no single letters)."""
    tokens: list[str] = []
    for _kind, key in keys:
        words = key.split()
        if len(words) < 2:
            continue
        for word in words:
            if len(word) > 1 and word not in _TOKEN_STOPWORDS and word not in tokens:
                tokens.append(word)
    return tokens


def person_key(firstname: str | None, lastname: str | None) -> str:
    return fold(" ".join(part for part in (firstname, lastname) if part))


def split_aliases(alias: str | None) -> list[str]:
    """Aliases are stored in one field (Dolibarr ``name_alias``); several are separated by ``;`` or ``|``."""
    if not alias:
        return []
    return [part.strip() for part in re.split(r"[;|]", alias) if part.strip()]


def normalize_email(address: str | None) -> str | None:
    """Lower-cased bare address, or None when it is not an address at all."""
    if not address:
        return None
    address = address.strip().strip("<>").strip().lower()
    if address.startswith("mailto:"):
        address = address[len("mailto:") :]
    if address.count("@") != 1:
        return None
    local, _, domain = address.partition("@")
    if not local or "." not in domain or " " in address:
        return None
    return address


def email_domain(address: str | None) -> str | None:
    normalized = normalize_email(address)
    return normalized.rsplit("@", 1)[1] if normalized else None


def website_domain(url: str | None) -> str | None:
    """``https://www.acme.de/kontakt`` -> ``acme.de``."""
    if not url:
        return None
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip().lower())
    host = host.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    host = host.removeprefix("www.")
    return host if "." in host and " " not in host else None


def is_freemail(domain: str | None) -> bool:
    return bool(domain) and domain in FREEMAIL_DOMAINS
