"""The registry of reward models: the built-in ones by name, then a head file, a local folder or a hub id.

The built-in models are listed here explicitly; importing a module never registers anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from seal_core.models import builtin
from seal_core.models.base import RewardModel, RewardModelConfig
from seal_core.models.hf import HFRewardModel

__all__ = ["BUILTIN_MODELS", "BuiltinModel", "list_models", "load_reward_model"]


@dataclass(frozen=True)
class BuiltinModel:
    """A reward model that ships with SEAL Explorer and needs no download."""

    name: str
    role: str  # "pre" (not trained on the data) or "post" (trained on it)
    summary: str
    factory: Callable[[RewardModelConfig], RewardModel]
    card: Callable[[], str] | None = None


BUILTIN_MODELS: dict[str, BuiltinModel] = {}


BUILTIN_MODELS: dict[str, BuiltinModel] = {
    m.name: m
    for m in (
        BuiltinModel(
            builtin.PRE_NAME,
            "pre",
            "zero-shot principle scorer on MiniLM (not trained on the data)",
            builtin.PrincipleRewardModel,
            builtin.pre_card,
        ),
        BuiltinModel(
            builtin.POST_NAME,
            "post",
            "Bradley-Terry head on MiniLM, trained on the bundled hh-rlhf sample",
            builtin.BTRewardModel,
            builtin.post_card,
        ),
    )
}


def list_models() -> list[BuiltinModel]:
    """The built-in reward models (``seal models``).

    Examples
    --------
    >>> [(m.name, m.role) for m in list_models()]
    [('seal-minilm-principles', 'pre'), ('seal-minilm-bt', 'post')]
    """
    return list(BUILTIN_MODELS.values())


def load_reward_model(spec: str | RewardModelConfig, **options: Any) -> RewardModel:
    """Load a reward model by built-in name, hub id or local path.

    Parameters
    ----------
    spec : str or RewardModelConfig
        A built-in name (:func:`list_models`), a head file written by ``seal train-rm`` (or its folder), a local model
        folder, or a hub id; or a full config.
    **options
        Fields of :class:`RewardModelConfig` (``revision``, ``input_format``, ``max_length``, ``device`` ...).

    Returns
    -------
    RewardModel

    Examples
    --------
    >>> rm = load_reward_model("seal-minilm-bt")
    >>> rm.model_id.startswith("seal-minilm-bt@minilm-"), rm.input_format
    (True, 'minilm-last-turn')
    """
    config = spec if isinstance(spec, RewardModelConfig) else RewardModelConfig(model=str(spec), **options)
    if options and isinstance(spec, RewardModelConfig):
        config = RewardModelConfig(**{**asdict(config), **options})
    if config.model in BUILTIN_MODELS:
        return BUILTIN_MODELS[config.model].factory(config)
    head = Path(config.model).expanduser()
    if head.is_dir() and (head / "minilm_bt_head.json").is_file():
        head = head / "minilm_bt_head.json"
    if head.suffix == ".json" and head.is_file():  # a head trained by `seal train-rm`
        return builtin.BTRewardModel(config, head_path=head)
    return HFRewardModel(config)
