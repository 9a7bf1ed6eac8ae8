"""CX Pyramid: the Streamlit entry point. Run with `streamlit run dashboard.py` (or `make run`)."""

from pathlib import Path

import streamlit as st

from pages import _ui

# A file of our own, not a Material icon: Streamlit fetches those favicons from fonts.gstatic.com,
# and a self-hosted dashboard (often offline) calls no outside host.
st.set_page_config(page_title="CX Pyramid", page_icon=str(Path(__file__).with_name("assets") / "favicon.png"),
                   layout="wide")

# Each page under its name in cxdata.access.PAGES, which says whose it is.
PAGES = {
    "pyramid": st.Page("pages/pyramid.py", title="Pyramid", icon=":material/change_history:", default=True),
    "team": st.Page("pages/team.py", title="Team view", icon=":material/groups:", url_path="team"),
    "segments": st.Page("pages/segments.py", title="Segments", icon=":material/grid_view:", url_path="segments"),
    "drivers": st.Page("pages/drivers.py", title="Key drivers", icon=":material/hub:", url_path="drivers"),
    "loop": st.Page("pages/loop.py", title="Close the loop", icon=":material/support_agent:", url_path="loop"),
    "rates": st.Page("pages/rates.py", title="Response rates", icon=":material/contact_mail:", url_path="rates"),
    "upload": st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:", url_path="upload"),
    "model": st.Page("pages/model.py", title="Model", icon=":material/account_tree:", url_path="model"),
    # Reached by the sidebar's Present button (it starts at the view shown), not by the page list.
    "present": st.Page("pages/present.py", title="Present", icon=":material/slideshow:", url_path="present",
                       visibility="hidden"),
}

# With an access file (CX_ACCESS), nobody sees a page before signing in, and then only their own.
grant, gate = _ui.access_check()
if grant is None:
    st.navigation([st.Page(gate, title="Sign in", url_path="sign-in", default=True)], position="hidden").run()
    st.stop()
mine = [page for name, page in PAGES.items() if grant.may_open(name)]

# Presentation mode (a `present` slide in the URL) shows no page list: nothing but the slide,
# whichever page the link names (/?present=index is the pyramid's story too).
presenting = "present" in st.query_params and grant.may_open("present")
page = st.navigation(mine, position="hidden" if presenting else "sidebar")
if not presenting:
    st.session_state["_page"] = page.url_path  # where presentation mode's Esc goes back to
if presenting and page.url_path != "present":
    st.switch_page(PAGES["present"], query_params={k: st.query_params.get_all(k) for k in st.query_params})
_ui.signed_in_note(grant)
page.run()
