import pandas as pd
import pytest

from cxdata.export import neutralise, to_csv_bytes


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+1", "'+1+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"), ("plain", "plain"), ("خیلی خوب", "خیلی خوب"), (5, 5), (None, None),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_is_utf8_with_bom_and_safe():
    data = to_csv_bytes(pd.DataFrame({"=bad header": ["=1+1", "نظر"], "n": [1, 2]}))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "'=bad header" in text and "'=1+1" in text and "نظر" in text
