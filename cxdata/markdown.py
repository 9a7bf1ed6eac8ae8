"""Text from files and data shown inside Streamlit's Markdown (alerts, captions, headings).

File names, column headers and labels come from whoever made the export. Inside Markdown they
would be read as formatting: `*` and `_` as emphasis, `[..](..)` as a link, `$..$` as a formula,
`:red[..]` and `:material/..:` as Streamlit's colour and icon directives, a bare `http://` or
`www.` as a link, a line of `===` under another as a heading, leading spaces as code. `escape`
makes such text show exactly as written, on one line (the places it goes hold one line).
"""

from __future__ import annotations

import re

# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that format.
_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~&=^])")
_BREAKS = re.compile(r"\s*[\r\n]+\s*")
# Directives, shortcodes and bare links survive backslashes (they are matched after parsing):
# an invisible zero-width space after the colon or the @, or inside "www.", breaks them. Before a
# digit only where a shortcode could follow (":100:", ":1st_place_medal:"): times ("19:23") stay
# as typed, so a time copied from the page is the time.
_COLON = re.compile(r":(?=[^\s\d]|\d+[a-z_\\]*:)")
# No word boundary before "www": the link finder also starts a link after "_" ("report_www.x.com").
_WWW = re.compile(r"(?i)(www)\\\.")
_AT = re.compile(r"@(?=\S)")  # a@b.example would become a mailto: link
ZWSP = "\u200b"


def escape(text: object) -> str:
    """`text` as literal Markdown: it renders as the same characters, with no formatting (line
    breaks and the blanks around them become one space)."""
    out = _PUNCT.sub(r"\\\1", _BREAKS.sub(" ", str(text)).strip())
    out = _AT.sub("@" + ZWSP, _COLON.sub(":" + ZWSP, out))
    return _WWW.sub(r"\1" + ZWSP + r"\\.", out)
