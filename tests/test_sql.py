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


def test_scratch_drops_its_objects_on_success_and_leaves_them_to_the_rollback_on_failure():
    import duckdb
    import pyarrow as pa

    from cxdata.sql import scratch

    cur = duckdb.connect()
    with scratch(cur, tables=["t"], views=["v"], registered=["r"]):
        cur.register("r", pa.table({"x": [1]}))
        cur.execute("CREATE TEMP TABLE t AS SELECT 1 AS x")
        cur.execute("CREATE TEMP VIEW v AS SELECT * FROM t")
    assert cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'").fetchone()[0] == 0
    assert cur.execute("SELECT count(*) FROM duckdb_views() WHERE view_name IN ('v', 'r')").fetchone()[0] == 0
    cur.execute("BEGIN")
    with pytest.raises(duckdb.ConversionException):  # the cause, not "transaction is aborted"
        with scratch(cur, tables=["t"], registered=["r"]):
            cur.register("r", pa.table({"x": [1]}))
            cur.execute("CREATE TEMP TABLE t AS SELECT 1 AS x")
            cur.execute("SELECT CAST('x' AS INTEGER)")
    cur.execute("ROLLBACK")
    assert cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'").fetchone()[0] == 0
    assert cur.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'r'").fetchone()[0] == 0
