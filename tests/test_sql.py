import pytest

from cxdata.sql import dim_column, quote_ident


@pytest.mark.parametrize("name, quoted", [("a", '"a"'), ('we"ird', '"we""ird"'), ("x; DROP TABLE y", '"x; DROP TABLE y"')])
def test_quote_ident(name, quoted):
    assert quote_ident(name) == quoted


@pytest.mark.parametrize("bad", ["", "a\x00b", None])
def test_quote_ident_refuses_unrepresentable(bad):
    with pytest.raises(ValueError):
        quote_ident(bad)


def test_dim_column_only_takes_model_keys():
    assert dim_column("region") == '"seg_region"'
    with pytest.raises(ValueError):
        dim_column('region"; --')
