"""CX Pyramid: the Streamlit entry point. Run with `streamlit run dashboard.py` (or `make run`)."""

from pathlib import Path

import streamlit as st

# A file of our own, not a Material icon: Streamlit fetches those favicons from fonts.gstatic.com,
# and a self-hosted dashboard (often offline) calls no outside host.
st.set_page_config(page_title="CX Pyramid", page_icon=str(Path(__file__).with_name("assets") / "favicon.png"),
                   layout="wide")

PAGES = [
    st.Page("pages/pyramid.py", title="Pyramid", icon=":material/change_history:", default=True),
    st.Page("pages/team.py", title="Team view", icon=":material/groups:", url_path="team"),
    st.Page("pages/segments.py", title="Segments", icon=":material/grid_view:", url_path="segments"),
    st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:", url_path="upload"),
]

st.navigation(PAGES).run()
