"""Reward models: one interface, a Hugging Face backend, two built-in offline models, and an explicit registry.

=========================  ==========================================================================
:mod:`.base`               :class:`RewardModel` (the interface), its config and batch scores
:mod:`.hf`                 :class:`HFRewardModel`: any Hugging Face sequence classifier with one label
:mod:`.encoder`            the verified all-MiniLM-L6-v2 sentence encoder behind the built-in models
:mod:`.heads`              what the built-in models see (features) and the Bradley-Terry head file
:mod:`.builtin`            the built-in pre-D (principles) and post-D (Bradley-Terry) models
:mod:`.training`           :func:`train_bt_head` (``seal train-rm``)
:mod:`.registry`           :func:`load_reward_model`, :func:`list_models`
=========================  ==========================================================================
"""

from seal_core.models.base import INPUT_FORMATS, BatchScores, RewardModel, RewardModelConfig
from seal_core.models.builtin import POST_NAME, PRE_NAME, BTRewardModel, PrincipleRewardModel
from seal_core.models.encoder import Encoder
from seal_core.models.heads import BTHead
from seal_core.models.hf import HFRewardModel
from seal_core.models.registry import BUILTIN_MODELS, BuiltinModel, list_models, load_reward_model
from seal_core.models.training import train_bt_head

__all__ = [
    "BUILTIN_MODELS",
    "INPUT_FORMATS",
    "POST_NAME",
    "PRE_NAME",
    "BTHead",
    "BTRewardModel",
    "BatchScores",
    "BuiltinModel",
    "Encoder",
    "HFRewardModel",
    "PrincipleRewardModel",
    "RewardModel",
    "RewardModelConfig",
    "list_models",
    "load_reward_model",
    "train_bt_head",
]
