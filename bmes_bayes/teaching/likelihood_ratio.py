"""Positive and negative likelihood ratios of a finding for a diagnosis given the evidence already known.

With pre- and post-test probabilities and a Fagan nomogram (:func:`likelihood_ratio`, :class:`LikelihoodRatio`).

Exact inference on the point model: ``P(f | not d, evidence)`` averages the other diagnoses by their probability
given the evidence, and ``post-test odds = pre-test odds x LR`` holds exactly.

References
----------
Fagan TJ (1975). Nomogram for Bayes's theorem. *N Engl J Med* 293:257.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import EvidenceError, ImpossibleEvidenceError
from ..results import DISCLAIMER, ModelInfo, ResultDisplay, frame_text
from .._deprecation import UNSET as _UNSET, renamed
from ..display import freeze
from ._common import _check_state, _check_variable, _dist, _label, _with_hard, _with_soft, diagnosis_variable

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..model import BmesModel

__all__ = ["LikelihoodRatio", "likelihood_ratio"]


@dataclass(frozen=True, eq=False)
class LikelihoodRatio(ResultDisplay):
    """Positive and negative likelihood ratios of one finding for one diagnosis, in a context.

    The context is the evidence already known, ``evidence``.

    ``P(f | not d, context)`` averages the other diagnoses by their probability given the context. The pre-test
    probability is ``P(d | context)``; the post-test probabilities are exact posteriors, and
    ``post-test odds = pre-test odds x LR`` holds exactly.

    Attributes
    ----------
    finding, positive, diagnosis : str
        The finding, the state called a positive result, the diagnosis.
    finding_states : tuple of str
    evidence : dict
        The context: the evidence already known (formerly ``context``, still readable under that name for one
        release, with a ``DeprecationWarning``).
    p_given_diagnosis, p_given_other : numpy.ndarray
        P(finding = state | diagnosis, context) and P(finding = state | other diagnoses, context), per state
        (read-only).
    pre_test : float
        P(diagnosis | context).
    post_test : numpy.ndarray
        P(diagnosis | context, finding = state), per state (read-only).
    post_test_negative : float
        P(diagnosis | context, finding != positive).
    """

    finding: str
    positive: str
    diagnosis: str
    finding_states: tuple[str, ...]
    evidence: dict[str, object]
    p_given_diagnosis: np.ndarray
    p_given_other: np.ndarray
    pre_test: float
    post_test: np.ndarray
    post_test_negative: float
    model: ModelInfo

    def __post_init__(self) -> None:
        freeze(self, "p_given_diagnosis", "p_given_other", "post_test")

    @property
    def context(self) -> dict[str, object]:
        """Deprecated: the evidence already known, now :attr:`evidence`."""
        warnings.warn("LikelihoodRatio.context is renamed LikelihoodRatio.evidence; context will be removed in the "
                      "next release", DeprecationWarning, stacklevel=2)
        return self.evidence

    @property
    def _k(self) -> int:
        return self.finding_states.index(self.positive)

    @property
    def sensitivity(self) -> float:
        """P(positive | diagnosis, context)."""
        return float(self.p_given_diagnosis[self._k])

    @property
    def specificity(self) -> float:
        """P(not positive | other diagnoses, context)."""
        return float(1.0 - self.p_given_other[self._k])

    @property
    def lr_positive(self) -> float:
        """LR+ = P(positive | d) / P(positive | not d), in the context."""
        return float(self.p_given_diagnosis[self._k] / self.p_given_other[self._k])

    @property
    def lr_negative(self) -> float:
        """LR- = P(not positive | d) / P(not positive | not d), in the context."""
        return float((1.0 - self.p_given_diagnosis[self._k]) / (1.0 - self.p_given_other[self._k]))

    @property
    def negative(self) -> str:
        """The label of a negative result: the other state of a two-state finding, or ``not <positive>``."""
        if len(self.finding_states) == 2:
            return self.finding_states[1 - self._k]
        return f"not {self.positive}"

    def to_frame(self) -> pd.DataFrame:
        """Two rows, ``result`` positive and negative.

        Columns: ``result, finding, state, diagnosis, p_given_diagnosis, p_given_other, lr, pre_test, post_test``.
        """
        k = self._k
        return pd.DataFrame({
            "result": ["positive", "negative"], "finding": self.finding, "state": [self.positive, self.negative],
            "diagnosis": self.diagnosis,
            "p_given_diagnosis": [self.p_given_diagnosis[k], 1.0 - self.p_given_diagnosis[k]],
            "p_given_other": [self.p_given_other[k], 1.0 - self.p_given_other[k]],
            "lr": [self.lr_positive, self.lr_negative], "pre_test": self.pre_test,
            "post_test": [float(self.post_test[k]), self.post_test_negative],
        })

    def to_state_frame(self) -> pd.DataFrame:
        """One row per state of the finding: ``state, p_given_diagnosis, p_given_other, lr, pre_test, post_test``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            lr = self.p_given_diagnosis / self.p_given_other
        return pd.DataFrame({"state": list(self.finding_states), "p_given_diagnosis": self.p_given_diagnosis,
                             "p_given_other": self.p_given_other, "lr": lr, "pre_test": self.pre_test,
                             "post_test": self.post_test})

    def __repr__(self) -> str:
        return (f"<LikelihoodRatio {self.finding}={self.positive} for {self.diagnosis}: LR+ {self.lr_positive:.3g}, "
                f"LR- {self.lr_negative:.3g}; pre-test {self.pre_test:.3f} -> {self.post_test[self._k]:.3f} if "
                f"positive, {self.post_test_negative:.3f} if negative>")

    def __str__(self) -> str:
        return "\n".join([
            f"Likelihood ratios of {self.finding}={self.positive} for {self.diagnosis} (context: {_label(self.evidence)})",
            frame_text(self.to_frame()), "",
            f"LR+ {self.lr_positive:.3g}, LR- {self.lr_negative:.3g}: pre-test {self.pre_test:.3f} -> "
            f"{self.post_test[self._k]:.3f} if {self.positive}, {self.post_test_negative:.3f} if {self.negative}",
            f"model: {self.model.short}", DISCLAIMER])

    def _title(self) -> str:
        return f"Likelihood ratios of {self.finding}={self.positive} for {self.diagnosis}"

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """Fagan nomogram.

        Pre-test probability, likelihood ratio, post-test probability on one straight line, for the positive and the
        negative result. Returns the Axes.
        """
        from ..plotting import fagan_plot

        return fagan_plot(self.to_frame(), title=f"{self.finding}={self.positive} for {self.diagnosis}", ax=ax)


