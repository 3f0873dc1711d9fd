"""The one Streamlit-aware helper package: cached loaders, session keys, sidebar, chart builders.

``pages/`` and ``app.py`` call into ``ui`` and ``seal_core``; ``seal_core`` never imports Streamlit.
"""
