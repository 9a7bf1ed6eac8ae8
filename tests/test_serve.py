"""serve.py, what `make run` serves: its start-up work runs and does what it says (the browser
tests serve it for real)."""

import serve


def test_the_head_start_imports_the_page_modules_and_skips_the_use_warning_check():
    from streamlit import delta_generator

    serve._import_page_modules()
    # Streamlit's "run me with streamlit run" check would inspect the stack on the first element.
    assert delta_generator._use_warning_has_been_displayed is True
    import sys

    assert {"altair", "pandas", "pyarrow", "cxdata.charts", "cxdata.pyramid", "pages._ui", "PIL.Image"} <= set(sys.modules)


def test_serve_serves_the_dashboard_with_the_head_start():
    from pathlib import Path

    assert Path(str(serve.app._script_path)).name == "dashboard.py"
    assert serve.app._user_lifespan is serve._lifespan


def test_streamlits_own_table_downloads_are_off():
    """Streamlit's "Download as CSV" of a table or a chart's data writes a comment such as
    '=HYPERLINK(...)' as it is, a formula in a spreadsheet (found by an audit); the app's own
    downloads neutralise such cells (cxdata.export)."""
    import tomllib
    from pathlib import Path

    from streamlit import config

    settings = tomllib.loads((Path(serve.__file__).parent / ".streamlit" / "config.toml").read_text())
    assert settings["client"]["disableDataExport"] is True
    assert "client.disableDataExport" in config._config_options_template  # an option this Streamlit reads
