"""The shared sidebar (dataset, slice, reward models) and the context every page reads."""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
import streamlit as st

from seal_core.data import LoadResult, SliceSpec, slice_pairs
from seal_core.errors import SealInputError
from seal_core.glossary import short_model_name
from seal_core.models import INPUT_FORMATS, RewardModel, RewardModelConfig, list_models
from ui import loaders
from ui.upload import checked_path, friendly, upload_control

CUSTOM = "Other: hub id or local path…"
NONE = "(none)"
CTX_KEY = "seal_ctx"


@dataclass
class Context:
    """What the sidebar selected, for the pages."""

    loaded: LoadResult
    pairs: pd.DataFrame  # the slice
    spec: SliceSpec
    rms: dict[str, RewardModel] = field(default_factory=dict)  # role label ("pre", "post") -> model
    notes: list[str] = field(default_factory=list)
    loaded_key: str = ""  # content hash of the whole loaded table (computed once per load)

    @cached_property
    def pairs_key(self) -> str:
        """Content key of the slice, for memo and snapshot keys: the loaded table's content hash and the slice
        spec (which determine the slice), so a rerun never hashes the texts again."""
        if self.spec == SliceSpec():
            return self.loaded_key
        return hashlib.blake2b(f"{self.loaded_key}|{self.spec!r}".encode(), digest_size=12).hexdigest()

    @property
    def scores_key(self) -> tuple:
        """What the Scores table depends on: the slice and each role's model (for memo keys)."""
        return (self.pairs_key, tuple((role, rm.cache_key) for role, rm in self.rms.items()))

    def scores(self) -> pd.DataFrame:
        """The Scores table of the slice for every selected RM (scored on demand, cached), with a ``role`` column."""
        tables = [loaders.get_scores(self.pairs, rm, label=f"{role} RM", key=self.pairs_key).assign(role=role)
                  for role, rm in self.rms.items()]  # fmt: skip
        return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()

    def model_ids(self) -> dict[str, str]:
        """Role (``pre``, ``post``) → model id of the selected RMs."""
        return {role: rm.model_id for role, rm in self.rms.items()}


def context() -> Context:
    """The context computed by the sidebar in this run (pages call this)."""
    return st.session_state[CTX_KEY]


def _dataset_controls() -> tuple[LoadResult, str]:
    st.sidebar.header("Dataset")
    mode = st.sidebar.radio(
        "Source", ["Bundled hh-rlhf sample", "Local file", "Hugging Face dataset"], key="data_mode"
    )
    lenient = st.sidebar.checkbox(
        "Skip bad rows (list them) instead of stopping", key="data_lenient", help="Lenient loading"
    )
    source, config, split, uploaded = None, None, "train", None
    if mode == "Local file":
        source = st.sidebar.text_input("Path (.jsonl, .json, .csv, .parquet; .gz ok)", key="data_path")
        uploaded = upload_control()
        if uploaded is not None:
            source = str(uploaded)  # written by the server itself: no data-root check
        elif not source.strip():
            st.sidebar.info("Enter a file path or upload a file; showing the bundled sample meanwhile.")
            source = None
    elif mode == "Hugging Face dataset":
        source = st.sidebar.text_input("Dataset id", key="data_hub_id", placeholder="Anthropic/hh-rlhf")
        config = st.sidebar.text_input("Config (optional)", key="data_hub_config", placeholder="harmless-base")
        split = st.sidebar.text_input("Split", value="train", key="data_hub_split")
        if not source.strip():
            st.sidebar.info("Enter a dataset id (needs network); showing the bundled sample meanwhile.")
            source = None
    try:
        if mode == "Local file" and source and uploaded is None:
            source = checked_path(source.strip())
        return loaders.load_dataset(source.strip() if source else None, config, split, not lenient, _stamp(source))
    except SealInputError as e:
        message = friendly(str(e), uploaded)
        st.sidebar.error(message)
        st.error(f"The dataset could not be loaded. {message}")
        st.stop()


def _stamp(source: str | None) -> tuple:
    """A local file's size and modification time (a changed file loads again); empty for anything else."""
    try:
        st_ = os.stat(source.strip()) if source else None
    except (OSError, ValueError):
        return ()
    return (st_.st_size, st_.st_mtime_ns) if st_ else ()


