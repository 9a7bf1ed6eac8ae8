"""Deterministic demo data: two years of survey feedback for the fictional telecom/retailer Zelvora.

The demo exists so the app can be shown, tested and benchmarked without anybody's real data,
so it is built to look like a real CX programme rather than like uniform noise:

* an always-on **relationship survey** (source ``relationship_survey``, about 15% of
  responses): NPS 0-10, satisfaction 1-5 with each touchpoint the customer used (``tp_sat``,
  one row per touchpoint; touchpoints not used are simply absent), effort 1-7 and an
  optional comment;
* **transactional surveys** after a contact (sources = channels ``in_app``, ``email``,
  ``sms``, ``ivr``, ``chat_widget``): CSAT 1-5, CES 1-7 (higher = easier), ``resolved`` 1/0
  for service touchpoints (call center, chat, billing), optional comment; each response has one
  touchpoint, the team that owns it and, where a person served the customer, the agent.

Planted structure an analyst (and the tests) should find:

* ``DIP_TEAM`` (Delivery - Tehran Hub) collapses in the last quarter of the period (the quarter
  that contains ``end``; 2026-Q3 by default): its CSAT mean falls by about one point against
  the quarter before, mostly in Tehran, and its unhappy customers write about late deliveries.
  Tehran customers' relationship-survey delivery satisfaction and NPS fall with it.
* SMB customers are clearly less satisfied (relationship NPS far below the other tiers, and
  lower CSAT, especially for billing).
* ``TREND_TOUCHPOINT`` (mobile app) improves slowly and steadily over the whole period.
* Key drivers of NPS differ by tier (Consumer: delivery and app; SMB: billing; Enterprise:
  call center; VIP: store).
* Regions, tiers, tenure bands and channels have different levels; seasonality is mild;
  volume follows a weekday pattern and grows slightly over time.
* One call-center agent scores well below their colleagues.
* A few comments are hostile-looking (HTML, script, spreadsheet formulas, markdown, bidi
  controls, multi-line, very long): the app must show them verbatim and safely.

Everything is vectorised. Responses are generated in fixed internal chunks, each from its own
random stream keyed by (seed, chunk number), so the output does not depend on ``batch_size``
(only where the batches are cut does) and memory stays at one batch.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = [
    "DEMO_START",
    "DEMO_END",
    "SCHEMA",
    "generate",
    "write_parquet",
    "demo_model_path",
    "COMPANY",
    "DIP_TEAM",
    "TREND_TOUCHPOINT",
    "LOW_NPS_TIER",
]

DEMO_START = date(2024, 10, 1)
DEMO_END = date(2026, 9, 30)
COMPANY = "Zelvora"
DIP_TEAM = "Delivery - Tehran Hub"
TREND_TOUCHPOINT = "mobile_app"
LOW_NPS_TIER = "SMB"

SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("source_response_id", pa.string()),
        ("responded_at", pa.timestamp("us", tz="UTC")),
        ("customer_id", pa.string()),
        ("region", pa.string()),
        ("tier", pa.string()),
        ("tenure_band", pa.string()),
        ("language", pa.string()),
        ("channel", pa.string()),
        ("touchpoint", pa.string()),
        ("team", pa.string()),
        ("agent_id", pa.string()),
        ("agent_name", pa.string()),
        ("metric", pa.string()),
        ("value", pa.float64()),
        ("value_text", pa.string()),
    ]
)

# Responses per internal random stream. Fixed, so that output is independent of batch_size.
_CHUNK = 1 << 16
_WORKERS = max(1, min(2, os.cpu_count() or 1))

# --------------------------------------------------------------------------------------------
# The company
# --------------------------------------------------------------------------------------------
REGIONS = ["Tehran", "Isfahan", "Mashhad", "Dubai", "London", "Sofia", "Plovdiv"]
_REGION_W = [0.27, 0.10, 0.09, 0.15, 0.15, 0.14, 0.10]
_IR = [0, 1, 2]  # regions served by the Persian website
TIERS = ["Consumer", "SMB", "Enterprise", "VIP"]
_TIER_W = [0.62, 0.16, 0.07, 0.15]
_SMB = TIERS.index(LOW_NPS_TIER)
_BUSINESS = [TIERS.index("SMB"), TIERS.index("Enterprise")]  # served by Billing - Business
TENURE_BANDS = ["0-6m", "6-24m", "2-5y", "5y+"]
LANGUAGES = ["en", "fa", "ar", "he", "bg"]
# P(language | region): customers mostly answer in the local language, with expat minorities.
_LANG_BY_REGION = np.array(
    [
        # en    fa    ar    he    bg
        [0.06, 0.90, 0.04, 0.00, 0.00],  # Tehran
        [0.05, 0.93, 0.02, 0.00, 0.00],  # Isfahan
        [0.03, 0.90, 0.07, 0.00, 0.00],  # Mashhad
        [0.35, 0.17, 0.43, 0.05, 0.00],  # Dubai
        [0.82, 0.05, 0.04, 0.07, 0.02],  # London
        [0.10, 0.00, 0.02, 0.03, 0.85],  # Sofia
        [0.06, 0.00, 0.01, 0.03, 0.90],  # Plovdiv
    ]
)
CHANNELS = ["in_app", "email", "sms", "ivr", "chat_widget"]
SOURCES = CHANNELS + ["relationship_survey"]
_ID_PREFIX = ["in_app-", "email-", "sms-", "ivr-", "chat-", "rel-"]
_REL = len(CHANNELS)  # source code of the relationship survey

TOUCHPOINTS = ["website", "mobile_app", "store", "call_center", "chat", "delivery", "billing"]
_TP = {k: i for i, k in enumerate(TOUCHPOINTS)}
_TP_SHARE = [0.17, 0.22, 0.14, 0.16, 0.10, 0.12, 0.09]  # of transactional responses
_SERVICE = np.array([k in ("call_center", "chat", "billing") for k in TOUCHPOINTS])
# P(channel | touchpoint): how each touchpoint's survey reaches the customer.
_CHANNEL_BY_TP = np.array(
    [
        # in_app email  sms   ivr  chat_widget
        [0.55, 0.45, 0.00, 0.00, 0.00],  # website (web intercept = in_app SDK)
        [0.90, 0.05, 0.05, 0.00, 0.00],  # mobile_app
        [0.00, 0.30, 0.70, 0.00, 0.00],  # store (receipt SMS)
        [0.00, 0.00, 0.45, 0.55, 0.00],  # call_center (post-call IVR)
        [0.00, 0.15, 0.00, 0.00, 0.85],  # chat
        [0.00, 0.25, 0.75, 0.00, 0.00],  # delivery
        [0.35, 0.65, 0.00, 0.00, 0.00],  # billing
    ]
)
_REL_CHANNEL = np.array([0.10, 0.65, 0.25, 0.00, 0.00])

# (name, touchpoint, CSAT offset). The model file lists the same names.
_TEAMS = [
    ("Web - Persian Site", "website", -0.10),
    ("Web - Global Site", "website", 0.05),
    ("App - Android Squad", "mobile_app", -0.05),
    ("App - iOS Squad", "mobile_app", 0.10),
    ("Stores - Tehran", "store", 0.00),
    ("Stores - Provinces", "store", 0.10),
    ("Stores - Gulf", "store", 0.15),
    ("Stores - Europe", "store", -0.05),
    ("Call Center - North", "call_center", -0.10),
    ("Call Center - South", "call_center", 0.05),
    ("Call Center - Europe", "call_center", 0.00),
    ("Chat - Tier 1", "chat", 0.05),
    ("Chat - Tier 2", "chat", -0.20),  # escalations are harder cases
    ("Delivery - Tehran Hub", "delivery", 0.00),
    ("Delivery - Mashhad Hub", "delivery", 0.05),
    ("Delivery - Dubai Hub", "delivery", 0.10),
    ("Delivery - EU Partner", "delivery", -0.15),
    ("Billing - Consumer", "billing", 0.00),
    ("Billing - Business", "billing", -0.20),
]
TEAMS = [t[0] for t in _TEAMS]
_TEAM = {name: i for i, name in enumerate(TEAMS)}
_TEAM_OFF = np.array([t[2] for t in _TEAMS])
_DIP_TEAM = _TEAM[DIP_TEAM]


def _team_table() -> np.ndarray:
    """Team code by [touchpoint, region, variant]; variant = iOS / chat escalation / business tier."""
    t = np.full((len(TOUCHPOINTS), len(REGIONS), 2), -1, dtype=np.int16)
    by_region = {
        "website": ["Web - Persian Site"] * 3 + ["Web - Global Site"] * 4,
        "store": ["Stores - Tehran", "Stores - Provinces", "Stores - Provinces", "Stores - Gulf"]
        + ["Stores - Europe"] * 3,
        "call_center": ["Call Center - North", "Call Center - South", "Call Center - North", "Call Center - South"]
        + ["Call Center - Europe"] * 3,
        "delivery": ["Delivery - Tehran Hub", "Delivery - Tehran Hub", "Delivery - Mashhad Hub", "Delivery - Dubai Hub"]
        + ["Delivery - EU Partner"] * 3,
    }
    for tp, names in by_region.items():
        for r, name in enumerate(names):
            t[_TP[tp], r, :] = _TEAM[name]
    for tp, (a, b) in {
        "mobile_app": ("App - Android Squad", "App - iOS Squad"),
        "chat": ("Chat - Tier 1", "Chat - Tier 2"),
        "billing": ("Billing - Consumer", "Billing - Business"),
    }.items():
        t[_TP[tp], :, 0], t[_TP[tp], :, 1] = _TEAM[a], _TEAM[b]
    assert (t >= 0).all()
    return t


_TEAM_BY = _team_table()

# Agents: people who serve customers in stores, on the phone, in chat and at the door.
# (team, region or None for remote teams, name). CSAT offsets are below.
_AGENT_ROWS = [
    ("Stores - Tehran", "Tehran", ["Maryam Ahmadi", "Reza Karimi", "Neda Rahimi", "Omid Sadeghi"]),
    ("Stores - Provinces", "Isfahan", ["Leila Moradi", "Hamid Jafari"]),
    ("Stores - Provinces", "Mashhad", ["Parisa Rostami", "Kaveh Tehrani"]),
    ("Stores - Gulf", "Dubai", ["Omar Haddad", "Layla Nasser", "Yousef Saleh", "Noura Al Mansoori"]),
    ("Stores - Europe", "London", ["Emily Walker", "Daniel Hughes"]),
    ("Stores - Europe", "Sofia", ["Teodora Ivanova"]),
    ("Stores - Europe", "Plovdiv", ["Georgi Petrov"]),
    ("Call Center - North", "Tehran", ["Sara Hosseini", "Ali Mohammadi", "Shirin Ebrahimi", "Babak Kazemi"]),
    ("Call Center - North", "Mashhad", ["Elham Rezaei", "Farhad Najafi"]),
    ("Call Center - South", "Isfahan", ["Nazanin Ghorbani", "Arash Soltani", "Mina Bagheri"]),
    ("Call Center - South", "Dubai", ["Khalid Obeid", "Fatima Khoury", "Hassan Darwish"]),
    ("Call Center - Europe", "London", ["Oliver Bennett", "Chloe Patel"]),
    ("Call Center - Europe", "Sofia", ["Ivan Dimitrov", "Maria Georgieva", "Plamen Stoyanov"]),
    ("Call Center - Europe", "Plovdiv", ["Desislava Todorova"]),
    ("Chat - Tier 1", None, ["Sophie Clarke", "Amir Farahani", "Mariam Saleh", "Noa Levi", "Elena Marinova", "Dina Karimi", "James Reid"]),
    ("Chat - Tier 2", None, ["Yael Cohen", "Nikolay Hristov", "Zahra Amini"]),
    ("Delivery - Tehran Hub", "Tehran", ["Mehdi Rahmani", "Saeed Akbari", "Hossein Yazdani"]),
    ("Delivery - Tehran Hub", "Isfahan", ["Javad Esfahani", "Majid Noori"]),
    ("Delivery - Mashhad Hub", "Mashhad", ["Vahid Razavi", "Reza Khorasani", "Ali Sharifi"]),
    ("Delivery - Dubai Hub", "Dubai", ["Tariq Hamdan", "Samir Aziz", "Imran Qureshi"]),
    ("Delivery - EU Partner", "London", ["Tom Fletcher", "Ryan Cooper"]),
    ("Delivery - EU Partner", "Sofia", ["Stefan Kolev", "Boyan Iliev"]),
    ("Delivery - EU Partner", "Plovdiv", ["Kiril Angelov"]),
]
_WEAK_AGENT = "Plamen Stoyanov"  # a coaching case the team view should surface
_STAR_AGENT = "Noura Al Mansoori"


def _agents():
    team, region, names = [], [], []
    for t, r, ns in _AGENT_ROWS:
        for n in ns:
            team.append(_TEAM[t])
            region.append(-1 if r is None else REGIONS.index(r))
            names.append(n)
    team, region = np.array(team), np.array(region)
    ids = [f"AG{2000 + 7 * i + (i * 13) % 7:04d}" for i in range(len(names))]
    # Small fixed differences between colleagues, plus the two planted outliers.
    off = np.array([((i * 37) % 11 - 5) / 40 for i in range(len(names))])
    off[names.index(_WEAK_AGENT)] = -0.8
    off[names.index(_STAR_AGENT)] = 0.35
    # Pool of candidate agents per (team, region): local colleagues, else the whole team.
    flat, start, count = [], np.zeros((len(TEAMS), len(REGIONS)), np.int64), np.zeros((len(TEAMS), len(REGIONS)), np.int64)
    for t in range(len(TEAMS)):
        for r in range(len(REGIONS)):
            pool = np.flatnonzero((team == t) & (region == r))
            if pool.size == 0:
                pool = np.flatnonzero(team == t)
            start[t, r], count[t, r] = len(flat), pool.size
            flat.extend(pool.tolist())
    return ids, names, off, np.array(flat, dtype=np.int64), start, count


_AGENT_IDS, _AGENT_NAMES, _AGENT_OFF, _AGENT_FLAT, _AGENT_START, _AGENT_COUNT = _agents()

# --------------------------------------------------------------------------------------------
# Score model. Scores are an integer-rounded latent value, clipped to the scale, so that shifts
# in the latent level move means and top-box shares the way real data does (with ceiling effects).
# --------------------------------------------------------------------------------------------
_CSAT_BASE = np.array([4.15, 3.85, 4.40, 4.35, 4.35, 4.20, 4.15])  # per touchpoint
_CES_OFF = np.array([0.10, 0.20, 0.20, -0.30, 0.00, 0.00, -0.40])
_REGION_OFF = np.array([-0.05, 0.05, -0.10, 0.15, 0.00, -0.05, 0.08])
_TIER_OFF = np.array([0.00, -0.35, 0.00, 0.20])
_TENURE_OFF = np.array([0.10, -0.10, 0.00, 0.10])
_CHANNEL_OFF = np.array([0.05, 0.00, 0.00, -0.15, 0.05])
_TREND = 0.5  # latent CSAT gained by the trend touchpoint over the whole period
# Relationship survey: satisfaction with each touchpoint, how often it is used, NPS drivers.
_REL_BASE = np.array([4.00, 3.80, 4.20, 3.85, 4.00, 4.10, 3.70])
_USE_P = np.array(
    [
        [0.55, 0.70, 0.40, 0.30, 0.25, 0.50, 0.45],  # Consumer
        [0.60, 0.55, 0.30, 0.45, 0.30, 0.35, 0.75],  # SMB
        [0.65, 0.50, 0.25, 0.55, 0.35, 0.40, 0.70],  # Enterprise
        [0.50, 0.70, 0.60, 0.40, 0.25, 0.55, 0.45],  # VIP
    ]
)
_DRIVER_W = np.array(
    [
        [0.25, 0.65, 0.20, 0.25, 0.15, 0.90, 0.25],  # Consumer: delivery, app
        [0.20, 0.25, 0.15, 0.35, 0.15, 0.25, 1.00],  # SMB: billing
        [0.20, 0.20, 0.15, 0.90, 0.30, 0.35, 0.35],  # Enterprise: call center
        [0.20, 0.30, 0.90, 0.35, 0.15, 0.25, 0.25],  # VIP: store
    ]
)
_NPS_TIER_OFF = np.array([0.0, -1.2, -0.1, 0.4])
_NPS_TENURE_OFF = np.array([0.3, -0.3, 0.0, 0.2])
_DIP_BY_REGION = np.array([-1.4, -0.5, 0, 0, 0, 0, 0])  # latent CSAT lost by the dip team
_DIP_RAMP_DAYS = 10.0

# Intraday volume in UTC (customers are UTC+0 to UTC+4), hour 0..23.
_HOURLY = np.array([1.0, 0.6, 0.5, 0.6, 1.2, 2.5, 4.0, 5.5, 6.5, 7.0, 7.0, 6.8, 6.5, 6.5, 6.8, 6.5, 6.0, 5.5, 5.0, 4.5, 3.5, 2.8, 2.0, 1.4])
_HOUR_CDF = np.concatenate([[0.0], np.cumsum(_HOURLY) / _HOURLY.sum()])
_WEEKDAY = np.array([1.10, 1.08, 1.05, 1.02, 0.95, 0.78, 0.80])  # Monday first

# --------------------------------------------------------------------------------------------
# Comments: per language, sentences about a touchpoint ({S} = as subject at the start of a
# sentence, {o} = after a preposition) plus sentences about the company in general.
# Sentiment: 0 negative, 1 neutral, 2 positive.
# --------------------------------------------------------------------------------------------
_TP_WORDS = {  # (subject form, object form) per touchpoint
    "en": [("The website", "the website"), ("The app", "the app"), ("The store", "the store"), ("The call center", "the call center"),
           ("The chat", "the chat"), ("The delivery", "the delivery"), ("Billing", "billing")],
    "fa": [("وب‌سایت",) * 2, ("اپلیکیشن",) * 2, ("فروشگاه",) * 2, ("مرکز تماس",) * 2, ("چت آنلاین",) * 2, ("ارسال",) * 2, ("صورتحساب",) * 2],
    "ar": [("الموقع الإلكتروني",) * 2, ("التطبيق",) * 2, ("المتجر",) * 2, ("مركز الاتصال",) * 2, ("الدردشة المباشرة",) * 2,
           ("التوصيل",) * 2, ("الفواتير",) * 2],
    "he": [("האתר",) * 2, ("האפליקציה",) * 2, ("החנות",) * 2, ("המוקד הטלפוני",) * 2, ("הצ'אט",) * 2, ("המשלוח",) * 2, ("החיוב",) * 2],
    "bg": [("Уебсайтът", "уебсайта"), ("Приложението", "приложението"), ("Магазинът", "магазина"), ("Кол центърът", "кол центъра"),
           ("Чатът", "чата"), ("Доставката", "доставката"), ("Фактурирането", "фактурирането")],
}
# Generic sentences: [negative, neutral, positive], each a list of templates.
_GENERIC = {
    "en": [
        ["Very disappointed with {o}.", "{S} wasted a lot of my time.", "Problems with {o} again, this is not acceptable.",
         "{S} was a frustrating experience from start to finish.", "I expected much better from {o}."],
        ["{S} was okay, nothing special.", "{S} did the job, but it could be faster.", "Average experience with {o}."],
        ["{S} worked perfectly, thank you.", "Very happy with {o} this time.", "{S}: quick, simple and friendly.",
         "No complaints about {o}, everything went smoothly.", "Excellent experience with {o}. Keep it up!"],
    ],
    "fa": [
        ["از {o} واقعاً ناامید شدم.", "{S} وقت زیادی از من گرفت.", "باز هم مشکل با {o}، این قابل قبول نیست.",
         "{S} از اول تا آخر اعصاب‌خردکن بود.", "از {o} انتظار خیلی بیشتری داشتم."],
        ["{S} بد نبود، چیز خاصی هم نبود.", "{S} کارم را راه انداخت ولی می‌توانست سریع‌تر باشد.", "تجربه‌ی {o} معمولی بود."],
        ["{S} عالی بود، ممنونم.", "این بار از {o} خیلی راضی بودم.", "{S}: سریع، ساده و دوستانه.",
         "هیچ مشکلی با {o} نداشتم، همه چیز خوب پیش رفت.", "تجربه‌ی {o} فوق‌العاده بود. خسته نباشید!"],
    ],
    "ar": [
        ["أشعر بخيبة أمل كبيرة من {o}.", "ضاع الكثير من وقتي بسبب {o}.", "مشاكل مع {o} مرة أخرى، هذا غير مقبول.",
         "تجربة {o} كانت محبطة من البداية إلى النهاية.", "كنت أتوقع أفضل بكثير من {o}."],
        ["تجربة {o} كانت مقبولة، لا شيء مميز.", "{S}: أدى الغرض، لكن يمكن أن يكون أسرع.", "تجربة عادية مع {o}."],
        ["تجربة {o} كانت ممتازة، شكراً لكم.", "أنا راضٍ جداً عن {o} هذه المرة.", "{S}: سريع وبسيط وودود.",
         "لا توجد أي شكوى بخصوص {o}، كل شيء سار بسلاسة.", "خدمة ممتازة في {o}. استمروا!"],
    ],
    "he": [
        ["מאוד מאוכזב מ{o}.", "{S}: בזבוז זמן מוחלט.", "שוב בעיות עם {o}, זה לא מקובל.",
         "החוויה עם {o} הייתה מתסכלת מההתחלה ועד הסוף.", "ציפיתי להרבה יותר מ{o}."],
        ["{S}: בסדר, שום דבר מיוחד.", "{S}: עשה את העבודה, אבל יכול להיות מהיר יותר.", "חוויה ממוצעת עם {o}."],
        ["החוויה עם {o} הייתה מצוינת, תודה.", "מאוד מרוצה מ{o} הפעם.", "{S}: מהיר, פשוט ונעים.",
         "אין לי שום תלונה על {o}, הכול עבר חלק.", "שירות מצוין, כל הכבוד על {o}!"],
    ],
    "bg": [
        ["Много съм разочарован от {o}.", "Загубих много време заради {o}.", "Пак проблеми с {o}, това е неприемливо.",
         "{S}: изнервящо преживяване от началото до края.", "Очаквах много повече от {o}."],
        ["{S}: нормално, нищо особено.", "{S}: свърши работа, но може и по-бързо.", "Средно преживяване с {o}."],
        ["Благодаря, всичко с {o} беше перфектно.", "Много съм доволен от {o} този път.", "{S}: бързо, лесно и приятно.",
         "Нямам никакви оплаквания от {o}, всичко мина гладко.", "Отлично преживяване с {o}. Браво!"],
    ],
}
# Touchpoint-specific sentences: per touchpoint (negatives, positives). Delivery's first four
# negatives are about delays: the dip team's unhappy customers use only those.
_DELAY_TEMPLATES = 4
_SPECIFIC = {
    "en": {
        "website": (["The website keeps logging me out at checkout.", "The website search never finds what I'm looking for."],
                    ["Found the plan I wanted on the website in two minutes."]),
        "mobile_app": (["The app crashes every time I open the invoices page.", "The login code in the app never arrives."],
                       ["Love the app, paying my bill takes seconds."]),
        "store": (["Waited 40 minutes in the store for a SIM swap.", "The store had no stock of the phone I ordered."],
                  ["Staff at the store were friendly and helpful."]),
        "call_center": (["I called three times and nobody could fix my issue.", "45 minutes on hold before anyone answered."],
                        ["The agent on the phone solved my problem right away."]),
        "chat": (["The chat disconnected twice before I got an answer.", "The chat bot kept sending me the same useless links."],
                 ["The chat agent answered within a minute and was very patient."]),
        "delivery": (["Late delivery again, my parcel arrived three days late.", "The courier never showed up in the promised time slot.",
                      "Delivery was postponed twice without any notice.", "Nobody could tell me where my order was for a week.",
                      "The box arrived damaged.", "The courier was rude and left the parcel at the door."],
                     ["Got my phone the next day, great delivery."]),
        "billing": (["Billing errors every month on our account.", "I was charged twice and the refund is still missing."],
                    ["Easy to understand invoice, no surprises."]),
    },
    "fa": {
        "website": (["سایت موقع پرداخت مدام از حسابم خارج می‌شود.", "جستجوی سایت هیچ‌وقت چیزی که می‌خواهم را پیدا نمی‌کند."],
                    ["در سایت خیلی زود طرح مورد نظرم را پیدا کردم."]),
        "mobile_app": (["اپ هر بار که صفحه‌ی فاکتورها را باز می‌کنم بسته می‌شود.", "کد ورود اپلیکیشن هیچ‌وقت نمی‌رسد."],
                       ["اپلیکیشن عالی است، پرداخت قبض چند ثانیه طول می‌کشد."]),
        "store": (["برای تعویض سیم‌کارت ۴۰ دقیقه در فروشگاه منتظر ماندم.", "گوشی‌ای که سفارش داده بودم در فروشگاه موجود نبود."],
                  ["کارکنان فروشگاه خوش‌برخورد و کمک‌کننده بودند."]),
        "call_center": (["سه بار تماس گرفتم و هیچ‌کس نتوانست مشکلم را حل کند.", "۴۵ دقیقه پشت خط منتظر ماندم."],
                        ["کارشناس تلفنی مشکلم را همان لحظه حل کرد."]),
        "chat": (["چت دو بار قطع شد قبل از اینکه جوابی بگیرم.", "ربات چت مدام همان لینک‌های بی‌فایده را می‌فرستاد."],
                 ["پشتیبان چت ظرف یک دقیقه جواب داد و خیلی صبور بود."]),
        "delivery": (["باز هم تأخیر در ارسال، بسته‌ام سه روز دیر رسید.", "پیک در بازه‌ی زمانی وعده داده شده نیامد.",
                      "ارسال دو بار بدون هیچ اطلاعی عقب افتاد.", "یک هفته هیچ‌کس نمی‌دانست سفارشم کجاست.",
                      "جعبه آسیب‌دیده به دستم رسید.", "پیک بی‌ادب بود و بسته را دم در گذاشت."],
                     ["گوشی‌ام روز بعد رسید، ارسال عالی بود."]),
        "billing": (["هر ماه در صورتحساب حساب شرکتی‌مان اشتباه هست.", "دو بار از من پول کسر شد و هنوز برگشت داده نشده."],
                    ["فاکتور واضح است و هیچ هزینه‌ی غیرمنتظره‌ای ندارد."]),
    },
    "ar": {
        "website": (["الموقع يسجل خروجي في كل مرة عند الدفع.", "البحث في الموقع لا يجد ما أبحث عنه أبداً."],
                    ["وجدت الباقة التي أريدها على الموقع خلال دقيقتين."]),
        "mobile_app": (["التطبيق يتوقف كلما فتحت صفحة الفواتير.", "رمز الدخول في التطبيق لا يصل أبداً."],
                       ["التطبيق رائع، دفع الفاتورة يستغرق ثواني."]),
        "store": (["انتظرت 40 دقيقة في المتجر لتبديل الشريحة.", "الهاتف الذي طلبته لم يكن متوفراً في المتجر."],
                  ["الموظفون في المتجر كانوا ودودين ومتعاونين."]),
        "call_center": (["اتصلت ثلاث مرات ولم يستطع أحد حل مشكلتي.", "بقيت 45 دقيقة على الانتظار قبل أن يرد أحد."],
                        ["الموظف على الهاتف حل مشكلتي فوراً."]),
        "chat": (["انقطعت الدردشة مرتين قبل أن أحصل على إجابة.", "روبوت الدردشة يرسل لي نفس الروابط غير المفيدة."],
                 ["موظف الدردشة رد خلال دقيقة وكان صبوراً جداً."]),
        "delivery": (["تأخر التوصيل مرة أخرى، وصلت الشحنة متأخرة ثلاثة أيام.", "لم يأتِ المندوب في الموعد المحدد.",
                      "تم تأجيل التوصيل مرتين دون أي إشعار.", "لم يعرف أحد أين طلبي لمدة أسبوع.",
                      "وصل الصندوق تالفاً.", "المندوب كان فظاً وترك الطرد عند الباب."],
                     ["وصل هاتفي في اليوم التالي، توصيل ممتاز."]),
        "billing": (["أخطاء في الفواتير كل شهر على حساب شركتنا.", "تم خصم المبلغ مرتين وما زلت أنتظر الاسترداد."],
                    ["الفاتورة واضحة وسهلة الفهم، بدون مفاجآت."]),
    },
    "he": {
        "website": (["האתר מנתק אותי כל פעם בתשלום.", "החיפוש באתר אף פעם לא מוצא את מה שאני מחפש."],
                    ["מצאתי באתר את המסלול שרציתי תוך שתי דקות."]),
        "mobile_app": (["האפליקציה קורסת בכל פעם שאני פותח את עמוד החשבוניות.", "קוד הכניסה לאפליקציה אף פעם לא מגיע."],
                       ["האפליקציה מעולה, תשלום החשבון לוקח שניות."]),
        "store": (["חיכיתי 40 דקות בחנות בשביל החלפת סים.", "הטלפון שהזמנתי לא היה במלאי בחנות."],
                  ["הצוות בחנות היה אדיב ועוזר."]),
        "call_center": (["התקשרתי שלוש פעמים ואף אחד לא הצליח לפתור את הבעיה.", "המתנה ארוכה בטלפון, 45 דקות בהמתנה."],
                        ["הנציג בטלפון פתר לי את הבעיה מיד."]),
        "chat": (["הצ'אט התנתק פעמיים לפני שקיבלתי תשובה.", "הבוט בצ'אט שלח לי שוב ושוב את אותם קישורים חסרי תועלת."],
                 ["הנציג בצ'אט ענה תוך דקה והיה סבלני מאוד."]),
        "delivery": (["שוב משלוח מאוחר, החבילה הגיעה באיחור של שלושה ימים.", "השליח לא הגיע בחלון הזמן שהובטח.",
                      "המשלוח נדחה פעמיים בלי שום הודעה.", "במשך שבוע אף אחד לא ידע איפה ההזמנה שלי.",
                      "הקופסה הגיעה פגומה.", "השליח היה גס רוח והשאיר את החבילה ליד הדלת."],
                     ["הטלפון הגיע למחרת, משלוח מצוין."]),
        "billing": (["טעויות בחיוב כל חודש בחשבון העסקי שלנו.", "חייבו אותי פעמיים וההחזר עדיין לא הגיע."],
                    ["החשבונית ברורה וקלה להבנה, בלי הפתעות."]),
    },
    "bg": {
        "website": (["Сайтът постоянно ме изхвърля при плащане.", "Търсачката на сайта никога не намира това, което търся."],
                    ["Намерих плана, който исках, на сайта за две минути."]),
        "mobile_app": (["Приложението се срива всеки път, когато отворя страницата с фактурите.", "Кодът за вход в приложението така и не пристига."],
                       ["Приложението е страхотно, плащам сметката за секунди."]),
        "store": (["Чаках 40 минути в магазина за смяна на SIM карта.", "Телефонът, който поръчах, го нямаше в магазина."],
                  ["Служителите в магазина бяха любезни и отзивчиви."]),
        "call_center": (["Обаждах се три пъти и никой не можа да реши проблема ми.", "45 минути изчакване, преди някой да вдигне."],
                        ["Операторът по телефона реши проблема ми веднага."]),
        "chat": (["Чатът прекъсна два пъти, преди да получа отговор.", "Ботът в чата ми пращаше едни и същи безполезни линкове."],
                 ["Консултантът в чата отговори за минута и беше много търпелив."]),
        "delivery": (["Отново закъсняла доставка, пратката пристигна с три дни закъснение.", "Куриерът не дойде в обещания часови интервал.",
                      "Доставката беше отлагана два пъти без никакво уведомление.", "Цяла седмица никой не знаеше къде е поръчката ми.",
                      "Кутията пристигна повредена.", "Куриерът беше груб и остави пратката пред вратата."],
                     ["Телефонът пристигна на следващия ден, страхотна доставка."]),
        "billing": (["Всеки месец има грешки във фактурите на фирмената ни сметка.", "Таксуваха ме два пъти, а парите още не са върнати."],
                    ["Фактурата е ясна и разбираема, без изненади."]),
    },
}
# About the company rather than a touchpoint: [negative, neutral, positive].
_GENERAL = {
    "en": [["Prices went up again without notice.", "Network coverage at home is terrible.", "Thinking about switching to another provider."],
           ["Prices are fine, nothing more to say.", "It's okay overall."],
           ["Good network coverage everywhere I go.", "Great value for money. 👍", "Been a customer for years and still happy."]],
    "fa": [["قیمت‌ها دوباره بدون اطلاع قبلی بالا رفت.", "پوشش شبکه در خانه افتضاح است.", "دارم به عوض کردن اپراتور فکر می‌کنم."],
           ["قیمت‌ها مناسب است، حرف دیگری ندارم.", "در کل بد نیست."],
           ["پوشش شبکه همه‌جا خوب است.", "نسبت به قیمت ارزش خوبی دارد. 😊", "سال‌هاست مشتری هستم و هنوز راضی‌ام."]],
    "ar": [["ارتفعت الأسعار مرة أخرى دون إشعار.", "تغطية الشبكة في المنزل سيئة جداً.", "أفكر في الانتقال إلى مزود آخر."],
           ["الأسعار مقبولة، لا شيء آخر أضيفه.", "بشكل عام لا بأس."],
           ["تغطية الشبكة جيدة في كل مكان.", "قيمة ممتازة مقابل السعر. ⭐⭐⭐⭐⭐", "أنا عميل منذ سنوات وما زلت راضياً."]],
    "he": [["המחירים עלו שוב בלי הודעה.", "כיסוי הרשת בבית גרוע.", "אני שוקל לעבור לספק אחר."],
           ["המחירים בסדר, אין לי מה להוסיף.", "בסך הכול בסדר."],
           ["כיסוי רשת טוב בכל מקום.", "תמורה מצוינת למחיר. 🙏", "אני לקוח כבר שנים ועדיין מרוצה."]],
    "bg": [["Цените пак се вдигнаха без предупреждение.", "Покритието вкъщи е ужасно.", "Мисля да сменя оператора."],
           ["Цените са нормални, нямам какво да добавя.", "Като цяло е добре."],
           ["Покритието е добро навсякъде.", "Много добро съотношение цена-качество.", "Клиент съм от години и още съм доволен."]],
}
_LONG_RANT = " ".join(
    ["I have been a customer for eleven years and I have never written a review before, but this time I have to."]
    + [s for _ in range(6) for s in _SPECIFIC["en"]["delivery"][0] + _GENERAL["en"][0]]
    + ["Please, somebody read this and call me back."]
)
# Hostile-looking comments, by sentiment. They are plain data: the app must show them verbatim.
_HOSTILE = [
    [
        "<img src=x onerror=alert(1)> the website is broken again",
        "<script>alert('xss')</script> خدمات افتضاح بود",
        '=HYPERLINK("http://example.com/refund","Click here for your refund")',
        "@SUM(1+1)*cmd|' /C calc'!A0 charged twice",
        "'; DROP TABLE responses; -- the app is useless",
        "Three problems:\n1. The courier was late\n2. The box was damaged\r\n3. Nobody answers the phone",
        "**Terrible** service, see [proof](javascript:alert(1)) # not happy",
        "\u202eThe app is broken\u202c and nobody cares",
        _LONG_RANT,
        "پیک نیامد\nدوباره زنگ زدم\nهیچ جوابی نگرفتم",
    ],
    ["<b>OK</b> I guess", "-2+3 stars, average", "Line one\nLine two\n\nLine four", "{{7*7}} ${7*7} nothing special"],
    [
        "<b>Great</b> service, thank you!",
        '<i>Excellent</i> delivery 👍 <a href="http://example.com">link</a>',
        '=HYPERLINK("https://example.com","5 stars")',
        "Thank you!\nFast delivery.\nFriendly staff.",
        "ممنون از همه\nارسال سریع بود 🙏",
    ],
]
_HOSTILE_RATE = 0.01  # share of comments: rare, but every screen of verbatims may meet one
_SECOND_SENTENCE_RATE = 0.3


def _comment_pool():
    """Flatten all sentences into one Arrow array; index tables give each group's slice."""
    texts: list[str] = []
    n_tp = len(TOUCHPOINTS)
    # group [language, touchpoint or n_tp for 'general', sentiment]
    start = np.zeros((len(LANGUAGES), n_tp + 1, 3), np.int64)
    count = np.zeros_like(start)

    def add(li, ti, si, items):
        start[li, ti, si], count[li, ti, si] = len(texts), len(items)
        texts.extend(items)

    for li, lang in enumerate(LANGUAGES):
        for ti, tp in enumerate(TOUCHPOINTS):
            subj, obj = _TP_WORDS[lang][ti]
            generic = [[t.format(S=subj, o=obj) for t in group] for group in _GENERIC[lang]]
            negative, positive = _SPECIFIC[lang][tp]
            add(li, ti, 0, negative + generic[0])  # specific first: delivery delays lead
            add(li, ti, 1, generic[1])
            add(li, ti, 2, positive + generic[2])
        for si in range(3):
            add(li, n_tp, si, _GENERAL[lang][si])
    h_start = np.zeros(3, np.int64)
    h_count = np.zeros(3, np.int64)
    for si in range(3):
        h_start[si], h_count[si] = len(texts), len(_HOSTILE[si])
        texts.extend(_HOSTILE[si])
    return pa.array(texts, pa.string()), start, count, h_start, h_count


