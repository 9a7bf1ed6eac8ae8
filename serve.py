"""What `make run` serves: dashboard.py, with the app's heavy imports started at server start.

`streamlit run serve.py` finds the `st.App` below and serves `dashboard.py` through it (so
`streamlit run dashboard.py` works the same, only slower to its first page). Python imports the
modules a page needs (pandas, pyarrow, Altair, the cxdata modules: about a second on a 2-core
laptop) on the first page run of a fresh server; started in a thread when the server starts,
they run while the browser is still loading Streamlit's frontend, and the first visitor's page
run finds them done. Only imports (and one flag, below): opening the database or filling caches in the same thread
competed with the browser for the cores and made the first page slower (docs/PERFORMANCE.md).
"""

import contextlib
import importlib
import threading
from contextlib import asynccontextmanager

import streamlit as st


def _import_page_modules() -> None:
    import altair  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    import cxdata.charts  # noqa: F401
    import cxdata.pyramid  # noqa: F401
    import cxdata.service  # noqa: F401
    import cxdata.tables  # noqa: F401
    import pages._ui  # noqa: F401

    # What the first page run still imported on its own (the modules a fresh server's first run
    # added to sys.modules, 23 November): Streamlit loads Pillow for the favicon on every
    # set_page_config, pandas and pyarrow load their conversion modules on the first chart data
    # and data frame, Streamlit its icon names on the first icon. They are other packages' inner
    # modules: one that moves away costs its head start, not the server.
    for name in ("pandas.core.methods.to_dict", "PIL.Image", "PIL.PngImagePlugin", "pyarrow.pandas_compat",
                 "streamlit.material_icon_names"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)

    _skip_use_warning_check()


def _skip_use_warning_check() -> None:
    """Streamlit's first element of a process checks, by inspecting the call stack (it resolves
    the source file of every loaded module: about 0.1 s), whether it runs outside `streamlit run`,
    to print a warning. This module is only ever served by `streamlit run`: mark the check done."""
    from streamlit import delta_generator

    if hasattr(delta_generator, "_use_warning_has_been_displayed"):
        delta_generator._use_warning_has_been_displayed = True


@asynccontextmanager
async def _lifespan(app):
    threading.Thread(target=_import_page_modules, name="cx-imports", daemon=True).start()
    yield


app = st.App("dashboard.py", lifespan=_lifespan)