def likelihood_ratio(model: "BmesModel", finding: str, diagnosis: str, evidence: Mapping[str, object] | None = None,
                     *, positive: str | None = None, context: object = _UNSET) -> LikelihoodRatio:
    """Positive and negative likelihood ratios of a finding for a diagnosis, in a context.

    The context is the evidence already known; the result carries the pre- and post-test probabilities.

    ``LR+ = P(f = positive | d, context) / P(f = positive | not d, context)``, the other diagnoses weighted by
    their probability given the context; ``LR-`` likewise for ``f != positive``.

    Parameters
    ----------
    model : BmesModel
        The model (``bmes_bayes.load_model()``).
    finding : str
        Any variable except the diagnosis, not in ``evidence``.
    diagnosis : str
        A state of the diagnosis.
    evidence : mapping, optional
        Evidence already known (the pre-test situation, the context), as for :meth:`BmesModel.posterior`.
    positive : str, optional
        The state counted as a positive result (required for findings with more than two states; default for
        two-state findings: the second state, e.g. ``present`` or ``yes``).
    context : mapping, optional
        Deprecated old name of ``evidence`` (a ``DeprecationWarning``; removed in the next release).

    Returns
    -------
    LikelihoodRatio
        ``.lr_positive``, ``.lr_negative``, ``.to_frame()``, ``.plot()`` (Fagan nomogram).

    Raises
    ------
    EvidenceError
        An unknown finding, diagnosis or state; the finding is the diagnosis or already in ``evidence``; a finding of
        more than two states without ``positive``; a diagnosis impossible or certain given ``evidence``.
    ArgumentTypeError
        Both ``evidence`` and ``context`` given.

    References
    ----------
    Fagan TJ (1975), Nomogram for Bayes's theorem, N Engl J Med 293:257.

    Examples
    --------
    >>> import bmes_bayes
    >>> from bmes_bayes.teaching import likelihood_ratio
    >>> lr = likelihood_ratio(bmes_bayes.load_model(), "fever", "infection", {"joint": "knee"})
    >>> lr.lr_positive > 1 > lr.lr_negative
    True
    """
    evidence = renamed(evidence, context, new="evidence", old="context", where="likelihood_ratio")
    target = diagnosis_variable(model.network)
    _check_variable(model, finding, "variable")
    if finding == target:
        raise EvidenceError(f"{finding} is the diagnosis itself; give a finding (see model.variables)")
    d = _check_state(model, target, diagnosis)
    ctx = model.resolve(evidence)
    if finding in ctx.labels:
        raise EvidenceError(f"{finding} is already in the context ({finding}={ctx.labels[finding]}); "
                            f"remove it from the context to see its likelihood ratio")
    fstates = model.network[finding].states
    if positive is None:
        if len(fstates) != 2:
            raise EvidenceError(f"{finding} has {len(fstates)} states ({', '.join(fstates)}); say which result counts "
                                f"as positive, e.g. positive={fstates[-1]!r}")
        positive = fstates[1]
    k = _check_state(model, finding, positive, "positive")
    pf = _dist(model, ctx, finding)                 # P(f = s | ctx)
    pd_ = float(_dist(model, ctx, target)[d])       # P(d | ctx)
    if not 0.0 < pd_ < 1.0:
        raise EvidenceError(f"P({diagnosis} | context) = {pd_:g}: a likelihood ratio needs a diagnosis that is "
                            f"possible but not certain in this context")
    post = np.full(len(fstates), np.nan)
    for j in range(len(fstates)):
        if pf[j] > 0:
            post[j] = _dist(model, _with_hard(model, ctx, finding, j), target)[d]
    joint = np.where(pf > 0, pf * np.nan_to_num(post), 0.0)   # P(f = s, d | ctx)
    p_given_d = joint / pd_
    p_given_other = (pf - joint) / (1.0 - pd_)
    neg = np.ones(len(fstates))
    neg[k] = 0.0
    label = fstates[1 - k] if len(fstates) == 2 else f"not {positive}"
    try:
        post_neg = float(_dist(model, _with_soft(model, ctx, finding, neg, label), target)[d])
    except ImpossibleEvidenceError:
        post_neg = float("nan")
    return LikelihoodRatio(finding=finding, positive=positive, diagnosis=diagnosis, finding_states=fstates,
                           evidence=ctx.as_dict(), p_given_diagnosis=p_given_d, p_given_other=p_given_other,
                           pre_test=pd_, post_test=post, post_test_negative=post_neg, model=model.info)

