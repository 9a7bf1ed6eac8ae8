"""Comment search: the regular expression (RE2, DuckDB's) that finds a phrase however it is typed.

Persian and Arabic write one letter several ways (ک/ك, ی/ي/ى, a hamza on alef, waw or yeh or
none, teh marbuta or heh), digits in three scripts (4, ۴, ٤), and put or leave out the
zero-width non-joiner, tatweel and the short-vowel marks at will; a Persian suffix is joined by
a joiner, a space or nothing (بسته‌ام, بسته ام, بستهام). The pattern gives each letter of the
phrase the class of its forms and lets those marks come between letters, and a space or joiner
where the phrase has one or where a verb prefix or a suffix joins a word. Case does not matter.
Every character of the phrase is written as a code point, so nothing typed is ever pattern syntax.

A pattern, not folding each comment with translate(): DuckDB's translate took 1.2 s to fold the
million comments of a year behind the index at 10M responses; RE2 reads them in about 0.1 s.
"""

from __future__ import annotations

_FORMS = {
    "\u06a9": "\u0643",  # keheh: Arabic kaf
    "\u06cc": "\u064a\u0649\u0626",  # Persian yeh: Arabic yeh, alef maksura, yeh with hamza
    "\u0627": "\u0623\u0625\u0622\u0671",  # alef: with hamza above, below, madda, wasla
    "\u0648": "\u0624",  # waw: with hamza
    "\u0647": "\u0629",  # heh: teh marbuta
    **{str(d): chr(0x06F0 + d) + chr(0x0660 + d) for d in range(10)},  # Persian, Arabic-Indic digits
}
# Each form -> the letter it is read as.
_LETTER = {form: letter for letter, forms in _FORMS.items() for form in forms}
_MARKS = "\u200c\u0640" + "".join(chr(c) for c in range(0x064B, 0x0653))  # ZWNJ, tatweel, harakat


def _point(ch: str) -> str:
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{ord(ch):04X}}}"


def _class(ch: str) -> str:
    letter = _LETTER.get(ch, ch)
    forms = letter + _FORMS.get(letter, "")
    return _point(letter) if len(forms) == 1 else "[" + "".join(_point(f) for f in forms) + "]"


def arabic_script(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


# Where Persian joins a word's parts by a joiner, a space or nothing: after the verb prefixes and
# before the usual suffixes. Elsewhere a space ends a word: 'بد' (bad) must not match 'خوب دیروز'.
_PREFIXES = ("\u0645\u06cc", "\u0646\u0645\u06cc")  # می، نمی
_SUFFIXES = ("\u0627\u0645", "\u0627\u06cc", "\u0627\u06cc\u0645", "\u0627\u06cc\u062f", "\u0627\u0646\u062f",
             "\u0647\u0627", "\u0647\u0627\u06cc", "\u0647\u0627\u06cc\u06cc", "\u062a\u0631",
             "\u062a\u0631\u06cc\u0646", "\u0627\u0633\u062a", "\u0627\u0634", "\u0645\u0627\u0646",
             "\u062a\u0627\u0646", "\u0634\u0627\u0646")  # ام ای ایم اید اند ها های هایی تر ترین است اش مان تان شان


def meaningful(phrase: str) -> bool:
    """Whether a phrase has anything to search for (marks and spaces alone have not)."""
    return any(not ch.isspace() and ch not in _MARKS for ch in phrase)


def pattern(phrase: str) -> str:
    """The RE2 pattern of a search phrase (see the module's doc); "" for a phrase with nothing to
    search for (only marks or spaces), which must not be searched: it would match every comment."""
    if not meaningful(phrase):
        return ""
    if not arabic_script(phrase):
        words = phrase.split()
        return "(?i)" + "\\s+".join("".join(_class(ch) for ch in w if ch not in _MARKS) for w in words)
    marks = "[" + "".join(_point(m) for m in _MARKS) + "]*"
    joined = "[\\s" + "".join(_point(m) for m in _MARKS) + "]*"
    out = []
    for w, word in enumerate(_rtl_words(phrase)):
        if w:
            out.append(joined)  # a space or a joiner typed: either, or nothing
        letters = [_LETTER.get(ch, ch) for ch in word]
        for i, ch in enumerate(word):
            if i:
                head, tail = "".join(letters[:i]), "".join(letters[i:])
                out.append(joined if head in _PREFIXES or tail in _SUFFIXES else marks)
            out.append(_class(ch))
    return "(?i)" + "".join(out)


def any_word(words) -> str:
    """The RE2 pattern of a comment that uses any of `words` (a theme's, cxdata.model.Theme), each
    found as `pattern` finds a phrase. A word in Latin or Cyrillic letters must start a word of the
    comment ('late' finds 'lately', not 'chocolate'); one in Arabic or Hebrew script may start
    anywhere, since those languages join articles, prepositions and conjunctions to the word
    (والتوصيل, באיחור).

    One word-start test before all the words that need it, and case folded only for the words that
    have case: a test and a fold per word made RE2 read comments three times slower (a theme's
    search of a team's 6,000 comments 22 ms against 7 ms)."""
    starting, cased, caseless = [], [], []
    for w in words:
        p = pattern(w).removeprefix("(?i)")
        if not p:
            continue
        if _starts_a_word(w):
            starting.append(p)
        else:
            (cased if any(ch.lower() != ch.upper() for ch in w) else caseless).append(p)
    parts = []
    if starting:
        parts.append("(?:^|[^\\p{L}\\p{N}\\p{M}])(?i:" + "|".join(starting) + ")")
    if cased:
        parts.append("(?i:" + "|".join(cased) + ")")
    if caseless:
        parts.append("(?:" + "|".join(caseless) + ")")
    return "|".join(parts) or "$^"  # no word: no comment


def _starts_a_word(word: str) -> bool:
    import unicodedata

    first = next((ch for ch in word if not ch.isspace() and ch not in _MARKS), "")
    return first.isdigit() or unicodedata.name(first, "").startswith(("LATIN", "CYRILLIC", "GREEK"))


def _rtl_words(phrase: str) -> list[str]:
    """The words of a phrase in Persian or Arabic script, split at spaces and joiners, without marks."""
    words = "".join(" " if ch.isspace() or ch == "\u200c" else ch for ch in phrase).split()
    return [w for w in ("".join(ch for ch in w if ch not in _MARKS) for w in words) if w]
