"""Why the model believes what it believes.

Each observed item's weight of evidence for a diagnosis (:func:`explain`, :class:`Explanation`), and the posterior had
one observed item been different (:class:`WhatIf`).

Everything here is exact inference on the point model (the same engine as :meth:`BmesModel.posterior`).

Notes
-----
Weight of evidence, the additive form. Take the observed items ``e_1 .. e_n`` in network order (context, risk factors, then the findings in work-up order).
The weight of evidence of ``e_i`` for a diagnosis ``h`` against an alternative ``a`` is Good's

    W_i(h : a) = ln P(e_i | h, e_1..e_{i-1}) - ln P(e_i | a, e_1..e_{i-1}),

the log of a likelihood ratio conditional on the items before it. By the chain rule the weights add up exactly:

    ln O(h : a | e_1..e_n) = ln O(h : a) + sum_i W_i(h : a),

where ``O(h : a) = P(h) / P(a)`` is the prior odds (no evidence at all). Against "all others" the alternative is the
composite ``not h``, as in Good's W(h : e) and Hugin's evidence sensitivity analysis. A finding whose only parent is
the diagnosis has ``P(e_i | h, e_<i) = P(e_i | h)``, so its weight does not depend on the order; the order matters only
for items that depend on each other given the diagnosis (context and risk factors, which are its parents).
Weights are reported in nats (``woe``), in decibans (``10 log10 LR``, Good and Turing's unit) and as the
likelihood ratio itself.

References
----------
Good IJ (1950). *Probability and the Weighing of Evidence*. London: Griffin.
Good IJ (1985). Weight of evidence: a brief survey. In *Bayesian Statistics 2*, 249-270.
Hugin Expert. Evidence sensitivity analysis (which findings speak for or against a hypothesis; what if a finding
had been different). https://download.hugin.com/webdocs/manuals/8.8/Htmlhelp/pages/Manual/MethodsOfAnalysis/EvidenceSensitivityAnalysis.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from .. import _checks
from ..evidence import Evidence
from ..exceptions import EvidenceError, ImpossibleEvidenceError, unknown_name_message
from ..results import DISCLAIMER, ModelInfo, ResultDisplay
from .._deprecation import UNSET as _UNSET, renamed
from ..display import freeze
from ._common import ALL_OTHERS, BITS_PER_NAT, DECIBANS_PER_NAT, NEUTRAL, _check_state, _dist, _label, _with_hard, diagnosis_variable

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..model import BmesModel

__all__ = ["Explanation", "WhatIf", "explain"]


@dataclass(frozen=True, eq=False)
class WhatIf(ResultDisplay):
    """The posterior had one observed item been different (every other state of every hard evidence item).

    ``to_frame()`` columns: ``variable, observed_state, state, observed, possible, diagnosis, probability``;
    ``probability`` is NaN where the changed evidence is impossible.
    """

    target_state: str
    states: tuple[str, ...]
    evidence: dict[str, object]
    frame: pd.DataFrame
    model: ModelInfo

    def to_frame(self) -> pd.DataFrame:
        """The posterior under each changed item, in the long form of the class docstring."""
        return self.frame.copy()

    def summary(self) -> pd.DataFrame:
        """One row per variable and state.

        ``variable, observed_state, state, observed, possible, p_target, top, p_top, change`` (``change`` = P(target)
        under that state minus the actual posterior), largest swing first.
        """
        rows = []
        for (var, state), part in self.frame.groupby(["variable", "state"], sort=False):
            part = part.set_index("diagnosis")
            actual = self.frame[(self.frame["variable"] == var) & self.frame["observed"]].set_index("diagnosis")
            p_t = part.at[self.target_state, "probability"]
            possible = bool(part["possible"].iloc[0])
            top = part["probability"].idxmax() if possible else ""
            rows.append({"variable": var, "observed_state": part["observed_state"].iloc[0], "state": state,
                         "observed": bool(part["observed"].iloc[0]), "possible": possible, "p_target": p_t,
                         "top": top, "p_top": part["probability"].max() if possible else float("nan"),
                         "change": p_t - actual.at[self.target_state, "probability"]})
        out = pd.DataFrame(rows, columns=["variable", "observed_state", "state", "observed", "possible", "p_target",
                                          "top", "p_top", "change"])
        swing = out.groupby("variable")["change"].transform(lambda c: c.abs().max())
        return (out.assign(_swing=swing).sort_values(["_swing", "variable", "observed"], ascending=[False, True, False],
                                                      kind="stable").drop(columns="_swing").reset_index(drop=True))

    def __repr__(self) -> str:
        n = self.frame["variable"].nunique() if len(self.frame) else 0
        s = self.summary()
        alt = s[~s["observed"] & s["possible"]]
        if len(alt):
            big = alt.iloc[alt["change"].abs().argmax()]
            most = f"; largest swing: {big['variable']}={big['state']} moves {self.target_state} by {big['change']:+.2f}"
        else:
            most = ""
        return f"<WhatIf for {self.target_state}: {n} observed items{most}>"

    def __str__(self) -> str:
        return "\n".join(self.text())

    def text(self, *, n: int | None = None, limit: object = _UNSET) -> list[str]:
        """Lines of text, largest swing first.

        Parameters
        ----------
        n : int, optional
            Show that many alternatives (default: all).
        limit : int, optional
            Deprecated old name of ``n``.

        Returns
        -------
        list of str
        """
        n = renamed(n, limit, new="n", old="limit", where="WhatIf.text")
        s = self.summary()
        alternatives = s[~s["observed"]]
        lines = [f"What if one observed item had been different? P({self.target_state}) now "
                 f"{self._actual():.3f}; each line changes one item and keeps the rest"]
        shown = alternatives if n is None else alternatives.head(_checks.count(n, "n"))
        for _, r in shown.iterrows():
            if not r["possible"]:
                lines.append(f"  {r['variable']}={r['state']} (instead of {r['observed_state']}): impossible with the rest")
            else:
                lines.append(f"  {r['variable']}={r['state']} (instead of {r['observed_state']}): "
                             f"{self.target_state} {r['p_target']:.3f} ({r['change']:+.3f}); top {r['top']} {r['p_top']:.3f}")
        if len(shown) < len(alternatives):
            lines.append(f"  ... {len(alternatives) - len(shown)} more (smaller swings)")
        return lines

    def _actual(self) -> float:
        obs = self.frame[self.frame["observed"] & (self.frame["diagnosis"] == self.target_state)]
        return float(obs["probability"].iloc[0]) if len(obs) else float("nan")

    def _title(self) -> str:
        return f"What if one observed item had been different? P({self.target_state}) under each alternative state"

    def _display_frame(self) -> pd.DataFrame:
        return self.summary()

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """P(target) under each state of each observed item; the observed state is the filled diamond."""
        from ..plotting import what_if_plot

        return what_if_plot(self.summary(), target=self.target_state, actual=self._actual(), ax=ax)


@dataclass(frozen=True, eq=False)
class Explanation(ResultDisplay):
    """Why the model believes what it believes: each observed item's weight of evidence for ``target_state``.

    See the module docstring for the exact definition (sequential conditional likelihood ratios in network order, so
    that ``log posterior odds = log prior odds + sum of weights`` holds exactly against every alternative).

    Attributes
    ----------
    target_state : str
        The diagnosis explained (the most probable one unless chosen).
    variables, labels, roles, stages : tuple of str
        The evidence items in network order, their states, roles and work-up stages.
    steps : numpy.ndarray
        ``(n + 1, K)``, read-only: P(diagnosis | first i items) for i = 0 (no evidence) .. n (all the evidence).
    what_if : WhatIf
        The posterior had each observed item been different.
    """

    target: str
    target_state: str
    states: tuple[str, ...]
    variables: tuple[str, ...]
    labels: tuple[str, ...]
    roles: tuple[str, ...]
    stages: tuple[str, ...]
    steps: np.ndarray
    what_if: WhatIf
    evidence: dict[str, object]
    model: ModelInfo

    def __post_init__(self) -> None:
        freeze(self, "steps")

    @property
    def prior(self) -> np.ndarray:
        """P(diagnosis) with no evidence at all."""
        return self.steps[0]

    @property
    def posterior(self) -> np.ndarray:
        """P(diagnosis | all the evidence)."""
        return self.steps[-1]

    def _log_odds(self, row: np.ndarray, alternative: str) -> float:
        t = self.states.index(self.target_state)
        with np.errstate(divide="ignore"):
            if alternative == ALL_OTHERS:
                return float(np.log(row[t]) - np.log(row.sum() - row[t] if row.sum() - row[t] > 0 else 0.0))
            return float(np.log(row[t]) - np.log(row[self.states.index(alternative)]))

    def _check_alternative(self, alternative: str) -> None:
        options = [ALL_OTHERS, *[s for s in self.states if s != self.target_state]]
        if alternative not in options:
            raise EvidenceError(unknown_name_message("alternative", alternative, options))

    def log_prior_odds(self, alternative: str = ALL_OTHERS) -> float:
        """The log prior odds ln [P(target) / P(alternative)] with no evidence (natural log)."""
        self._check_alternative(alternative)
        return self._log_odds(self.steps[0], alternative)

    def log_posterior_odds(self, alternative: str = ALL_OTHERS) -> float:
        """The log posterior odds ln [P(target | e) / P(alternative | e)] on all the evidence (natural log)."""
        self._check_alternative(alternative)
        return self._log_odds(self.steps[-1], alternative)

    def to_frame(self) -> pd.DataFrame:
        """Long format, one row per evidence item and alternative.

        Columns: ``position`` (1 = first item in network order), ``variable``, ``state``, ``role``, ``stage``,
        ``alternative`` (a diagnosis, or ``"all_others"`` for the composite not-target), ``lr`` (the conditional
        likelihood ratio), ``woe`` (its natural log), ``decibans`` (10 log10 lr) and ``direction``
        ("for", "against" or "neutral").
        """
        alternatives = [ALL_OTHERS, *[s for s in self.states if s != self.target_state]]
        rows = []
        for alt in alternatives:
            lo = np.array([self._log_odds(r, alt) for r in self.steps])
            with np.errstate(invalid="ignore"):
                w = np.diff(lo)
            for i, weight in enumerate(w):
                rows.append({
                    "position": i + 1, "variable": self.variables[i], "state": self.labels[i], "role": self.roles[i],
                    "stage": self.stages[i], "alternative": alt, "lr": float(np.exp(weight)), "woe": float(weight),
                    "decibans": float(weight * DECIBANS_PER_NAT),
                    "direction": "for" if weight > NEUTRAL else ("against" if weight < -NEUTRAL else "neutral"),
                })
        cols = ["position", "variable", "state", "role", "stage", "alternative", "lr", "woe", "decibans", "direction"]
        return pd.DataFrame(rows, columns=cols)

    def weights(self, alternative: str = ALL_OTHERS) -> pd.DataFrame:
        """The rows of :meth:`to_frame` for one alternative, in network order."""
        self._check_alternative(alternative)
        frame = self.to_frame()
        return frame[frame["alternative"] == alternative].reset_index(drop=True)

    @property
    def runner_up(self) -> str:
        """The most probable diagnosis other than the target."""
        order = np.argsort(-self.posterior, kind="stable")
        return next(self.states[i] for i in order if self.states[i] != self.target_state)

    @property
    def speaks_for(self) -> tuple[str, ...]:
        """Items with a positive weight for the target against all others, strongest first."""
        w = self.weights().sort_values("woe", ascending=False, kind="stable")
        return tuple(f"{r.variable}={r.state}" for r in w.itertuples() if r.direction == "for")

    @property
    def speaks_against(self) -> tuple[str, ...]:
        """Items with a negative weight for the target against all others, strongest first."""
        w = self.weights().sort_values("woe", kind="stable")
        return tuple(f"{r.variable}={r.state}" for r in w.itertuples() if r.direction == "against")

    def __repr__(self) -> str:
        t = self.states.index(self.target_state)
        return (f"<Explanation of {self.target_state}: {len(self.variables)} items; P {self.prior[t]:.3f} -> "
                f"{self.posterior[t]:.3f}; for: {len(self.speaks_for)}, against: {len(self.speaks_against)}>")

    def weights_text(self, alternative: str = ALL_OTHERS) -> list[str]:
        """Lines of text: prior odds, each item's weight (dB and LR), posterior odds, against ``alternative``."""
        w = self.weights(alternative)
        t = self.states.index(self.target_state)
        if alternative == ALL_OTHERS:
            head = f"{self.target_state} against all other diagnoses"
            p0, p1 = self.prior[t], self.posterior[t]
            odds = f"P {p0:.3f} -> {p1:.3f}"
        else:
            a = self.states.index(alternative)
            head = f"{self.target_state} against {alternative}"
            odds = f"P {self.prior[t]:.3f} : {self.prior[a]:.3f} -> {self.posterior[t]:.3f} : {self.posterior[a]:.3f}"
        lines = [f"Weight of evidence, {head} (decibans = 10 log10 LR; +10 dB = LR 10, +3 dB = LR 2); {odds}",
                 f"  {'prior odds (no evidence)':<44} {self.log_prior_odds(alternative) * DECIBANS_PER_NAT:+8.1f} dB"]
        for r in w.itertuples():
            lines.append(f"  {f'{r.variable}={r.state}':<44} {r.decibans:+8.1f} dB  LR {r.lr:9.3g}  {r.direction}")
        lines.append(f"  {'= posterior odds':<44} {self.log_posterior_odds(alternative) * DECIBANS_PER_NAT:+8.1f} dB")
        return lines

    def __str__(self) -> str:
        lines = [f"Why {self.target_state}? Evidence: {_label(self.evidence)}"]
        lines += self.weights_text(ALL_OTHERS)
        lines.append("")
        lines += self.weights_text(self.runner_up)
        lines += ["", str(self.what_if), "", f"model: {self.model.short}", DISCLAIMER]
        return "\n".join(lines)

    def _title(self) -> str:
        return f"Why {self.target_state}? Weight of evidence against all other diagnoses, in decibans"

    _float_format = "{:.2f}"

    def _display_frame(self) -> pd.DataFrame:
        return self.weights()[["variable", "state", "decibans", "lr", "direction"]]

    def _notes(self) -> list[str]:
        """The odds the weights add up to, then what-if (as in the text form)."""
        t = self.states.index(self.target_state)
        odds = (f"P {self.prior[t]:.3f} (no evidence) -> {self.posterior[t]:.3f}. Prior odds "
                f"{self.log_prior_odds() * DECIBANS_PER_NAT:+.1f} dB + weights = posterior odds "
                f"{self.log_posterior_odds() * DECIBANS_PER_NAT:+.1f} dB.")
        return [odds, *(line.strip() for line in self.what_if.text())]

    def plot(self, ax: "Axes | None" = None, *, versus: str = ALL_OTHERS,
             unit: Literal["decibans", "bits"] = "decibans") -> "Axes":
        """Diverging horizontal bars: each item's weight of evidence for the target against ``versus``.

        Bars to the right speak for the target, to the left against it; labelled with the value and the likelihood
        ratio; the title gives prior and posterior odds, which the bars add up to exactly. Returns the Axes.
        """
        from ..plotting import woe_plot

        unit = _checks.choice(unit, "unit", ("decibans", "bits"))
        w = self.weights(versus)
        scale = 1.0 if unit == "decibans" else BITS_PER_NAT / DECIBANS_PER_NAT
        vs = "all other diagnoses" if versus == ALL_OTHERS else versus
        prior = self.log_prior_odds(versus) * DECIBANS_PER_NAT * scale
        post = self.log_posterior_odds(versus) * DECIBANS_PER_NAT * scale
        title = (f"Weight of evidence for {self.target_state} vs {vs}\n"
                 f"prior odds {prior:+.1f} + sum of bars = posterior odds {post:+.1f} ({unit})")
        return woe_plot(w.assign(value=w["decibans"] * scale), unit=unit, title=title, ax=ax)