def _slice_controls(loaded: LoadResult) -> SliceSpec:
    st.sidebar.header("Slice")
    pairs = loaded.pairs
    sources = sorted(pairs["source"].unique()) if len(pairs) else []
    chosen_sources = ()
    if len(sources) > 1:
        chosen_sources = tuple(st.sidebar.multiselect("Sources", sources, key="slice_sources"))
    search = st.sidebar.text_input("Text contains", key="slice_search", placeholder="e.g. bomb")
    where: tuple = ()
    meta_cols = [
        c
        for c in pairs.columns
        if c not in ("prompt_chosen", "prompt_rejected", "chosen", "rejected", "chosen_full", "rejected_full")
    ]
    with st.sidebar.expander("Metadata filter"):
        col = st.selectbox("Column", ["(no filter)", *meta_cols], key="slice_where_col")
        op = st.selectbox("Operator", ["==", "!=", "<", "<=", ">", ">=", "contains"], key="slice_where_op")
        raw = st.text_input("Value", key="slice_where_value")
        if col != "(no filter)" and raw != "":
            value: object = raw
            if pd.api.types.is_bool_dtype(pairs[col]):
                value = raw.strip().lower() in ("1", "true", "yes")
            elif pd.api.types.is_numeric_dtype(pairs[col]):
                try:
                    value = float(raw)
                except ValueError:
                    st.error(f"{col} is numeric; {raw!r} is not a number")
                    value = None
            if value is not None:
                where = ((col, op, value),)
    c1, c2 = st.sidebar.columns(2)
    sample = c1.number_input("Random sample (0 = all)", min_value=0, value=0, step=100, key="slice_sample")
    seed = c2.number_input("Seed", min_value=0, value=0, key="slice_seed")
    first = st.sidebar.number_input("Then keep first N (0 = all)", min_value=0, value=0, step=100, key="slice_first")
    return SliceSpec(
        sources=chosen_sources,
        search=search.strip(),
        where=where,
        sample=int(sample) or None,
        seed=int(seed),
        first=int(first) or None,
    )


def _rm_slot(label: str, key: str, default: str) -> str | None:
    builtins = [m.name for m in list_models()]
    options = [*builtins, CUSTOM, NONE]
    index = options.index(default) if default in options else options.index(CUSTOM if not builtins else NONE)
    choice = st.sidebar.selectbox(
        label, options, index=index, key=key,
        format_func=lambda o: f"{short_model_name(o)} ({o})" if o in builtins else o,
    )  # fmt: skip
    if choice == NONE:
        return None
    if choice == CUSTOM:
        spec = st.sidebar.text_input(
            f"{label}: hub id or local path",
            key=f"{key}_custom",
            placeholder="OpenAssistant/reward-model-deberta-v3-large-v2",
        ).strip()
        return spec or None
    return choice


def _rm_controls() -> dict[str, RewardModelConfig]:
    st.sidebar.header("Reward models")
    builtins = {m.role: m.name for m in list_models()}
    if not builtins:
        st.sidebar.caption(
            "No built-in reward models are installed: name any Hugging Face reward model "
            "(hub id, needs network once, or a local folder)."
        )
    pre = _rm_slot("Pre-training RM (before the data)", "rm_pre", builtins.get("pre", CUSTOM))
    post = _rm_slot("Post-training RM (trained on the data)", "rm_post", builtins.get("post", CUSTOM))
    with st.sidebar.expander("Hugging Face model options"):
        fmt = st.selectbox(
            "Input format",
            INPUT_FORMATS,
            key="rm_format",
            help="pair = tokenizer(prompt, response) as SEAL; chat_template; raw transcript",
        )
        revision = st.text_input("Revision (optional)", key="rm_revision").strip() or None
        max_length = st.number_input("Max tokens (0 = model limit)", min_value=0, value=0, key="rm_max_length")
        device = st.selectbox("Device", ["auto", "cpu", "cuda", "mps"], key="rm_device")
        dtype = st.selectbox("Dtype", ["float32", "bfloat16", "float16"], key="rm_dtype")
        precision = st.selectbox(
            "Precision",
            ["float32", "int8"],
            key="rm_precision",
            help="int8: linear layers quantized on CPU (faster; scores differ slightly and are cached apart)",
        )
    out = {}
    for role, spec in (("pre", pre), ("post", post)):
        if spec:
            out[role] = RewardModelConfig(
                model=spec,
                revision=revision,
                input_format=fmt,
                max_length=int(max_length) or None,
                device=device,
                dtype=dtype,
                precision=precision,
            )
    return out


