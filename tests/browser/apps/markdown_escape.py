"""App script for tests/browser/test_browser_markdown.py: text made by whoever made a file,
escaped by cxdata.markdown.escape, inside the Streamlit elements the pages put it in."""

import re


def one_line(text: str) -> str:
    """What a reader should see of `text`: the characters as written, on one line."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


CASES = [
    "**bold** and __bold__", "*it* _it_", "[a link](https://evil.example/x)", "![img](https://evil.example/i.png)",
    "https://evil.example/path?q=1", "see www.evil.example now", "$5 and $10 off", "$$x^2$$",
    ":red[coloured] :blue-background[x]", ":smile: :material/home:", "<b>b</b> <script>alert(1)</script>",
    "# heading", "> quote", "- item", "+ item", "1. item", "2) item", "`code` ```fence```", "~~struck~~",
    "| a | b |", "a\\*b C:\\path\\x", "&amp; &lt; &#35;", "Q1_1_TEXT: rating - 5 (N/A)", "نظر شما؟ *مهم*",
    "trailing backslash \\", "mail a.b@evil.example", "report_www.evil.example.csv", "x^2 and a footnote[^1]", "    indented like code",
    "two lines\n===", "a line\n---\nand more  \nafter a hard break", ":100: :1st_place_medal: at 19:23 or 19:23:45",
]

if __name__ == "__main__":
    import streamlit as st

    from cxdata.markdown import escape

    for i, text in enumerate(CASES):
        with st.container(key=f"case_{i}"):
            st.markdown(escape(text))
            st.info("x " + escape(text))
            st.caption("x " + escape(text))
