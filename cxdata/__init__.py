"""CX Pyramid's library: ingest, storage, the pyramid model, statistics, queries and charts.

Nothing in this package imports Streamlit; the pages and the CLI are thin faces of it.
"""
