"""What the comments behind a number talk about: the words most comments use, in the languages
the programmes write in (English, Persian, Arabic, Hebrew, Bulgarian, German, French, Spanish).

Words are counted once per comment, folded as searches fold them (lower case; Arabic Kaf and Yeh
read as the Persian letters), and the words every comment uses (articles, pronouns, "very") are
left out. Splitting runs in DuckDB's regular expressions, so the text never passes through Python.
"""

from __future__ import annotations

MIN_LETTERS = 3  # shorter words are almost all function words in these languages

# A word: letters, digits, combining marks (Arabic and Hebrew vowel signs) and the zero-width
# non-joiner inside Persian words (می‌خواهم is one word).
WORD_SPLIT = r"[^\p{L}\p{N}\p{M}\x{200C}]+"

_STOPWORDS = """
the and for you your are was were but not with this that have has had our out all any can get got
from they them their there then than too very just also been being will would could should into
over about after before again only more most much many some such what when where which while who
why how its it's i'm i've don't didn't doesn't isn't wasn't won't can't cannot one two yes no
did does doing done make made really still even well ever every here she his her him hers itself
nor off own same other each few both because until upon via per let lot lots thing things
است این که را با از به در برای هم یک تا اما ولی شد شده بود های ها می نه بله خیلی کنم کرد کردم
کردند کنید داشت دارد دارم باید نیست هست بسیار همه هر چه چون اگر یا بر آن آنها من ما شما او
وی خود دیگر نیز پس روی بی کمی بودند نبود بودم هستند هستم همان اصلا اصلاً شود کند کنند کرده کردن داشتم
داریم خواهد نمی
في من على إلى عن مع هذا هذه ذلك تلك التي الذي الذين كان كانت لم لن لا نعم ما ماذا هل قد كل
بعد قبل عند حتى أو أن إن ثم لكن جدا جداً غير بين أي هو هي هم نحن أنا انا أنت كما فقط أيضا أيضاً
של את עם על זה זו זאת לא כן גם אבל או כי הוא היא הם אני אנחנו אתה מאוד רק עוד כל היה היתה
יש אין מה מי איך כמו אחרי לפני עד בין אל
и в на за от до по с със не да е са се ще но или че как като много само още вече беше бяха
има няма този тази това тези който която което които аз ти той тя ние вие те много мн
der die das und ist nicht ein eine einen dem den des mit von für auf aus bei sehr auch aber
oder wie war sind wir ich sie ihr uns noch nur schon kein keine
les des une est pas pour avec dans sur par mais très aussi que qui nous vous ils elle sont
los las una por con para del muy pero que sus esta este como más
"""
STOPWORDS = frozenset(_STOPWORDS.split())


# Words are counted with Arabic kaf, yeh and alef maksura read as the Persian letters (the SQL
# folds them the same way: queries._folded), and shown back in Arabic letters where their comments
# are Arabic (UNFOLD; an alef maksura cannot be told from a yeh once folded).
ARABIC_FORMS = "\u0643\u064a\u0649"  # Arabic kaf, yeh, alef maksura
PERSIAN_FORMS = "\u06a9\u06cc\u06cc"  # Persian keheh, yeh, yeh
FOLD = str.maketrans(ARABIC_FORMS, PERSIAN_FORMS)
UNFOLD = str.maketrans(PERSIAN_FORMS[:2], ARABIC_FORMS[:2])


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
