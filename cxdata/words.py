"""What the comments behind a number talk about: the words most comments use, in the languages
the programmes write in (English, Persian, Arabic, Hebrew, Bulgarian, German, French, Spanish,
Russian, Turkish, Urdu, Hindi).

Words are counted once per comment, folded as searches fold them (lower case; Arabic Kaf and Yeh
read as the Persian letters), and each language's filler words (cxdata.stopwords: articles,
pronouns, "very", "not", "without") are left out in every spelling a comment may give them. Splitting runs in DuckDB's regular
expressions, so the text never passes through Python.
"""

from __future__ import annotations

import unicodedata

MIN_LETTERS = 3  # shorter words are almost all function words in these languages

# A word: letters, digits, combining marks (Arabic and Hebrew vowel signs) and the zero-width
# non-joiner inside Persian words (می‌خواهم is one word).
WORD_SPLIT = r"[^\p{L}\p{N}\p{M}\x{200C}]+"

# Words are counted with Arabic kaf, yeh and alef maksura read as the Persian letters (the SQL
# folds them the same way: queries._folded), and shown back in Arabic letters where their comments
# are Arabic (UNFOLD; an alef maksura cannot be told from a yeh once folded).
ARABIC_FORMS = "\u0643\u064a\u0649"  # Arabic kaf, yeh, alef maksura
PERSIAN_FORMS = "\u06a9\u06cc\u06cc"  # Persian keheh, yeh, yeh
FOLD = str.maketrans(ARABIC_FORMS, PERSIAN_FORMS)
UNFOLD = str.maketrans(PERSIAN_FORMS[:2], ARABIC_FORMS[:2])
ZWNJ = "\u200c"  # the zero-width non-joiner inside Persian words


def fold(word: str) -> str:
    """A word as the comments' words are counted (queries._folded): lower case, Arabic kaf, yeh
    and alef maksura read as the Persian letters."""
    return word.lower().translate(FOLD)


def _bare(word: str) -> str:
    """`word` without its combining marks (Arabic vowel signs, tanween: 'جداً' as 'جدا')."""
    return "".join(ch for ch in unicodedata.normalize("NFC", word) if not unicodedata.category(ch).startswith("M"))


_HAMZA = str.maketrans("\u0623\u0625\u0622", "\u0627\u0627\u0627")  # alef with hamza or madda: bare alef


def spellings(word: str) -> set[str]:
    """The ways a stopword is written in comments, folded as their words are (`fold`): with and
    without the joiner inside a Persian word (می‌شود, میشود), its vowel signs, the hamza on its
    alef (أيضا, ايضا), its closing ta marbuta (مرة, مره). A comment's words keep what was typed,
    so each spelling is a word of its own to leave out."""
    out = {unicodedata.normalize("NFC", word)}
    out |= {w.replace(ZWNJ, "") for w in out}
    out |= {_bare(w) for w in out}
    out |= {w.translate(_HAMZA) for w in out}
    out |= {w[:-1] + "\u0647" for w in out if w.endswith("\u0629")}
    return {fold(w) for w in out if w}


def _stopwords() -> frozenset[str]:
    from .stopwords import BY_LANGUAGE

    return frozenset(s for text in BY_LANGUAGE.values() for w in text.split() for s in spellings(w))


# Every language's filler words (cxdata.stopwords), in every spelling, folded.
STOPWORDS = _stopwords()


def name_words(texts) -> frozenset[str]:
    """The words of a node's names (its name and aliases in every language, its touchpoint's):
    the comments behind a touchpoint all name it ('website', 'وب‌سایت'), which says nothing."""
    import re

    return frozenset(w for t in texts for w in re.split(r"[^\w\u200c]+", str(t).lower().translate(FOLD))
                     if len(w) >= MIN_LETTERS)


def names_it(word: str, names: frozenset[str]) -> bool:
    """`word` is one of `names`, or an inflected form of a long one ('уебсайта' of 'уебсайт')."""
    word = word.lower().translate(FOLD)  # as the names are folded
    return word in names or any(len(n) >= 5 and word.startswith(n) for n in names)