def _what_if(model: "BmesModel", ev: Evidence, target: str, target_state: str, final: np.ndarray) -> WhatIf:
    states = model.network[target].states
    rows = []
    for var in ev.labels:
        if var not in ev.hard:
            continue  # soft evidence has no single alternative state
        idx = ev.hard[var]
        vstates = model.network[var].states
        for j, s in enumerate(vstates):
            if j == idx:
                probs, possible = final, True
            else:
                try:
                    probs, possible = _dist(model, _with_hard(model, ev, var, j), target), True
                except ImpossibleEvidenceError:
                    probs, possible = np.full(len(states), np.nan), False
            for d, p in zip(states, probs):
                rows.append({"variable": var, "observed_state": vstates[idx], "state": s, "observed": j == idx,
                             "possible": possible, "diagnosis": d, "probability": float(p)})
    frame = pd.DataFrame(rows, columns=["variable", "observed_state", "state", "observed", "possible", "diagnosis",
                                        "probability"])
    return WhatIf(target_state=target_state, states=states, evidence=ev.as_dict(), frame=frame, model=model.info)


def explain(model: "BmesModel", evidence: Mapping[str, object] | None, *, target_state: str | None = None) -> Explanation:
    """Why the model believes what it believes: each observed item's weight of evidence, and what-if.

    The weight of evidence of item ``e_i`` (network order) for diagnosis ``h`` against ``a`` is
    ``ln P(e_i | h, e_<i) / P(e_i | a, e_<i)``; the weights add up exactly to the change from prior to posterior
    log odds, against every other diagnosis and against all others together.

    Parameters
    ----------
    model : BmesModel
        The model (``bmes_bayes.load_model()``).
    evidence : mapping
        As for :meth:`BmesModel.posterior`; at least one item.
    target_state : str, optional
        The diagnosis to explain. None (the default) means the most probable one under this evidence, which
        ``Explanation.target_state`` then names.

    Returns
    -------
    Explanation
        ``.to_frame()`` (long: position, variable, state, role, stage, alternative, lr, woe, decibans,
        direction), ``.what_if`` (posterior under every other state of each observed item), ``.plot()``.

    Raises
    ------
    EvidenceError
        Empty evidence, an unknown variable or state (``target_state`` included), impossible evidence.

    References
    ----------
    Good IJ (1950), Probability and the Weighing of Evidence; Good IJ (1985), Weight of evidence: a brief survey,
    Bayesian Statistics 2:249-270; Hugin, evidence sensitivity analysis.

    Examples
    --------
    >>> import bmes_bayes
    >>> ex = bmes_bayes.load_model().explain({"joint": "hip", "mri_necrotic_segment": "present"})
    >>> ex.target_state, ex.speaks_for[0]
    ('osteonecrosis', 'mri_necrotic_segment=present')
    """
    target = diagnosis_variable(model.network)
    ev = model.resolve(evidence)
    if len(ev) == 0:
        raise EvidenceError("nothing to explain: the evidence is empty (give at least one finding)")
    if target_state is not None:  # None: the most probable diagnosis under this evidence (documented)
        _check_state(model, target, target_state, "target_state")
    items = list(ev.labels)  # network order
    steps = np.stack([_dist(model, ev.without(items[i:]), target) for i in range(len(items) + 1)])
    states = model.network[target].states
    if target_state is None:
        target_state = states[int(np.argmax(steps[-1]))]
    what_if = _what_if(model, ev, target, target_state, steps[-1])
    net = model.network
    return Explanation(
        target=target, target_state=target_state, states=states, variables=tuple(items),
        labels=tuple(str(ev.labels[v]) for v in items), roles=tuple(net[v].role for v in items),
        stages=tuple(net[v].stage or "" for v in items), steps=steps, what_if=what_if, evidence=ev.as_dict(),
        model=model.info,
    )

