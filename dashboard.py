"""CX Pyramid: the Streamlit entry point. Run with `streamlit run dashboard.py` (or `make run`)."""

import streamlit as st

st.set_page_config(page_title="CX Pyramid", page_icon=":material/change_history:", layout="wide")

PAGES = [
    st.Page("pages/pyramid.py", title="Pyramid", icon=":material/change_history:", default=True),
    st.Page("pages/team.py", title="Team view", icon=":material/groups:", url_path="team"),
    st.Page("pages/segments.py", title="Segments", icon=":material/grid_view:", url_path="segments"),
    st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:", url_path="upload"),
]

st.navigation(PAGES).run()
