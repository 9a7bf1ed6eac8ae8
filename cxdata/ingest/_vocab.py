"""Multilingual vocabulary: answer scales, 'not applicable' words, header keywords.

Everything here is generic survey language (en, fa, ar, he, bg, and de, fr, es, ru, the other
languages survey tools are most often set to), never the wording of one particular
questionnaire. Labels are written as people type them and compared through
`_text.key`, so letter forms, digits, punctuation and case do not matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._text import key


@dataclass(frozen=True)
class Scale:
    name: str
    role: str  # the role a column answering on this scale usually has
    labels: dict[str, float]  # key(label) -> value
    whole: bool = False  # matches only when every point is seen (its labels are another scale's)
    needs: frozenset[str] = frozenset()  # matches only when one of these is seen (the rest are another scale's)

    @property
    def size(self) -> int:
        return len(set(self.labels.values()))


def _scale(name: str, role: str, table: dict[float, list[str]], whole: bool = False, needs: tuple[str, ...] = ()) -> Scale:
    return Scale(name, role, {key(lbl): float(v) for v, lbls in table.items() for lbl in lbls}, whole,
                 frozenset(key(n) for n in needs))


SAT5 = _scale("satisfaction_5", "csat", {
    1: ["Very dissatisfied", "Extremely dissatisfied", "Completely dissatisfied", "Very unsatisfied",
        "Extremely unsatisfied",
        "خیلی ناراضی", "بسیار ناراضی", "کاملاً ناراضی",
        "غير راضٍ على الإطلاق", "غير راض إطلاقا", "غير راضٍ جداً", "غير راض تماما",
        "Много недоволен", "Изобщо не съм доволен", "Напълно недоволен",
        "מאוד לא מרוצה", "לא מרוצה בכלל",
        "Sehr unzufrieden", "Überhaupt nicht zufrieden", "Très insatisfait", "Pas du tout satisfait",
        "Muy insatisfecho", "Nada satisfecho", "Очень недоволен", "Совсем не доволен",
        "Крайне недоволен", "Äußerst unzufrieden", "Völlig unzufrieden", "Extrêmement insatisfait",
        "Extremadamente insatisfecho", "Totalmente insatisfecho"],
    2: ["Dissatisfied", "Somewhat dissatisfied", "Unsatisfied", "Somewhat unsatisfied", "ناراضی", "غير راضٍ", "Недоволен", "לא מרוצה",
        "Unzufrieden", "Eher unzufrieden", "Insatisfait", "Plutôt insatisfait", "Peu satisfait",
        "Insatisfecho", "Poco satisfecho", "Algo insatisfecho", "Скорее недоволен"],
    3: ["Neither satisfied nor dissatisfied", "Neutral", "نه راضی، نه ناراضی", "نه راضی نه ناراضی",
        "متوسط", "محايد", "Нито доволен, нито недоволен", "Неутрален", "ניטרלי",
        "Weder zufrieden noch unzufrieden", "Teils, teils", "Ni satisfait ni insatisfait", "Neutre",
        "Moyennement satisfait", "Medianamente satisfecho",
        "Ni satisfecho ni insatisfecho", "Neutro", "Ни доволен, ни недоволен", "Нейтрально"],
    4: ["Satisfied", "Somewhat satisfied", "راضی", "راضٍ", "Доволен", "מרוצה",
        "Zufrieden", "Eher zufrieden", "Satisfait", "Plutôt satisfait", "Satisfecho",
        "Algo satisfecho", "Bastante satisfecho", "Скорее доволен"],
    5: ["Very satisfied", "Extremely satisfied", "Completely satisfied",
        "خیلی راضی", "بسیار راضی", "کاملاً راضی", "راضٍ جداً", "راض تماما",
        "Много доволен", "Напълно доволен", "מרוצה מאוד", "מאוד מרוצה",
        "Sehr zufrieden", "Äußerst zufrieden", "Voll und ganz zufrieden", "Très satisfait",
        "Extrêmement satisfait", "Muy satisfecho", "Totalmente satisfecho", "Очень доволен",
        "Полностью доволен", "Völlig zufrieden", "Extremadamente satisfecho"],
})

_AGREE = {
    "sd": ["Strongly disagree", "کاملاً مخالفم", "کاملا مخالف", "أعارض بشدة", "لا أوافق بشدة",
           "Категорично не съм съгласен", "Напълно несъгласен", "Изобщо не съм съгласен",
           "לא מסכים בכלל", "מתנגד מאוד",
           "Stimme überhaupt nicht zu", "Pas du tout d'accord", "Totalmente en desacuerdo", "Полностью не согласен", "Совершенно не согласен"],
    "d": ["Disagree", "مخالفم", "مخالف", "أعارض", "لا أوافق", "Не съм съгласен", "Несъгласен",
          "לא מסכים",
           "Stimme nicht zu", "Pas d'accord", "En desacuerdo", "Не согласен"],
    "swd": ["Somewhat disagree", "Slightly disagree", "تا حدی مخالفم", "أعارض إلى حد ما",
            "По-скоро не съм съгласен", "לא מסכים במידה מסוימת",
           "Stimme eher nicht zu", "Plutôt pas d'accord", "Algo en desacuerdo", "Скорее не согласен"],
    "n": ["Neither agree nor disagree", "Neutral", "نه موافقم نه مخالف", "نه موافقم نه مخالفم",
          "لا أوافق ولا أعارض", "محايد", "Нито съгласен, нито несъгласен", "Неутрален",
          "ניטרלי",
           "Weder noch", "Teils, teils", "Ni d'accord ni pas d'accord", "Ni de acuerdo ni en desacuerdo", "Ни согласен, ни не согласен"],
    "swa": ["Somewhat agree", "Slightly agree", "تا حدی موافقم", "أوافق إلى حد ما",
            "По-скоро съм съгласен", "מסכים במידה מסוימת",
           "Stimme eher zu", "Plutôt d'accord", "Algo de acuerdo", "Скорее согласен"],
    "a": ["Agree", "موافقم", "موافق", "أوافق", "Съгласен съм", "Съгласен", "מסכים",
           "Stimme zu", "D'accord", "De acuerdo", "Согласен"],
    "sa": ["Strongly agree", "کاملاً موافقم", "کاملا موافق", "أوافق بشدة", "Напълно съгласен",
           "Категорично съм съгласен", "מסכים מאוד", "מסכים בהחלט",
           "Stimme voll und ganz zu", "Stimme voll zu", "Tout à fait d'accord", "Totalmente de acuerdo", "Полностью согласен"],
}
AGREE7 = _scale("agreement_7", "rating", {
    1: _AGREE["sd"], 2: _AGREE["d"], 3: _AGREE["swd"], 4: _AGREE["n"],
    5: _AGREE["swa"], 6: _AGREE["a"], 7: _AGREE["sa"]})
AGREE5 = _scale("agreement_5", "rating", {
    1: _AGREE["sd"], 2: _AGREE["d"], 3: _AGREE["n"], 4: _AGREE["a"], 5: _AGREE["sa"]})

EASE7 = _scale("ease_7", "ces", {
    1: ["Very difficult", "Extremely difficult", "خیلی سخت", "بسیار سخت", "صعب جداً",
        "Много трудно", "קשה מאוד", "Sehr schwierig", "Sehr schwer", "Très difficile",
        "Muy difícil", "Очень сложно", "Очень трудно"],
    2: ["Difficult", "سخت", "صعب", "Трудно", "קשה", "Schwierig", "Schwer", "Difficile", "Difícil",
        "Сложно"],
    3: ["Somewhat difficult", "تا حدی سخت", "صعب إلى حد ما", "По-скоро трудно", "די קשה",
        "Eher schwierig", "Eher schwer", "Plutôt difficile", "Algo difícil", "Скорее сложно"],
    4: ["Neither easy nor difficult", "Neutral", "نه آسان نه سخت", "لا سهل ولا صعب",
        "Нито лесно, нито трудно", "Weder leicht noch schwierig", "Weder leicht noch schwer",
        "Weder einfach noch schwierig", "Weder noch", "Ni facile ni difficile",
        "Ni fácil ni difícil", "Ни легко, ни сложно"],
    5: ["Somewhat easy", "تا حدی آسان", "سهل إلى حد ما", "По-скоро лесно", "די קל",
        "Eher leicht", "Eher einfach", "Plutôt facile", "Algo fácil", "Скорее легко"],
    6: ["Easy", "آسان", "سهل", "Лесно", "קל", "Leicht", "Einfach", "Facile", "Fácil", "Легко"],
    7: ["Very easy", "Extremely easy", "خیلی آسان", "بسیار آسان", "سهل جداً", "Много лесно",
        "קל מאוד", "Sehr leicht", "Sehr einfach", "Très facile", "Muy fácil", "Очень легко"],
})
EASE5 = _scale("ease_5", "ces", {
    1: ["Very difficult", "Extremely difficult", "خیلی سخت", "صعب جداً", "Много трудно",
        "קשה מאוד"],
    2: ["Difficult", "سخت", "صعب", "Трудно", "קשה"],
    3: ["Neither easy nor difficult", "Neutral", "نه آسان نه سخت", "لا سهل ولا صعب",
        "Нито лесно, нито трудно"],
    4: ["Easy", "آسان", "سهل", "Лесно", "קל"],
    5: ["Very easy", "Extremely easy", "خیلی آسان", "سهل جداً", "Много лесно", "קל מאוד"],
})

# Qualtrics' 5-point ease scale: the labels of EASE7's points 1, 3, 4, 5 and 7, on five points;
# taken only when all five are seen (three of them are as likely a 7-point scale's).
EASE5_SOMEWHAT = _scale("ease_5_somewhat", "rating", {
    1: ["Extremely difficult", "Very difficult"], 2: ["Somewhat difficult"],
    3: ["Neither easy nor difficult"], 4: ["Somewhat easy"], 5: ["Extremely easy", "Very easy"],
}, whole=True)

# The effort question of the Customer Effort Score ('How much effort did you personally have to put
# forth to handle your request?'), five points from 'Very low effort'. Low effort is the good end, and
# the model's CES runs 1-7 with higher easier: each point sits on the seven where the ease label it
# means does (low effort is easy, 6; high effort difficult, 2; the middle the middle, 4), so that
# its answers join the other CES questions' on one scale. (Found by a review: a segment, and as CES
# every answer "not a valid answer on its scale".) Taken only where an effort label is seen: the
# middle words are other scales' too.
_EFFORT = {
    7: ["Very low effort", "Extremely low effort", "Very little effort", "No effort at all",
        "تلاش بسیار کم", "تلاش خیلی کم", "جهد قليل جداً", "جهد قليل جدا", "Много малко усилие", "מאמץ נמוך מאוד",
        "Sehr geringer Aufwand", "Sehr wenig Aufwand", "Très peu d'effort", "Très faible effort",
        "Muy poco esfuerzo", "Очень мало усилий"],
    6: ["Low effort", "Little effort", "تلاش کم", "جهد قليل", "Малко усилие", "מאמץ נמוך", "Geringer Aufwand",
        "Wenig Aufwand", "Peu d'effort", "Faible effort", "Poco esfuerzo", "Мало усилий"],
    4: ["Moderate effort", "Medium effort", "Some effort", "Neither high nor low effort",
        "Neither low nor high effort", "Neither", "Neutral", "تلاش متوسط", "جهد متوسط", "Умерено усилие",
        "מאמץ בינוני", "Mäßiger Aufwand", "Mittlerer Aufwand", "Effort modéré", "Effort moyen",
        "Esfuerzo moderado", "Умеренные усилия"],
    2: ["High effort", "A lot of effort", "Much effort", "تلاش زیاد", "جهد كبير", "Голямо усилие", "מאמץ גבוה",
        "Hoher Aufwand", "Viel Aufwand", "Beaucoup d'effort", "Effort important", "Mucho esfuerzo", "Много усилий"],
    1: ["Very high effort", "Extremely high effort", "A great deal of effort", "تلاش بسیار زیاد", "تلاش خیلی زیاد",
        "جهد كبير جداً", "جهد كبير جدا", "Много голямо усилие", "מאמץ גבוה מאוד", "Sehr hoher Aufwand",
        "Sehr viel Aufwand", "Énormément d'effort", "Effort très important", "Muchísimo esfuerzo",
        "Очень много усилий"],
}
EFFORT5 = _scale("effort_5", "ces", _EFFORT, needs=tuple(lbl for v in (7, 6, 2, 1) for lbl in _EFFORT[v]))

# Emotion valence: Delighted 5 ... Angry 1.
EMOTION5 = _scale("emotion_5", "emotion", {
    5: ["Delighted", "Very happy", "Excited", "بسیار خوشحال", "خیلی خوشحال", "مسرور جداً",
        "سعيد جداً", "Възхитен", "Очарован", "Много щастлив", "מאושר", "נלהב"],
    4: ["Happy", "Pleased", "خوشحال", "راضی و خوشحال", "سعيد", "Щастлив", "Доволен", "שמח"],
    3: ["Neutral", "Indifferent", "OK", "بی‌تفاوت", "معمولی", "محايد", "Неутрален",
        "Безразличен", "ניטרלי", "אדיש"],
    2: ["Frustrated", "Disappointed", "Annoyed", "کلافه", "ناامید", "محبط", "منزعج",
        "Раздразнен", "Разочарован", "מתוסכל", "מאוכזב"],
    1: ["Angry", "Furious", "عصبانی", "غاضب", "Ядосан", "Гневен", "כועס"],
})

YES_NO = _scale("yes_no", "yes_no", {
    1: ["Yes", "Y", "True", "بله", "آره", "بلی", "نعم", "Да", "כן", "Ja", "Oui", "Sí", "Si"],
    0: ["No", "N", "False", "خیر", "نه", "لا", "Не", "לא", "Nein", "Non", "Нет"],
})
GOOD_BAD = _scale("good_bad", "yes_no", {
    # Zendesk's ratings as its views and API write them, in the languages its agents work in.
    1: ["Good", "Good, I'm satisfied", "Good with comment", "Good, with comment", "خوب", "جيد", "Добре",
        "Добро", "טוב", "Gut", "Bon", "Bonne", "Bueno", "Buena", "Хорошо",
        # its views' 'with comment' in the agents' languages, as the English one
        "Gut mit Kommentar", "Bon avec commentaire", "Bonne avec commentaire", "Bueno con comentario",
        "Buena con comentario", "Хорошо с комментарием"],
    0: ["Bad", "Bad, I'm unsatisfied", "Bad with comment", "Bad, with comment", "بد", "سيء", "Лошо", "רע",
        "Schlecht", "Mauvais", "Mauvaise", "Malo", "Mala", "Плохо",
        "Schlecht mit Kommentar", "Mauvais avec commentaire", "Mauvaise avec commentaire", "Malo con comentario",
        "Mala con comentario", "Плохо с комментарием"],
})

QUALITY5 = _scale("quality_5", "rating", {
    5: ["Excellent", "عالی", "ممتاز", "Отлично", "מצוין", "Ausgezeichnet", "Hervorragend",
        "Excelente"],
    4: ["Very good", "خیلی خوب", "جيد جداً", "Много добро", "טוב מאוד", "Sehr gut", "Très bien",
        "Muy bueno", "Muy bien", "Очень хорошо"],
    3: ["Good", "خوب", "جيد", "Добро", "טוב", "Gut", "Bien", "Bueno", "Хорошо"],
    2: ["Fair", "متوسط", "مقبول", "Задоволително", "בינוני", "Weniger gut", "Mittelmäßig",
        "Befriedigend", "Moyen", "Passable", "Regular", "Удовлетворительно", "Посредственно"],
    1: ["Poor", "ضعیف", "ضعيف", "Лошо", "גרוע", "Schlecht", "Mauvais", "Médiocre", "Malo", "Mal",
        "Плохо"],
})

# The other common 5-point quality scale, with 'Average' in the middle.
QUALITY5_AVERAGE = _scale("quality_5_average", "rating", {
    5: ["Excellent", "عالی", "ممتاز", "Отлично", "מצוין", "Ausgezeichnet", "Excelente"],
    4: ["Good", "خوب", "جيد", "Добро", "טוב", "Gut", "Bien", "Bueno", "Хорошо"],
    3: ["Average", "متوسط", "Средно", "ממוצע", "Durchschnittlich", "Moyen", "Regular", "Средне"],
    2: ["Poor", "ضعیف", "ضعيف", "Лошо", "גרוע", "Schlecht", "Mauvais", "Malo", "Плохо"],
    1: ["Terrible", "Very poor", "خیلی بد", "سيء جداً", "Много лошо", "גרוע מאוד", "Sehr schlecht",
        "Très mauvais", "Muy malo", "Очень плохо"],
})

# Satisfaction by its extent (Zoho, SurveyMonkey's templates): 'Very satisfied' is the second point
# here, the first on SAT5; taken only where a label of its own is seen.
SAT5_EXTENT = _scale("satisfaction_extent_5", "csat", {
    5: ["Extremely satisfied", "Completely satisfied"], 4: ["Very satisfied"], 3: ["Moderately satisfied"],
    2: ["Slightly satisfied"], 1: ["Not at all satisfied", "Not satisfied at all"],
}, needs=("Moderately satisfied", "Slightly satisfied", "Not at all satisfied", "Not satisfied at all"))

# Freshdesk's satisfaction ratings: seven points from 'Extremely happy', or its three-point variant.
HAPPY7 = _scale("happiness_7", "rating", {
    7: ["Extremely happy"], 6: ["Very happy"], 5: ["Happy"], 4: ["Neutral"], 3: ["Unhappy"],
    2: ["Very unhappy"], 1: ["Extremely unhappy"],
}, needs=("Extremely happy", "Unhappy", "Very unhappy", "Extremely unhappy"))
HAPPY3 = _scale("happiness_3", "rating", {3: ["Happy"], 2: ["Neutral"], 1: ["Unhappy"]}, whole=True)

# Intercom's conversation ratings (written with their emoji, which `key` leaves out).
AMAZING5 = _scale("amazing_5", "rating", {
    5: ["Amazing"], 4: ["Great"], 3: ["OK", "Okay"], 2: ["Bad"], 1: ["Terrible"],
}, needs=("Amazing", "Terrible"))

SCALES: tuple[Scale, ...] = (SAT5, SAT5_EXTENT, AGREE5, AGREE7, EASE5, EASE5_SOMEWHAT, EASE7, EFFORT5, EMOTION5, YES_NO,
                             GOOD_BAD, QUALITY5, QUALITY5_AVERAGE, AMAZING5, HAPPY3, HAPPY7)

# 'No answer on the scale': a missing value, never a score and never an invalid value.
NOT_APPLICABLE = frozenset(key(s) for s in [
    "Not applicable", "N/A", "NA", "n.a.", "Does not apply", "Not relevant", "Don't know",
    "I don't know", "Dont know", "Not used", "I have not used it", "Haven't used",
    "No opinion", "I don't remember", "Prefer not to say", "-", "–", "—", "-99",
    "استفاده نکرده‌ام", "استفاده نکرده ام", "نمی‌دانم", "یادم نیست", "مورد ندارد",
    "صدق نمی‌کند", "لا ينطبق", "غير منطبق", "غير متاح", "لا أعرف", "لم أستخدمه",
    "Не е приложимо", "Неприложимо", "Не знам", "Не мога да преценя", "Не съм ползвал",
    "לא רלוונטי", "לא יודע", "לא ישים",
    "Nicht zutreffend", "Trifft nicht zu", "Weiß nicht", "Keine Angabe", "Kann ich nicht beurteilen",
    "Sans objet", "Non applicable", "Non concerné", "Ne sais pas", "Je ne sais pas",
    "No aplica", "No sé", "No lo sé", "Ns/Nc", "Не применимо", "Не знаю", "Затрудняюсь ответить",
])

# Zendesk-style 'survey sent, not answered' states: the row is not a response at all.
NOT_A_RESPONSE = frozenset(key(s) for s in [
    "Offered", "Unoffered", "Not offered", "Angeboten", "Nicht angeboten", "Offert", "Offerte", "Non offert", "Non offerte", "Proposé", "Proposée",
    "Non proposé", "Non proposée", "Ofrecido", "Ofrecida", "No ofrecido", "No ofrecida", "Предложено", "Не предложено"])

# A response status saying the survey screened the respondent out or cut the response off.
SCREENED_OUT = frozenset(key(s) for s in [
    "Disqualified", "Terminated", "Screened out", "Screen out", "Screenout", "Over quota", "Overquota",
    "Quota full", "Disqualifiziert", "Ausgescreent", "Disqualifié", "Descalificado", "Дисквалифицирован"])

# What a spreadsheet's closing rows say in their first cell (a report's totals, a sheet's
# statistics under the data): such rows are no responses.
SUMMARY_ROWS = frozenset(key(s) for s in [
    "Total", "Totals", "Grand total", "Subtotal", "Sum", "Average", "Avg", "Mean", "Median", "Mode",
    "Count", "Std dev", "Standard deviation", "Minimum", "Maximum",  # not 'Max': a name
    "Gesamt", "Insgesamt", "Summe", "Gesamtsumme", "Mittelwert", "Durchschnitt", "Anzahl",
    "Moyenne", "Somme", "Médiane", "Promedio", "Media", "Suma", "Mediana", "Moda", "Recuento",
    "Итого", "Всего", "Среднее", "Сумма", "Медиана", "Общо", "Средно", "Сума",
    "جمع", "جمع کل", "مجموع", "میانگین", "میانه", "المجموع", "الإجمالي", "الاجمالي", "المتوسط",
    "الوسيط", 'סה"כ', "ממוצע", "חציון"])

# Labels of the NPS group column (Promoter/Passive/Detractor) - derived, never a measure.
NPS_GROUPS = frozenset(key(s) for s in ["Promoter", "Passive", "Detractor"])

_NPS_LABEL = re.compile(r"^\s*(\d{1,2})\s*(?:[-–—:=.)]|\s)\s*\D")
NPS_WORDS = {key(w): v for v, words in {
    0.0: ["Not at all likely", "اصلاً", "Überhaupt nicht wahrscheinlich", "Pas du tout probable",
          "Nada probable", "Совсем маловероятно", "Совершенно маловероятно"],
    10.0: ["Extremely likely", "خیلی زیاد", "Äußerst wahrscheinlich", "Sehr wahrscheinlich",
           "Extrêmement probable", "Très probable", "Muy probable", "Extremadamente probable",
           "Очень вероятно", "Крайне вероятно"],
}.items() for w in words}


_FILLED_STARS = "★⭐🌟"
_STARS = frozenset(_FILLED_STARS + "☆✩ \u00a0\ufe0f")


def no_stars(label: str) -> bool:
    """'☆☆☆☆☆': a star rating left empty, which is no answer (found in review: one such cell made
    a column of stars a segment)."""
    text = str(label).strip()
    return bool(text) and set(text) <= _STARS and not any(c in text for c in _FILLED_STARS)


def leading_score(label: str) -> float | None:
    """'10 - Extremely likely' -> 10.0 (end-labelled numeric scales), '★★★☆☆' -> 3.0 (a star
    rating written as stars); else None."""
    text = str(label).strip()
    if text and set(text) <= _STARS:
        stars = sum(text.count(c) for c in _FILLED_STARS)
        return float(stars) if stars else None  # no star filled: no rating given (`no_stars`)
    m = _NPS_LABEL.match(key(label))
    return float(m.group(1)) if m else None


# --- segment value canonicalisation -------------------------------------------------------

LANGUAGES = {key(name): code for code, names in {
    "fa": ["Persian", "Farsi", "فارسی", "پارسی", "الفارسية", "Персийски", "Фарси", "פרסית",
           "fas", "per"],
    "ar": ["Arabic", "العربية", "عربي", "عربی", "Арабски", "ערבית", "ara"],
    "he": ["Hebrew", "עברית", "عبری", "العبرية", "Иврит", "heb"],
    "bg": ["Bulgarian", "Български", "بلغاری", "البلغارية", "בולגרית", "bul"],
    "en": ["English", "انگلیسی", "الإنجليزية", "الانكليزية", "Английски", "אנגלית", "eng"],
    "tr": ["Turkish", "Türkçe", "ترکی", "التركية", "Турски"],
    "ru": ["Russian", "Русский", "روسی", "الروسية", "Руски", "רוסית"],
    "de": ["German", "Deutsch", "آلمانی", "الألمانية", "Немски"],
    "fr": ["French", "Français", "فرانسوی", "الفرنسية", "Френски"],
    "es": ["Spanish", "Español", "اسپانیایی", "الإسبانية", "Испански"],
    "ur": ["Urdu", "اردو"],
    "hi": ["Hindi", "हिन्दी", "هندی"],
}.items() for name in names}
_LANG_CODE = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]{2,8})?$")


def language_code(value: str) -> str | None:
    """'Persian' / 'فارسی' / 'FA' / 'en-GB' -> ISO 639-1 code; None when not a language."""
    k = key(value)
    if k in LANGUAGES:
        return LANGUAGES[k]
    m = _LANG_CODE.match(k)
    return m.group(1) if m else None


_NUM = r"(\d+(?:[.,]\d+)?)"
_UNIT = (r"(months?|mos?|m|ماه|شهر|شهور|اشهر|месеца|месец|мес|м|חודשים|חודש"
         r"|years?|yrs?|y|سال|سنه|سنوات|سنين|години|година|год|г|שנים|שנה)")
_RANGE = re.compile(rf"^{_NUM}\s*(?:-|–|to|تا|الی|الى|до|עד)\s*{_NUM}\s*{_UNIT}$")
_PLUS = re.compile(rf"^{_NUM}\s*{_UNIT}?\s*\+\s*{_UNIT}?$")
_MORE = re.compile(rf"^(?:more than|over|بیش از|بیشتر از|اکثر من|أكثر من|над|повече от|יותר מ)"
                   rf"\s*{_NUM}\s*{_UNIT}$")
_LESS = re.compile(rf"^(?:less than|under|کمتر از|اقل من|أقل من|под|по-малко от|פחות מ)"
                   rf"\s*{_NUM}\s*{_UNIT}$")


def _unit(u: str | None) -> str:
    u = u or ""
    return "y" if re.match(r"^(y|سال|سن|год|г|שנ)", u) else "m"


def tenure_code(value: str) -> str | None:
    """'6-24 months' / '۶ تا ۲۴ ماه' -> '6-24m'; '5+ years' / 'بیش از ۵ سال' -> '5y+'."""
    k = key(value).replace(",", ".")
    if m := _RANGE.match(k):
        return f"{m.group(1)}-{m.group(2)}{_unit(m.group(3))}"
    if m := _PLUS.match(k):
        if m.group(2) or m.group(3):
            return f"{m.group(1)}{_unit(m.group(2) or m.group(3))}+"
        return None
    if m := _MORE.match(k):
        return f"{m.group(1)}{_unit(m.group(2))}+"
    if m := _LESS.match(k):
        return f"0-{m.group(1)}{_unit(m.group(2))}"
    return None


# --- header keywords ------------------------------------------------------------------------
# Matched against key(header) with _text.has_keyword ('w:' whole word, 'p:' word prefix).

IGNORE_WORDS = [
    "w:ip", "ip address", "ipaddress", "duration", "progress", "w:finished", "w:status",
    "response type", "collector", "email", "e-mail", "first name", "last name", "full name",
    "recipient", "latitude", "longitude", "location accuracy", "user agent", "browser",
    "w:os", "network id", "w:tags", "stage date", "response set", "custom data",
    "nps group", "nps_group", "- group", "w:group nps", "w:ref", "w:№", "w:no", "row number",
    "w:row", "w:ردیف", "w:рд", "w:index", "w:nr", "w:lfd", "w:nummer", "w:n°", "w:num", "mobile number", "phone number", "w:phone",
    # phone numbers in the other languages: personal data, and digits a rating would take
    "شماره موبایل", "شماره تلفن", "شماره همراه", "تلفن همراه", "w:موبایل", "w:تلفن", "رقم الجوال", "رقم الهاتف",
    "w:الجوال", "w:الهاتف", "телефон", "w:мобилен", "טלפון", "w:נייד", "handynummer", "telefonnummer", "w:handy",
    "w:telefon", "numéro de téléphone", "w:téléphone", "w:portable", "w:teléfono", "w:móvil", "w:celular",
    "مدت", "المدة", "مدة", "продължителност", "משך", "وضعیت", "الحالة", "статус",
    "w:ip адрес", "ایمیل", "البريد", "имейл", "w:name", "w:names", "response set",
    "location accuracy",
    # how the tool delivered the survey (anonymous link, e-mail, preview): metadata that can
    # differ between two exports of the same response
    "distribution channel",
    "электронн", "correo", "w:courriel", "w:dauer", "w:durée", "w:duración", "длительност",
    # the tools' own bookkeeping, numbers that read as scores (LimeSurvey, QuestionPro, Hotjar)
    "w:lastpage", "last page", "w:seed", "interviewtime", "interview time", "time taken", "seq number",
    "sequence number", "w:refurl", "w:referer", "w:referrer", "w:token",
]

# Columns a survey tool adds of its own that a role word would otherwise claim ('agent' in a
# browser's user agent) or that read as scores (Qualtrics Text iQ's sentiment of a comment):
# never answers, checked before any role.
TOOL_COLUMNS = ["user agent", "useragent", "sentiment score", "sentiment polarity", "w:sentiment",
                "topic sentiment", "w:topics", "parent topics", "w:actionability"]

# A customer's age ('Age group', 'Altersgruppe'): a segment, never the team a 'group' names.
AGE_WORDS = ["w:age", "w:ages", "w:edad", "p:alter", "w:âge", "w:idade", "w:età", "p:возраст", "p:възраст", "w:سن",
             "w:العمر", "w:גיל", "w:رده سنی"]

# Header keyword tables for the roles that come from header text; order = priority.
ROLE_WORDS: list[tuple[str, list[str]]] = [
    ("response_id", [
        "responseid", "response id", "respondent id", "respondentid", "submission id",
        "ticket id", "w:#", "w:ref", "reference number", "ref no", "record id", "interview id", "response no", "response number", "response nr", "شناسه پاسخ", "کد پاسخ",
        "رقم الاستجابة", "معرف الاستجابة", "رقم الرد", "id на отговор", "номер на отговор",
        "מזהה תגובה", "מספר תגובה",
        "antwort-id", "antwort id", "identifiant de réponse", "id de respuesta", "id ответа", "номер ответа"]),
    ("customer_id", [
        "customer id", "customer_id", "customerid", "customer number", "customer no",
        "client id", "client number", "account id", "account number", "member id", "user id", "userid",
        "visitor id", "person id", "contact id",
        "requester external id", "external reference", "externalreference",
        "external data reference", "شناسه مشتری", "شماره مشتری", "کد مشتری", "رقم العمیل",
        "رقم العميل", "معرف العميل", "клиентски номер", "номер на клиент", "клиент id",
        "מספר לקוח", "מזהה לקוח",
        "externe id", "id externe", "id externo", "kundennummer", "kundennr", "kunden-nr", "kunden nr", "kunden-id", "kunden id", "numéro client", "numéro de client", "n° client", "n° de client", "nº client", "nº de client", "n° cliente", "nº cliente", "n.º cliente", "n.º de cliente", "identifiant client", "número de cliente", "id de cliente", "номер клиента", "id клиента"]),
    ("team", [
        "w:team", "ticket group", "w:group", "department", "w:queue", "w:squad", "w:تیم",
        "واحد", "الفریق", "الفريق", "القسم", "w:екип", "отдел", "צוות", "מחלקה",
        "w:abteilung", "w:équipe", "w:equipo", "departamento", "w:команда",
        "w:gruppe", "w:groupe", "w:grupo", "w:группа", "w:група"]),
    ("agent", [
        "w:agent", "assignee", "employee", "w:staff", "served", "representative", "advisor",
        "کارشناس", "کارمند", "اپراتور", "الموظف", "الموظف", "الوکیل", "служител", "агент",
        "оператор", "נציג", "עובד",
        "w:mitarbeiter", "w:berater", "w:conseiller", "w:agente", "w:asesor", "сотрудник",
        "w:bearbeiter", "w:bearbeiters", "w:bearbeiterin"]),
    ("touchpoint", [
        "touchpoint", "touch point", "نقطه تماس", "نقطة الاتصال", "точка на контакт",
        "נקודת מגע",
        "kontaktpunkt", "berührungspunkt", "point de contact", "punto de contacto", "точка контакта"]),
]

# Which timestamp column best says *when the answer was given* (higher wins).
TIME_WORDS: list[tuple[int, list[str]]] = [
    (5, ["recorded", "submit", "submitted", "completed", "completion", "w:end", "end date", "ended", "solved", "w:rated",
         "ثبت", "پایان", "ارسال", "الارسال", "الإرسال", "التسليم", "الانتهاء", "انتهاء", "подаден", "изпратен",
         "край", "הוגש", "סיום",
        "w:gelöst", "w:résolu", "w:resuelto", "eingereicht", "abgeschickt", "w:ende", "enddatum", "endzeit", "abschlussdatum", "soumis", "w:fin", "enviado", "finaliz", "отправлен", "заверш"]),
    (4, ["timestamp", "w:date", "w:time", "date time", "datetime", "w:responded", "answered",
         "تاریخ", "زمان", "التاریخ", "التاريخ", "الوقت", "w:дата", "време", "תאריך", "זמן",
        "zeitstempel", "w:datum", "w:zeit", "horodat", "w:heure", "w:fecha", "marca temporal", "w:hora", "отметка времени", "w:время"]),
    (2, ["created", "w:start", "start date", "started", "شروع", "البدء", "بدء", "начало",
         "създаден", "התחלה",
        "w:beginn", "gestartet", "startdatum", "startzeit", "anfangsdatum", "w:début", "w:inicio", "w:начало"]),
]
# A column naming the time zone of each response's times.
ZONE_WORDS = ["time zone", "timezone", "w:tz", "zeitzone", "fuseau horaire", "zona horaria", "часовой пояс",
              "часова зона", "منطقه زمانی", "المنطقة الزمنية", "אזור זמן"]
TIME_OF_DAY_WORDS = ["w:time", "w:hour", "w:час", "الوقت", "w:ساعت", "שעה", "w:uhrzeit", "w:zeit", "w:heure", "w:hora",
                     "w:время", "w:време", "w:ora", "w:tijd", "w:saat"]

# Words that ask for a rating without saying of what: a satisfaction question unless they rate
# something another measure names ('Rate the ease of…').
RATE_WORDS = ["w:rate", "w:rating", "p:bewert", "w:notez", "p:évalu", "p:calific", "p:valora", "w:valore", "p:оцени",
              "w:оценка", "w:قيّم", "w:قيم", "w:ارزیابی"]

MEASURE_WORDS: dict[str, list[str]] = {
    "nps": ["recommend", "w:nps", "likelihood", "likely", "توصیه", "پیشنهاد", "معرفی",
            "التوصیه", "التوصية", "توصي", "препоръ", "препоръчате", "מליץ", "המלצה",
            "מליצ",  # the plural and feminine forms ('שתמליצו', 'תמליצי') lose the final letter of 'מליץ'
        "empfehl", "recommand", "recomend", "recomiend", "рекоменд"],
    "csat": ["p:satisf", "w:csat", *RATE_WORDS, "overall experience",
             "راضی", "رضایت", "الرضا", "راض", "مدى رضا", "w:رضاك", "w:رضاكم", "доволн", "удовлетвор",
             "מרוצ", "שביעות רצון",
        "zufrieden", "довольн"],
    "ces": ["w:easy", "w:ease", "w:easier", "effort", "difficult", "w:ces", "hassle",
            "آسان", "راحت", "سهولة", "سهوله", "سهل", "w:лесно", "лекота", "усили",
            "w:קל", "מאמץ",
        "w:leicht", "w:einfach", "aufwand", "w:mühe", "facile", "facilité", "w:fácil", "facilidad", "esfuerzo", "w:легко"],
    "emotion": ["p:feel", "emotion", "w:mood", "احساس", "حس", "شعور", "تشعر",
                "чувств", "емоци", "מרגיש", "רגש"],
    "comment": ["comment", "reason", "feedback", "tell us", "anything else", "suggestion",
                "w:why", "verbatim", "open-ended", "open ended", "w:notes", "w:remarks",
                "w:نظر", "نظرات", "دلیل", "توضیح", "پیشنهادات", "التعلیق", "التعليق",
                "تعليق", "ملاحظات", "سبب", "коментар", "причина", "мнение", "бележк",
                "הערה", "הערות", "סיבה", "משוב",
        "kommentar", "anmerkung", "verbesser", "w:warum", "w:grund", "hauptgrund", "principale raison",
        "raison principale", "raison de votre", "w:motivo", "w:razón", "w:razon", "commentaire", "remarque", "améliorer", "pourquoi", "comentario", "sugerencia", "mejorar", "por qué", "комментар", "улучш", "почему", "пожелани", "w:отзыв", "w:отзывы"],
}

# Comment words that also head multiple-choice questions ("Reason for contact"): such a column
# with few distinct answers is a segment. Any other comment word makes a comment column whatever
# its answers (a "Comment" column of short, repeated "ok"s is still comments).
CHOICE_COMMENT_WORDS = ["reason", "w:why", "دلیل", "سبب", "причина", "סיבה",
        "w:warum", "w:grund", "hauptgrund", "principale raison", "raison principale", "raison de votre", "w:motivo",
        "w:razón", "w:razon", "pourquoi", "por qué", "почему"]

YES_NO_MEASURES: list[tuple[str, list[str]]] = [
    ("resolved", ["p:resolv", "solved", "w:solve", "fixed", "w:fix", "w:resolution", "حل", "انجام شد",
                  "برطرف", "رفع شد", "решен", "разрешен", "נפתר", "טופל",
        "gelöst", "erledigt", "résolu", "resuel", "resolvi", "решён", "решить", "решили"]),
    ("goal_achieved", ["achieve", "w:goal", "get what you", "accomplish", "رسیدید", "رسید",
                       "حققت", "تحقق", "постигнах", "постигнахте", "השגת",
        "erreicht", "trouvé ce que", "encontr", "нашли"]),
]

# Segment dimensions with canonical keys; anything else keeps the header's slug.
SEGMENT_WORDS: list[tuple[str, list[str]]] = [
    ("tenure_band", ["tenure", "customer since", "سابقه", "مدت عضویت", "مدة", "الأقدمية",
                     "стаж", "клиент от", "ותק",
        "kunde seit", "client depuis", "cliente desde", "w:antigüedad", "w:ancienneté", "клиент с"]),
    ("language", ["language", "w:lang", "userlanguage", "w:locale", "زبان", "اللغة", "اللغه",
                  "w:език", "שפה",
        "w:sprache", "w:langue", "w:idioma", "w:язык"]),
    ("tier", ["w:tier", "w:segment", "customer type", "customer tier", "w:plan",
              "customer category", "نوع مشتری", "دسته مشتری", "سطح مشتری", "فئة العميل",
              "فئه العميل", "شريحة", "w:сегмент", "тип клиент", "סוג לקוח", "סגמנט",
        "w:tarif", "kundensegment", "kundentyp", "w:segmento", "type de client", "tipo de cliente", "w:тариф", "тип клиента"]),
    ("region", ["w:region", "w:city", "w:area", "w:market", "w:country", "w:province",
                "منطقه", "استان", "w:شهر", "المنطقة", "المنطقه", "المدينة", "المدینه", "регион",
                "w:град", "област", "אזור", "עיר",
        "w:stadt", "w:land", "w:bundesland", "w:ville", "w:pays", "w:région", "w:región", "w:ciudad", "w:país", "w:provincia", "w:город", "w:страна", "w:область"]),
    ("store", ["w:store", "w:branch", "w:shop", "w:outlet", "فروشگاه", "شعبه", "الفرع",
               "w:магазин", "w:клон", "סניף",
        "w:filiale", "w:magasin", "w:boutique", "w:agence", "w:tienda", "w:sucursal", "w:филиал", "w:отделение"]),
    ("channel", ["channel", "w:medium", "w:via", "w:کانال", "w:مجرا", "القناة", "القناه",
                 "w:канал", "ערוץ",
        "w:kanal", "w:canal"]),
    ("platform", ["platform", "w:device", "پلتفرم", "دستگاه", "المنصة", "платформа",
                  "устройство", "פלטפורמה",
        "w:gerät", "w:appareil", "w:dispositivo", "w:plateforme", "w:plataforma"]),
    ("wave", ["w:wave", "w:موج", "w:دوره", "w:الموجة", "w:вълна", "w:גל"]),
]

# Matrix rows in SurveyMonkey's second header row that are not sub-questions.
SM_PLAIN_SUBLABELS = frozenset(key(s) for s in [
    "Response", "Open-Ended Response", "Other (please specify)", "Comment", "پاسخ",
    "الرد", "Отговор", "תגובה",
        "Antwort", "Offene Antwort", "Réponse", "Réponse ouverte", "Respuesta", "Respuesta abierta", "Ответ", "Открытый ответ"])

# The sub-column of a single-choice question holding what a respondent typed under "Other".
SM_OTHER_SUBLABELS = frozenset(key(s) for s in [
    "Other (please specify)", "Other", "Sonstiges (bitte angeben)", "Andere (bitte angeben)",
    "Autre (veuillez préciser)", "Otro (especifique)", "Otros (especifique)", "Другое (укажите)",
    "Другое (пожалуйста, укажите)", "Друго (моля, посочете)", "سایر (لطفا مشخص کنید)", "سایر",
    "أخرى (يرجى التحديد)", "أخرى", "אחר (נא לפרט)", "אחר"])

SCALE_HINT = re.compile(r"[(\[]\s*(\d{1,2})\s*(?:-|–|to|تا|до|إلى)\s*(\d{1,2})\s*[)\]]")


def scale_hint(header: str) -> tuple[int, int] | None:
    """'Оценка (1-5)' / 'احتمال التوصية (0-10)' -> (1, 5) / (0, 10)."""
    m = SCALE_HINT.search(_paren_digits(header).casefold())
    return (int(m.group(1)), int(m.group(2))) if m else None


def without_scale_hint(header: str) -> str:
    """'Overall satisfaction (0-10)' -> 'Overall satisfaction ' (a name without its scale)."""
    return SCALE_HINT.sub("", _paren_digits(header))


def _paren_digits(header: str) -> str:
    # key() strips parentheses, so match on a digits-only fold of the original text.
    return str(header).translate(str.maketrans(
        {**{chr(0x06F0 + i): str(i) for i in range(10)},
         **{chr(0x0660 + i): str(i) for i in range(10)}}))
