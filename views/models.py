"""Model cards of the built-in reward models: what they are, what they were trained on, how accurate they are."""

import streamlit as st

from seal_core.glossary import short_model_name
from seal_core.models import list_models

st.title("Model cards")
st.caption(
    "The built-in reward models need no download. Any Hugging Face reward model can be used instead: choose "
    "'Other: hub id or local path…' in the sidebar."
)
models = list_models()
if not models:
    st.info("No built-in reward models are installed.")
for m in models:
    st.subheader(short_model_name(m.name))
    st.caption(f"Model id: {m.name} (use it with the `seal` command: `--rm {m.name}`)")
    st.write(m.summary)
    if m.card is not None:
        st.code(m.card(), language=None, wrap_lines=True)