_TEXTS, _TEXT_START, _TEXT_COUNT, _HOSTILE_START, _HOSTILE_COUNT = _comment_pool()

# Arrow dictionaries for code -> label.
_D_REGION, _D_TIER, _D_TENURE, _D_LANG = (pa.array(x, pa.string()) for x in (REGIONS, TIERS, TENURE_BANDS, LANGUAGES))
_D_CHANNEL, _D_SOURCE, _D_TP, _D_TEAM = (pa.array(x, pa.string()) for x in (CHANNELS, SOURCES, TOUCHPOINTS, TEAMS))
_D_AGENT_ID, _D_AGENT_NAME = pa.array(_AGENT_IDS, pa.string()), pa.array(_AGENT_NAMES, pa.string())
_D_ID_PREFIX = pa.array(_ID_PREFIX, pa.string())

# Answer slots of one response, in the order its rows appear.
_METRICS = ["nps", "tp_sat", "effort", "csat", "ces", "resolved", "comment"]
_D_METRIC = pa.array(_METRICS, pa.string())
_S_NPS, _S_TP, _S_EFFORT, _S_CSAT, _S_CES, _S_RESOLVED, _S_COMMENT = 0, 1, 8, 9, 10, 11, 12
_N_SLOTS = 13
_SLOT_METRIC = np.array([0] + [1] * 7 + [2, 3, 4, 5, 6])
# Touchpoint of a slot's row: -1 none, -2 the response's own touchpoint (transactional).
_SLOT_TP = np.array([-1] + list(range(7)) + [-1, -2, -2, -2, -2])


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def demo_model_path() -> Path:
    """The pyramid model (YAML) that describes the demo company."""
    return Path(__file__).resolve().parent / "models" / "demo.yaml"


