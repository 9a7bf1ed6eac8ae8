"""cxdata.words and cxdata.stopwords: the words the comments behind a number use, without each
language's filler words, in every spelling a comment gives them."""

import pytest

from cxdata import drill, queries
from cxdata.stopwords import BY_LANGUAGE
from cxdata.words import MIN_LETTERS, STOPWORDS, fold, spellings


@pytest.mark.parametrize("word, filler", [
    # English: articles, auxiliaries, negations (alone they say nothing), a contraction's stem
    ("the", True), ("were", True), ("not", True), ("never", True), ("nothing", True), ("don", True), ("The", True),
    ("late", False), ("rude", False), ("good", False), ("waiting", False), ("price", False), ("refund", False),
    # Persian (found by review: بدون, بار, هیچ led the chips), with and without the joiner
    ("بدون", True), ("بار", True), ("هیچ", True), ("است", True), ("می‌شود", True), ("میشود", True), ("نمی‌کنم", True),
    ("ندارم", True), ("خیلی", True), ("تاخیر", False), ("پیک", False), ("قیمت", False), ("وعده", False),
    # Arabic letter forms read as Persian, as the comments' words are counted
    ("في", True), ("الذي", True), ("يكون", True), ("ليس", True), ("بدون", True), ("لكن", True),
    # ... with or without the hamza, the tanween, a ta marbuta typed as heh
    ("أيضاً", True), ("ايضا", True), ("أيضا", True), ("جداً", True), ("جدا", True), ("مرة", True), ("مره", True),
    ("تأخير", False), ("المندوب", False), ("سيء", False),
    # Hebrew
    ("אין", True), ("בלי", True), ("מאוד", True), ("שלא", True), ("איחור", False), ("שליח", False),
    # Bulgarian (found by review: съм, нямам)
    ("съм", True), ("нямам", True), ("няма", True), ("много", True), ("беше", True), ("закъснение", False),
    ("куриер", False),
    # the other languages the ingest vocabulary knows
    ("nicht", True), ("ohne", True), ("Lieferung", False), ("jamais", True), ("sans", True), ("livraison", False),
    ("nunca", True), ("sin", True), ("entrega", False), ("очень", True), ("нет", True), ("доставка", False),
    ("değil", True), ("hiç", True), ("teslimat", False), ("نہیں", True), ("नहीं", True),
])
def test_filler_words_are_stopwords_and_words_of_a_subject_are_not(word, filler):
    assert (fold(word) in STOPWORDS) is filler


@pytest.mark.parametrize("word, expected", [
    ("می‌شود", {"می\u200cشود", "میشود"}),  # the joiner typed or not
    ("أيضاً", {"أیضاً", "أیضا", "ایضاً", "ایضا"}),  # tanween and hamza typed or not; yeh folded
    ("مرة", {"مرة", "مره"}),
    ("يكون", {"یکون"}),  # Arabic yeh and kaf as the Persian letters, as queries._folded reads them
    ("Nicht", {"nicht"}),
    ("e\u0301te\u0301", {"\u00e9t\u00e9"}),  # decomposed as a Mac writes it: composed, its accents kept
])
def test_a_stopword_is_kept_in_every_spelling_folded_as_the_words_are(word, expected):
    assert spellings(word) == expected


def test_every_language_has_a_list_and_every_entry_is_one_word():
    assert {"en", "fa", "ar", "he", "bg", "de", "fr", "es", "ru", "tr"} <= set(BY_LANGUAGE)
    for lang, text in BY_LANGUAGE.items():
        words = text.split()
        assert len(words) >= 20, lang
        assert all(not any(c in w for c in ",.;:'\"") for w in words), lang


def test_the_chips_leave_filler_out_in_every_language(tmp_path):
    """The words the comments use, end to end through the SQL that splits and folds them."""
    from dataclasses import replace

    from tests.test_themes import MODEL, VIEW, _db

    comments = ["بدون هیچ اطلاعی، پیک نیامد", "این بار هم پیک نیامد و بدون تماس", "съм ядосан, нямам пратка",
                "нямам пратка още", "the courier did not come, never again", "not the courier I was told",
                "ليس هناك أي اتصال من المندوب", "المندوب لم يأت أيضاً"]
    db = _db(tmp_path, [(1, c, "North") for c in comments])
    cur = db.cursor()
    cat = queries.catalog(cur, MODEL)
    got = dict(drill.comment_words(cur, MODEL, cat, replace(VIEW, compare="none"), level="team", node="a",
                                   score_measure="csat", limit=50))
    db.close()
    assert {"پیک": 2, "نیامد": 2, "пратка": 2, "courier": 2, "المندوب": 2}.items() <= got.items()
    assert not {fold(w) for w in got} & STOPWORDS
    assert all(len(w) >= MIN_LETTERS for w in got)