PRESET_FLAG = "apply_seal_preset"


def _apply_preset() -> None:
    """Set the widgets to SEAL's setup (must run before the widgets are drawn in this run)."""
    from seal_core.preset import SEAL

    state = st.session_state
    state.update({
        "data_mode": "Hugging Face dataset", "data_hub_id": SEAL.dataset, "data_hub_config": SEAL.config or "",
        "data_hub_split": SEAL.split, "rm_pre": CUSTOM, "rm_pre_custom": SEAL.pre, "rm_post": CUSTOM,
        "rm_post_custom": SEAL.post, "rm_format": SEAL.input_format,
    })  # fmt: skip
    del state[PRESET_FLAG]


LINK_KEYS = {"search": "slice_search", "first": "slice_first", "sample": "slice_sample", "seed": "slice_seed"}


def _apply_link() -> None:
    """On a session's first run, set the dataset and slice from the URL (``?data=…&first=…&pair=…``), so a shared
    link opens exactly the same view."""
    state, qp = st.session_state, st.query_params
    state["link_applied"] = True
    data = qp.get("data")
    if data and data != "bundled":
        state["data_mode"], state["data_path"] = "Local file", data
    if qp.get("hub"):
        state["data_mode"], state["data_hub_id"] = "Hugging Face dataset", qp["hub"]
        state["data_hub_split"] = qp.get("split", "train")
    for param, key in LINK_KEYS.items():
        if param in qp:
            value = qp[param]
            state[key] = value if param == "search" else int(value) if value.isdigit() else state.get(key, 0)


def link_params(ctx: Context) -> dict[str, str]:
    """Query parameters that reopen the current dataset and slice."""
    state = st.session_state
    params: dict[str, str] = {}
    mode = state.get("data_mode", "Bundled hh-rlhf sample")
    if mode == "Local file" and state.get("data_path"):
        params["data"] = state["data_path"]
    elif mode == "Hugging Face dataset" and state.get("data_hub_id"):
        params["hub"], params["split"] = state["data_hub_id"], state.get("data_hub_split", "train")
    for param, key in LINK_KEYS.items():
        value = state.get(key)
        if value not in (None, "", 0):
            params[param] = str(value)
    return params


def render_sidebar() -> Context:
    """Draw the shared sidebar and store the resulting :class:`Context` for the pages."""
    if st.session_state.get(PRESET_FLAG):
        _apply_preset()
    if not st.session_state.get("link_applied"):
        _apply_link()
    loaded, loaded_key = _dataset_controls()
    spec = _slice_controls(loaded)
    # notes from loading are about the whole file: say so when the slice is narrower
    whole = f"In the loaded data (all {len(loaded.pairs):,} pairs), not only this slice: "
    notes = [w if spec == SliceSpec() else whole + w for w in loaded.warnings]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # the whole table as it is (shared, never modified) when nothing is filtered: no copy on each rerun
            pairs = (
                loaded.pairs if spec == SliceSpec() and len(loaded.pairs) >= 30 else slice_pairs(loaded.pairs, spec)
            )
        notes += [str(w.message) for w in caught]
    except SealInputError as e:
        st.sidebar.error(str(e))
        pairs = loaded.pairs
    st.sidebar.caption(f"{len(pairs):,} of {len(loaded.pairs):,} pairs: {spec.describe()}")
    rms: dict[str, RewardModel] = {}
    for role, cfg in _rm_controls().items():
        try:
            rms[role] = loaders.load_rm(cfg)
        except SealInputError as e:
            st.sidebar.error(f"{role} RM: {e}")
    ctx = Context(loaded=loaded, pairs=pairs, spec=spec, rms=rms, notes=notes, loaded_key=loaded_key)
    st.session_state[CTX_KEY] = ctx
    return ctx


def require_pre_post(ctx: Context, what: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Scores of the slice and the model id of each role; stops the page with a hint when either RM is missing."""
    from ui.errors import user_errors

    if not {"pre", "post"} <= set(ctx.rms):
        st.info(f"{what} compares a pre-training and a post-training RM: pick both in the sidebar.")
        st.stop()
    if not len(ctx.pairs):
        st.info("The slice is empty, so there is nothing to compare: widen the filters in the sidebar.")
        st.stop()
    with user_errors("Scoring failed"):
        scores = ctx.scores()
    return scores, ctx.model_ids()