def generate(
    responses: int,
    *,
    seed: int = 7,
    start: date = DEMO_START,
    end: date = DEMO_END,
    batch_size: int = 1_000_000,
) -> Iterator[pa.Table]:
    """Yield the demo survey data as Arrow tables in the canonical long format (see SCHEMA).

    One row per (response, metric). `batch_size` counts responses; a response's rows are
    consecutive and never split across batches (a batch's columns may be chunked). Same arguments give byte-identical output, and
    the concatenated output does not depend on `batch_size`.
    """
    if isinstance(responses, bool) or not isinstance(responses, (int, np.integer)) or responses < 0:
        raise ValueError(f"responses must be a whole number >= 0, not {responses!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, not {seed!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, not {batch_size!r}")
    # Checked here, not on the first next(), so a bad call fails where it is made.
    return _batches(_Plan(int(responses), int(seed), _as_date(start), _as_date(end)), int(batch_size))


def _batches(plan: _Plan, batch_size: int) -> Iterator[pa.Table]:
    built: dict[int, tuple[pa.Table, np.ndarray]] = {}
    # Chunks are independent (own random stream), so two threads build them in any order and
    # the result is the same; numpy and Arrow release the GIL for most of the work.
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for lo in range(0, plan.n, batch_size):
            hi = min(lo + batch_size, plan.n)
            needed = range(lo // _CHUNK, (hi - 1) // _CHUNK + 1)
            todo = [c for c in needed if c not in built]
            built.update(zip(todo, pool.map(plan.chunk, todo)))
            pieces = []
            for c in needed:
                table, offsets = built[c]
                a, b = max(lo, c * _CHUNK) - c * _CHUNK, min(hi, (c + 1) * _CHUNK) - c * _CHUNK
                pieces.append(table.slice(offsets[a], offsets[b] - offsets[a]))
            yield pieces[0] if len(pieces) == 1 else pa.concat_tables(pieces)
            # The last chunk may straddle into the next batch; nothing else is kept.
            built = {needed[-1]: built[needed[-1]]}


def write_parquet(path, responses: int, **kw) -> int:
    """Stream `generate(responses, **kw)` into one Parquet file; returns the number of rows written."""
    rows = 0
    # Dictionary pages only pay off for repetitive columns; ids and timestamps are nearly unique.
    dictionary = [f.name for f in SCHEMA if f.name not in ("source_response_id", "customer_id", "responded_at")]
    with pq.ParquetWriter(str(path), SCHEMA, compression="zstd", use_dictionary=dictionary) as writer:
        for batch in generate(responses, **kw):
            writer.write_table(batch)
            rows += batch.num_rows
    return rows


def _as_date(d) -> date:
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    if isinstance(d, str):
        return date.fromisoformat(d)
    raise TypeError(f"expected a date, not {d!r}")


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------
def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a cheap, well-mixed hash so customer traits need no lookup table."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _unit(h: np.ndarray) -> np.ndarray:
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def _pick(u: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """Categorical draw per row: `cum` is (k,) or (n, k) cumulative probabilities."""
    if cum.ndim == 1:
        return np.searchsorted(cum, u, side="right").clip(max=cum.size - 1)
    return (u[:, None] >= cum[:, :-1]).sum(axis=1)


def _cum(p) -> np.ndarray:
    c = np.cumsum(np.asarray(p, dtype=np.float64), axis=-1)
    return c / c[..., -1:]


def _labels(codes: np.ndarray, dictionary: pa.Array) -> pa.Array:
    """Codes -> strings; negative codes become null."""
    neg = codes < 0
    return dictionary.take(pa.array(codes, mask=neg if neg.any() else None))


def _scale(z: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.rint(z), lo, hi).astype(np.int8)


class _Plan:
    """Everything decided once per call (calendar, customer base); chunks are built from it."""

    def __init__(self, n: int, seed: int, start: date, end: date):
        if end < start:
            raise ValueError(f"end ({end}) is before start ({start})")
        self.n, self.seed, self.start, self.end = n, seed, start, end
        days = (end - start).days + 1
        d = np.arange(days)
        self.day_epoch = (start - date(1970, 1, 1)).days + d  # days since epoch
        d64 = np.datetime64(start, "D") + d
        doy = (d64 - d64.astype("datetime64[Y]")).astype(np.int64)
        self.t = d / max(days - 1, 1)  # 0 .. 1 across the period
        # Mild seasonality: a little lower in the winter holiday rush.
        self.season = 0.06 * np.cos(2 * np.pi * (doy - 196) / 365.25)
        weekday = _WEEKDAY[(start.weekday() + d) % 7]
        volume = (1 + 0.3 * self.t) * weekday * (1 + 0.06 * np.cos(2 * np.pi * (doy - 335) / 365.25))
        cal = np.random.default_rng(np.random.SeedSequence([seed, 0]))
        self.counts = cal.multinomial(n, volume / volume.sum()) if n else np.zeros(days, np.int64)
        self.first = np.concatenate([[0], np.cumsum(self.counts)])  # first response index per day
        # The dip begins with the last quarter of the period and reaches full depth in ~10 days.
        q_start = date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
        self.dip = np.clip((d - (q_start - start).days) / _DIP_RAMP_DAYS, 0, 1) if q_start > start else np.zeros(days)
        self.customers = max(100, n // 3)
        self.salt = np.uint64(_mix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], np.uint64))[0])

    # -- customers: traits are a pure function of (seed, customer number) ----------------------
    def _customers(self, k: np.ndarray, day: np.ndarray):
        base = (k.astype(np.uint64) << np.uint64(4)) ^ self.salt
        u = [_unit(_mix64(base + np.uint64(j))) for j in range(8)]
        region = _pick(u[0], _cum(_REGION_W))
        lang = _pick(u[1], _cum(_LANG_BY_REGION)[region])
        tier = _pick(u[2], _cum(_TIER_W))
        # Day the customer joined, relative to the start: a fifth join during the period, the
        # rest before it (about three years on average), so tenure bands shift as time passes.
        joined = np.where(u[3] < 0.2, u[4] * (len(self.t) - 1), 1100.0 * np.log1p(-u[4])).astype(np.int64)
        tenure_days = np.maximum(day - joined, 0)
        tenure = np.searchsorted(np.array([183, 730, 1826]), tenure_days, side="right")
        ios = u[5] < np.where(np.isin(region, _IR), 0.25, 0.5)  # Android dominates in Iran
        attitude = np.sqrt(-2 * np.log1p(-u[6])) * np.cos(2 * np.pi * u[7])  # Box-Muller
        return region, lang, tier, tenure, ios, attitude

    def chunk(self, c: int) -> tuple[pa.Table, np.ndarray]:
        """Table for responses [c*CHUNK, ...) and the row offset where each response starts."""
        lo, hi = c * _CHUNK, min((c + 1) * _CHUNK, self.n)
        n = hi - lo
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 1, c]))
        idx = np.arange(lo, hi)

        # When: stratified within each day so timestamps rise with the response number.
        day = np.searchsorted(self.first, idx, side="right") - 1
        q = (idx - self.first[day] + rng.random(n)) / self.counts[day]
        secs = np.floor(np.interp(q, _HOUR_CDF, np.arange(25) * 3600.0)).astype(np.int64)
        ts = (self.day_epoch[day] * 86400 + secs) * 1_000_000
        t, dip = self.t[day], self.dip[day]

        # Who: about three responses per customer over the period, so customers come back.
        cust = np.floor(self.customers * rng.random(n)).astype(np.int64)
        region, lang, tier, tenure, ios, attitude = self._customers(cust, day)
        att = 0.6 * attitude + 0.5 * rng.standard_normal(n)
        seg = _REGION_OFF[region] + _TIER_OFF[tier] + _TENURE_OFF[tenure]

        is_rel = rng.random(n) < 0.15
        tr, rel = np.flatnonzero(~is_rel), np.flatnonzero(is_rel)
        tp = np.full(n, -1, np.int64)
        tp[tr] = _pick(rng.random(tr.size), _cum(_TP_SHARE))
        source = np.full(n, _REL, np.int64)
        source[tr] = _pick(rng.random(tr.size), _cum(_CHANNEL_BY_TP)[tp[tr]])
        channel = source.copy()
        channel[rel] = _pick(rng.random(rel.size), _cum(_REL_CHANNEL))

        present = np.zeros((n, _N_SLOTS), bool)
        val = np.zeros((n, _N_SLOTS), np.int8)
        sentiment = np.full(n, 1, np.int64)
        about = np.full(n, len(TOUCHPOINTS), np.int64)  # touchpoint a comment talks about

        # -- transactional ----------------------------------------------------------------------
        team = np.full(n, -1, np.int64)
        agent = np.full(n, -1, np.int64)
        if tr.size:
            ttp, treg, ttier = tp[tr], region[tr], tier[tr]
            variant = np.select(
                [ttp == _TP["mobile_app"], ttp == _TP["chat"], ttp == _TP["billing"]],
                [ios[tr], rng.random(tr.size) < 0.2, np.isin(ttier, _BUSINESS)],
                False,
            )
            tteam = _TEAM_BY[ttp, treg, variant.astype(np.int64)].astype(np.int64)
            team[tr] = tteam
            k = _AGENT_COUNT[tteam, treg]
            pos = _AGENT_START[tteam, treg] + np.floor(rng.random(tr.size) * k).astype(np.int64)
            tagent = np.where(k > 0, _AGENT_FLAT[np.minimum(pos, _AGENT_FLAT.size - 1)], -1)
            agent[tr] = tagent
            service = _SERVICE[ttp]
            resolved = rng.random(tr.size) < 1 / (1 + np.exp(-(1.35 + 0.5 * att[tr] - 0.3 * (ttier == _SMB))))
            dip_hit = (tteam == _DIP_TEAM) * dip[tr] * _DIP_BY_REGION[treg]
            z = (
                _CSAT_BASE[ttp]
                + _TEAM_OFF[tteam]
                + seg[tr]
                + _CHANNEL_OFF[source[tr]]
                + np.where(tagent >= 0, _AGENT_OFF[np.maximum(tagent, 0)], 0.0)
                + (ttp == _TP[TREND_TOUCHPOINT]) * _TREND * t[tr]
                + self.season[day[tr]]
                + dip_hit
                + 0.45 * att[tr]
                - 1.1 * (service & ~resolved)
            )
            z_csat = z + 0.8 * rng.standard_normal(tr.size)
            csat = _scale(z_csat, 1, 5)
            ces = _scale(5.3 + _CES_OFF[ttp] + 0.75 * (z_csat - _CSAT_BASE[ttp]) - 0.6 * (service & ~resolved)
                         + 0.9 * rng.standard_normal(tr.size), 1, 7)
            present[tr, _S_CSAT] = True
            val[tr, _S_CSAT] = csat
            present[tr, _S_CES] = rng.random(tr.size) < 0.85  # some forms skip the effort question
            val[tr, _S_CES] = ces
            present[tr, _S_RESOLVED] = service
            val[tr, _S_RESOLVED] = resolved
            p_comment = 0.14 + 0.22 * (csat <= 2) + 0.06 * (csat == 5)
            present[tr, _S_COMMENT] = rng.random(tr.size) < p_comment
            sentiment[tr] = np.select([csat <= 2, csat == 3], [0, 1], 2)
            about[tr] = ttp

        # -- relationship -------------------------------------------------------------------------
        if rel.size:
            m, rreg, rtier = rel.size, region[rel], tier[rel]
            s = (
                _REL_BASE[None, :]
                + 0.55 * att[rel, None]
                + seg[rel, None]
                + self.season[day[rel], None]
                + 0.75 * rng.standard_normal((m, 7))
            )
            s[:, _TP[TREND_TOUCHPOINT]] += _TREND * t[rel]
            s[:, _TP["delivery"]] += dip[rel] * _DIP_BY_REGION[rreg]
            used = rng.random((m, 7)) < _USE_P[rtier]
            tp_sat = _scale(s, 1, 5)
            drive = (used * _DRIVER_W[rtier] * (s - _REL_BASE[None, :])).sum(axis=1)
            nps = _scale(
                8.3 + _NPS_TIER_OFF[rtier] + _NPS_TENURE_OFF[tenure[rel]] + 2 * _REGION_OFF[rreg]
                + 0.9 * att[rel] + 0.9 * drive + 1.3 * rng.standard_normal(m),
                0, 10,
            )
            effort = _scale(5.0 - 0.3 * (rtier == _SMB) + 0.5 * att[rel] + 0.3 * drive + 1.1 * rng.standard_normal(m), 1, 7)
            present[rel, _S_NPS] = True
            val[rel, _S_NPS] = nps
            present[rel, _S_TP:_S_TP + 7] = used
            val[rel, _S_TP:_S_TP + 7] = tp_sat
            present[rel, _S_EFFORT] = rng.random(m) < 0.95
            val[rel, _S_EFFORT] = effort
            present[rel, _S_COMMENT] = rng.random(m) < 0.30 + 0.18 * (nps <= 6)
            rsent = np.select([nps <= 6, nps <= 8], [0, 1], 2)
            sentiment[rel] = rsent
            # Detractors write about their worst touchpoint, promoters about their best.
            worst = np.where(used, tp_sat, 99).argmin(axis=1)
            best = np.where(used, tp_sat, -1).argmax(axis=1)
            pick = np.where(rsent == 0, worst, best)
            about[rel] = np.where(used.any(axis=1) & (rsent != 1) & (rng.random(m) < 0.7), pick, len(TOUCHPOINTS))

        # -- comment text -------------------------------------------------------------------------
        has_c = np.flatnonzero(present[:, _S_COMMENT])
        cl, ca, cs = lang[has_c], about[has_c], sentiment[has_c]
        cnt = _TEXT_COUNT[cl, ca, cs]
        # The dip team's unhappy customers talk about delays.
        in_dip = (team[has_c] == _DIP_TEAM) & (dip[has_c] > 0) & (cs == 0)
        cnt = np.where(in_dip, _DELAY_TEMPLATES, cnt)
        first = _TEXT_START[cl, ca, cs] + np.floor(rng.random(has_c.size) * cnt).astype(np.int64)
        hostile = rng.random(has_c.size) < _HOSTILE_RATE
        first = np.where(hostile, _HOSTILE_START[cs] + np.floor(rng.random(has_c.size) * _HOSTILE_COUNT[cs]).astype(np.int64), first)
        gen = len(TOUCHPOINTS)
        second = _TEXT_START[cl, gen, cs] + np.floor(rng.random(has_c.size) * _TEXT_COUNT[cl, gen, cs]).astype(np.int64)
        add_second = ~hostile & (ca != gen) & (rng.random(has_c.size) < _SECOND_SENTENCE_RATE)
        t1 = _TEXTS.take(pa.array(first))
        t2 = _TEXTS.take(pa.array(second, mask=~add_second))
        comments = pc.coalesce(pc.binary_join_element_wise(t1, t2, " "), t1)

        # -- long format: one row per present slot, response-major -------------------------------
        flat = np.flatnonzero(present.ravel())
        r, slot = flat // _N_SLOTS, flat % _N_SLOTS
        offsets = np.searchsorted(r, np.arange(n + 1))
        metric = _SLOT_METRIC[slot]
        row_tp = np.where(_SLOT_TP[slot] == -2, tp[r], _SLOT_TP[slot])
        is_comment = slot == _S_COMMENT
        # Position of each comment row's text in `comments` (comment rows are in response order).
        text_pos = np.cumsum(is_comment) - 1

        def per_row(arr: pa.Array) -> pa.Array:
            return arr.take(pa.array(r))

        ids = pc.binary_join_element_wise(
            _D_ID_PREFIX.take(pa.array(source)),
            pc.utf8_lpad(pc.cast(pa.array(idx + 1), pa.string()), 8, "0"),
            "",
        )
        cust_ids = pc.binary_join_element_wise(
            pa.scalar("C"), pc.utf8_lpad(pc.cast(pa.array(cust + 1), pa.string()), 8, "0"), ""
        )
        columns = [
            _labels(source[r], _D_SOURCE),
            per_row(ids),
            pa.array(ts[r], pa.timestamp("us", tz="UTC")),
            per_row(cust_ids),
            _labels(region[r], _D_REGION),
            _labels(tier[r], _D_TIER),
            _labels(tenure[r], _D_TENURE),
            _labels(lang[r], _D_LANG),
            _labels(channel[r], _D_CHANNEL),
            _labels(row_tp, _D_TP),
            _labels(team[r], _D_TEAM),
            _labels(agent[r], _D_AGENT_ID),
            _labels(agent[r], _D_AGENT_NAME),
            _labels(metric, _D_METRIC),
            pa.array(val.ravel()[flat].astype(np.float64), mask=is_comment),
            comments.take(pa.array(text_pos, mask=~is_comment)),
        ]
        return pa.Table.from_arrays(columns, schema=SCHEMA), offsets
