"""Train the built-in post-D reward model: a Bradley-Terry head on frozen all-MiniLM-L6-v2 features.

The features are described in :mod:`seal_core.models.heads`. The reward is ``w · features``. Bradley-Terry:
``P(chosen ≻ rejected) = σ(w · (f_chosen − f_rejected))``, fitted as an L2-regularised logistic regression without
intercept on the pair differences, each pair entered in both orders so the fit is symmetric. Seeded and deterministic
(lbfgs, fixed folds).

``seal train-rm DATA --out DIR`` reproduces the shipped head (``seal_core/data_files/minilm_bt_head.json``) from the
bundled sample with the default options.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seal_core.data.pairs import content_hash, content_id
from seal_core.errors import SealInputError
from seal_core.models.base import RewardModelConfig
from seal_core.models.builtin import PRE_NAME, PrincipleRewardModel
from seal_core.models.encoder import Encoder
from seal_core.models.heads import BTHead, features

__all__ = ["baselines", "train_bt_head"]


def _fit(diff: np.ndarray, C: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([diff, -diff])
    y = np.r_[np.ones(len(diff)), np.zeros(len(diff))]
    clf = LogisticRegression(C=C, fit_intercept=False, max_iter=5000, tol=1e-8)
    return clf.fit(X, y).coef_[0]


def baselines(pairs: pd.DataFrame) -> dict[str, float]:
    """Accuracy (strict, ties count as wrong) of trivial rules on the same pairs.

    Examples
    --------
    >>> pairs = pd.DataFrame({"chosen": ["a", "abc"], "rejected": ["ab", "ab"]})
    >>> baselines(pairs)
    {'shorter response wins': 0.5, 'longer response wins': 0.5, 'coin flip': 0.5}
    """
    lc, lr = pairs["chosen"].str.len().to_numpy(), pairs["rejected"].str.len().to_numpy()
    return {
        "shorter response wins": float((lc < lr).mean()),
        "longer response wins": float((lc > lr).mean()),
        "coin flip": 0.5,
    }


def train_bt_head(
    pairs: pd.DataFrame,
    *,
    C: float = 0.3,
    folds: int = 5,
    seed: int = 0,
    trained_on: str = "",
    encoder: Encoder | None = None,
) -> BTHead:
    """Fit the head on all pairs and estimate its out-of-sample accuracy by k-fold cross-validation.

    The head of each fold is kept, with the fold of every training pair, so the model can score each of its
    training pairs with the head that never saw it (cross-fitting, :class:`seal_core.models.builtin.BTRewardModel`).

    Identical pairs (chosen == rejected) carry no preference and are left out of the fit.

    Parameters
    ----------
    pairs : DataFrame
        A Pairs table (:func:`seal_core.data.load_pairs`).
    C : float, default 0.3
        Inverse L2 regularisation of the logistic regression.
    folds, seed : int
        Cross-validation folds and the seed of their split.
    trained_on : str
        Name of the data, for the card.
    encoder : Encoder, optional
        Default: the shared all-MiniLM-L6-v2 encoder.

    Returns
    -------
    BTHead
        The weights and the card (cross-validated and in-sample accuracy, baselines); ``save`` it and score with
        ``load_reward_model(path)``.

    Examples
    --------
    >>> from seal_core.data import load_pairs
    >>> head = train_bt_head(load_pairs().pairs.head(40), folds=2)
    >>> len(head.weights), head.folds, 0.0 <= head.cv_accuracy <= 1.0
    (768, 2, True)
    """
    from sklearn.model_selection import KFold

    if C <= 0:
        raise SealInputError(f"C (inverse regularisation) must be positive, got {C}")
    data = pairs[~pairs["identical"]] if "identical" in pairs else pairs
    if len(data) < max(2 * folds, 10):
        raise SealInputError(f"training needs at least {max(2 * folds, 10)} non-identical pairs, got {len(data)}")
    enc = encoder or Encoder.shared()
    fc, _ = features(enc, data["prompt_chosen"].tolist(), data["chosen"].tolist())
    fr, _ = features(enc, data["prompt_rejected"].tolist(), data["rejected"].tolist())
    diff = fc - fr
    accs, fold_weights = [], []
    fold_of = np.zeros(len(diff), dtype=np.int64)
    for k, (train, test) in enumerate(KFold(folds, shuffle=True, random_state=seed).split(diff)):
        w = _fit(diff[train], C)
        accs.append(float((diff[test] @ w > 0).mean()))
        fold_weights.append([float(x) for x in w])
        fold_of[test] = k
    w = _fit(diff, C)
    pre = PrincipleRewardModel(RewardModelConfig(PRE_NAME), encoder=enc)
    pre_acc = float((fc[:, :384] @ pre.direction > fr[:, :384] @ pre.direction).mean())
    return BTHead(
        weights=[float(x) for x in w],
        C=C,
        seed=seed,
        folds=folds,
        trained_on=trained_on or f"{len(data)} pairs",
        n_pairs=len(data),
        data_hash=content_hash(data),
        cv_accuracy=float(np.mean(accs)),
        cv_accuracy_sd=float(np.std(accs)),
        in_sample_accuracy=float((diff @ w > 0).mean()),
        baselines={**baselines(data), f"{PRE_NAME} (pre-D, zero-shot)": pre_acc},
        encoder=enc.source,
        fold_weights=fold_weights,
        train_ids=[content_id(c, r) for c, r in zip(data["chosen_full"], data["rejected_full"])],
        train_folds=[int(k) for k in fold_of],
    )
