"""Tuning.

The single-parameter changes that make a posterior reach a wanted value, ranked by the exact Chan-Darwiche distance.

Clinical parameters are searched numerically over their whole domain (:mod:`._search`); raw CPT entries in closed
form from their exact sensitivity functions (:mod:`.function`).

References
----------
Chan & Darwiche (2002), JAIR 17:265-287; Chan & Darwiche (2005), IJAR 38:149-174; Chan & Darwiche (2004), UAI
(SamIam); Leonelli, bnmonitor R/sensquery.R.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _checks
from .._deprecation import UNSET, renamed, renamed_attribute
from ..compile import DrawnTables, compile_node
from ..draws import relevant_parameters
from ..results import ModelInfo, ResultDisplay
from ..spec import ODDS_RATIO_LIMITS, OddsRatioPrior, RowPrior, TableCPD
from ._perturb import (
    PLAUSIBLE,
    _entries,
    _Entry,
    _entry_draws,
    domain,
    entry_cdf,
    from_scale,
    plausible_range,
    point_value,
    target_index,
    to_scale,
)
from ._search import search
from .function import _coefficients, _raw_candidates

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..model import BmesModel

__all__ = ["Tuning", "tune", "cd_distance"]

SHOWN = 25   # rows of the HTML table


@dataclass(frozen=True, eq=False)
class Tuning(ResultDisplay):
    """Single-parameter changes that make P(target = target_state | evidence) reach ``at_least``.

    Two kinds of candidates, in one table ranked by the Chan-Darwiche distance between the point model and the
    changed model (smallest first, as SamIam and bnmonitor's ``sensquery`` rank them):

    - every uncertain clinical parameter that can move the posterior (the set :func:`one_way` uses: base rates,
      odds ratios, finding frequencies, risk-factor prevalences; a row entry moved with proportional co-variation of
      the rest of its row), searched over its whole admissible domain: probabilities in (0, 1), odds ratios within
      the validator's bounds [1e-6, 1e6]. Its ``x*`` is found numerically: a grid over the whole domain (logit scale
      for probabilities, log scale for odds ratios), one batched exact query for every parameter, brackets the sign
      change of ``P - at_least`` nearest to the current value (a monotone bracket: the constraint fails at one end
      and holds at the other), then batched bisection narrows it to 1e-10 on that scale and the end where the
      constraint holds is reported. Each comes with its plausible range (central prior probability
      ``plausible_mass``, the quantiles :func:`one_way` uses) and whether the new value lies inside it: a change
      inside that range is one the stated uncertainty of the priors already allows.
    - raw CPT entries (``kind == "cpt_entry"``) of the target's own row, when the evidence selects one, and of the
      observed children of the target, moved with proportional co-variation to ``x* = (p c4 - c2) / (c1 - p c3)``
      from their exact sensitivity function; an entry that is itself a clinical parameter (an uncertain
      table row) is listed once, as that parameter.

    The Chan-Darwiche distance is exact. For a clinical parameter it is computed from its definition: a change
    confined to one node's CPT T gives ``P'(w)/P(w) = T'(x|u)/T(x|u)``, so ``D = ln max T'/T - ln min T'/T`` over the
    entries of the node's full point and changed CPTs (both compiled) with ``T > 0`` and ``P(u) > 0`` (a parent
    configuration of probability zero, such as a pregnant man, carries no world). For a raw entry under
    proportional co-variation it is the closed form ``|ln O'(x|u) - ln O(x|u)|`` (Chan & Darwiche 2002).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per candidate, see :meth:`to_frame`.
    searched : tuple of str
        The nodes whose raw CPT entries were searched.
    n_parameters : int
        How many clinical parameters were searched.
    plausible_mass : float
        Central prior probability of the plausible range of each clinical parameter (the ``plausible`` argument of
        :func:`tune`; ``.plausible`` is the table of the candidates inside their range).
    """

    target: str
    target_state: str
    at_least: float
    current: float
    frame: pd.DataFrame
    searched: tuple[str, ...]
    notes: tuple[str, ...]
    evidence: dict[str, object]
    model: ModelInfo
    n_parameters: int = 0
    plausible_mass: float = PLAUSIBLE

    @property
    def level(self) -> float:
        """Deprecated name of :attr:`plausible_mass` (kept for one release, with a ``DeprecationWarning``)."""
        return renamed_attribute(self.plausible_mass, old_name="level", new_name="plausible_mass")

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate change, the smallest distance first.

        Columns ``parameter, node, parent_states, state, x0, x_new, change, cd_distance, p_before, p_after, kind, id,
        plausible_low, plausible_high, plausible, prior_tail``.

        ``kind`` is ``cpt_entry`` for a raw CPT entry, else the clinical parameter's kind (``probability``,
        ``base_rate``, ``odds_ratio``); ``id`` the parameter's id in ``priors/`` (empty for a raw entry of a
        log-linear CPT). For clinical parameters, ``plausible_low``/``plausible_high`` are the quantiles
        ``(1 -/+ plausible_mass)/2`` of the parameter's prior marginal, ``plausible`` whether ``x_new`` lies inside, and
        ``prior_tail`` the prior probability of a value at least as far out as ``x_new`` in the direction of the
        change; missing for raw entries.
        """
        return self.frame.copy()

    @property
    def plausible(self) -> pd.DataFrame:
        """The candidates whose new value lies within its parameter's plausible range."""
        return self.frame[self.frame["plausible"].fillna(False).astype(bool)].reset_index(drop=True)

    def describe(self, i: int = 0) -> str:
        """Candidate ``i`` (in the frame's order) in words."""
        return _tuning_sentence(self.frame.iloc[i], self.target, self.target_state, self.at_least)

    @property
    def verdict(self) -> str:
        """Whether the wanted posterior is reached, and by the smallest change, in one sentence."""
        head = f"P({self.target_state} | evidence) = {self.current:.3f}; wanted at least {self.at_least:.3f}"
        if self.current >= self.at_least:
            return f"{head}: already satisfied, nothing to change."
        if len(self.frame) == 0:
            raw = f" nor any CPT entry of {', '.join(self.searched)}" if self.searched else ""
            return (f"{head}: no single clinical parameter (of {self.n_parameters} searched over their whole "
                    f"domain){raw} can reach it.")
        f = self.frame
        clinical = f["kind"] != "cpt_entry"
        ok = f["plausible"].fillna(False).astype(bool)
        text = (f"{head}: {len(f)} single changes reach it ({int(clinical.sum())} of a clinical parameter, "
                f"{int(ok.sum())} within the parameter's plausible {self.plausible_mass:.0%} range). Smallest: "
                f"{self.describe(0)}.")
        if clinical.any() and not ok.iloc[0]:
            if ok.any():
                text += f" Smallest within a plausible range: {self.describe(int(np.flatnonzero(ok)[0]))}."
            else:
                text += (" No clinical parameter reaches it within its plausible range: the priors' stated "
                         "uncertainty does not allow it, one parameter at a time.")
        return text

    def __repr__(self) -> str:
        if len(self.frame) == 0:
            what = "already satisfied" if self.current >= self.at_least else "no single change reaches it"
            return (f"<Tuning P({self.target}={self.target_state}) >= {self.at_least:.3f} (now {self.current:.3f}): "
                    f"{what}>")
        f = self.frame
        n_raw = int((f["kind"] == "cpt_entry").sum())
        n_ok = int(f["plausible"].fillna(False).astype(bool).sum())
        return (f"<Tuning P({self.target}={self.target_state}) >= {self.at_least:.3f} (now {self.current:.3f}): "
                f"{len(f)} single changes ({len(f) - n_raw} clinical parameters, {n_ok} plausible; {n_raw} CPT "
                f"entries); smallest: {self.describe(0)}>")

    _float_format = "{:.4g}"

    def _title(self) -> str:
        return f"Tuning P({self.target}={self.target_state} | evidence) \u2265 {self.at_least:.3f}"

    def _display_frame(self) -> pd.DataFrame:
        return self.frame.head(SHOWN)

    def _notes(self) -> list[str]:
        return [self.verdict, *self.notes]

    def plot(self, ax: "Axes | None" = None, *, n: int = 15) -> "Axes":
        """The candidate changes as arrows from x0 to x*, smallest CD distance on top.

        The plausible range of each clinical parameter is drawn behind its arrow (log axis when odds ratios are among
        them). Returns the Axes.
        """
        from ..plotting import tuning_plot

        return tuning_plot(self.frame.head(_checks.count(n, "n")), ax=ax,
                           title=f"P({self.target_state} | evidence) >= {self.at_least:.2f}: single changes")


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _tuning_sentence(r: pd.Series, target: str, target_state: str, at_least: float) -> str:
    """'traumatic_fracture reaches 0.50 if the odds ratio of ...

    were 212 instead of 35 (plausible range 13-120: outside; CD distance 1.8)'.
    """
    who = r["state"] if r["node"] == target else f"{r['node']}={r['state']}"
    if r["kind"] == "odds_ratio":
        what = f"the odds ratio of {r['parent_states']} for {who}"
    elif r["kind"] == "base_rate":
        what = f"the base rate of {who}" + (f" given {r['parent_states']}" if r["parent_states"] else "")
    else:
        what = r["parameter"]
    extra = []
    if r["kind"] != "cpt_entry" and np.isfinite(r["plausible_low"]):
        extra.append(f"plausible range {_fmt(r['plausible_low'])}-{_fmt(r['plausible_high'])}: "
                     f"{'inside' if r['plausible'] else 'outside'}")
    extra.append(f"CD distance {r['cd_distance']:.3g}")
    return (f"{target_state} reaches {at_least:.2f} if {what} were {_fmt(r['x_new'])} instead of {_fmt(r['x0'])} "
            f"({'; '.join(extra)})")


def cd_distance(x0: float | np.ndarray, x1: float | np.ndarray) -> np.ndarray:
    """Chan-Darwiche distance of a single-entry change x0 -> x1 with proportional co-variation.

    ``|ln(x1/(1-x1)) - ln(x0/(1-x0))|`` (Chan & Darwiche 2002, JAIR 17:265-287).

    Parameters
    ----------
    x0 : float or numpy.ndarray
        The entry before the change.
    x1 : float or numpy.ndarray
        The entry after the change.

    Returns
    -------
    numpy.ndarray
        The distance (elementwise for arrays).
    """
    x0, x1 = np.asarray(x0, dtype=float), np.asarray(x1, dtype=float)
    with np.errstate(divide="ignore"):
        return np.abs((np.log(x1) - np.log1p(-x1)) - (np.log(x0) - np.log1p(-x0)))


_TUNE_EPS = 1e-12    # probabilities are searched within [1e-12, 1 - 1e-12] (the open interval, to double precision)
_TUNE_GRID = 48      # grid points over each parameter's whole domain (logit or log scale), one batched query
_TUNE_TOL = 1e-10    # bisection stops when the bracket is this narrow on the search scale (logit or log)
_TUNE_STEPS = 200    # at most this many bisection steps
_CD_BATCH = 2**23    # CPT entries compiled at once for the exact CD distance (bounds memory)


def _possible_rows(model: "BmesModel", node: str) -> np.ndarray:
    """Boolean array over the parent configurations u of ``node`` (parents' axes): P(u) > 0 in the point model.

    Exact: the 0/1 support of the CPTs of the node's ancestors, multiplied out and summed (no underflow possible).
    """
    net = model.network
    parents = net[node].parents
    if not parents:
        return np.ones((), dtype=bool)
    anc: set[str] = set()
    stack = list(parents)
    while stack:
        v = stack.pop()
        if v not in anc:
            anc.add(v)
            stack += net[v].parents
    names = [v for v in net.names if v in anc]
    pos = {v: i for i, v in enumerate(names)}
    joint = np.ones([1] * len(names))
    for v in names:
        axes = [pos[a] for a in (*net[v].parents, v)]
        t = (model.tables.tables[v][0] > 0).astype(float)
        t = np.transpose(t, np.argsort(axes))
        shape = [1] * len(names)
        for a, size in zip(sorted(axes), t.shape):
            shape[a] = size
        joint = joint * t.reshape(shape)
    marg = joint.sum(axis=tuple(i for i, v in enumerate(names) if v not in parents)) > 0
    kept = [v for v in names if v in parents]   # network order
    return np.transpose(marg, [kept.index(q) for q in parents])


def _cd_exact(model: "BmesModel", entries: Sequence[_Entry], values: np.ndarray) -> np.ndarray:
    """Exact Chan-Darwiche distance between the point model and each model with one clinical parameter changed.

    A change confined to one node's CPT T gives P'(w)/P(w) = T'(x|u)/T(x|u) for every world w, so
    ``D = ln max T'/T - ln min T'/T`` over the entries of the node's full CPT (both CPTs compiled with
    :func:`bmes_bayes.compile.compile_node`) with T(x|u) > 0 whose parent configuration u is possible (P(u) > 0: an
    impossible row, such as a pregnant man, carries no world); infinite if some such entry goes from 0 to > 0.
    """
    out = np.empty(len(entries))
    by_node: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        by_node.setdefault(e.node, []).append(i)
    for node, idx in by_node.items():
        before = model.tables.tables[node][0]
        mask = np.broadcast_to(_possible_rows(model, node)[..., None], before.shape)
        pos, zero = mask & (before > 0), mask & (before == 0)
        t0 = before[pos]
        step = max(1, _CD_BATCH // before.size)
        for start in range(0, len(idx), step):
            chunk = idx[start : start + step]
            draws = _entry_draws(model, [entries[i] for i in chunk], values[chunk])
            after = compile_node(model.priors, model.network, draws, node)
            ratio = after[:, pos] / t0[None, :]
            with np.errstate(divide="ignore"):
                d = np.log(ratio.max(axis=1)) - np.log(ratio.min(axis=1))
            if zero.any():
                d = np.where((after[:, zero] > 0).any(axis=1), np.inf, d)
            out[chunk] = d
    return out


def _clinical_tuning(model: "BmesModel", ev, target: str, ti: int, p: float,
                     entries: Sequence[_Entry]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each clinical parameter.

    The value at which P(target_state | e) reaches ``p`` nearest to its current value on its search scale, and the
    posterior there; NaN where no value in its domain reaches it.

    A grid over the whole domain (one batched query for every parameter) brackets the sign change of
    ``P - p`` nearest to the current value on each side; batched bisection narrows every bracket to ``_TUNE_TOL``
    on the search scale; of the two sides the nearer root is kept. Returns ``(found, x_new, p_after)``, where
    ``x_new`` is the bracket end at which the constraint holds (so ``p_after >= p``).
    """
    n = len(entries)
    found = np.zeros(n, dtype=bool)
    x_new, p_new = np.full(n, np.nan), np.full(n, np.nan)
    if n == 0:
        return found, x_new, p_new

    def evaluate(which: np.ndarray, ts: np.ndarray) -> np.ndarray:
        es = [entries[i] for i in which]
        xs = np.array([float(from_scale(e, t)) for e, t in zip(es, ts)])
        res = model.query(ev, target, DrawnTables(model.priors, model.network, _entry_draws(model, es, xs)))
        return res.posterior[:, ti]

    t0 = np.array([float(to_scale(e, point_value(model, e))) for e in entries])
    ends = np.array([domain(e, eps=_TUNE_EPS, odds_ratio=ODDS_RATIO_LIMITS) for e in entries])
    frac = np.linspace(0.0, 1.0, _TUNE_GRID)
    grid = ends[:, :1] + (ends[:, 1:] - ends[:, :1]) * frac[None, :]                 # (n, G)
    # a bracket per side: the first grid point past x0 that reaches p, and the one before it (or x0)
    got = search(evaluate, lambda v: v >= p, t0, grid, sides=(1, -1), steps=_TUNE_STEPS, tol=_TUNE_TOL)
    for k in np.argsort(np.abs(got.outside - t0[got.entry]), kind="stable"):   # nearest root first: one per entry
        i = got.entry[k]
        if not found[i]:
            found[i], x_new[i], p_new[i] = True, float(from_scale(entries[i], got.outside[k])), got.value[k]
    return found, x_new, p_new


def _table_row(model: "BmesModel", node: str, r: tuple[int, ...]) -> RowPrior | None:
    """The prior of row ``r`` of a table CPT (None for a log-linear node)."""
    cpd = model.priors.cpds[node]
    if not isinstance(cpd, TableCPD):
        return None
    return cpd.rows[int(np.ravel_multi_index(r, [model.network[q].card for q in cpd.parents])) if r else 0]


def _same_as_clinical(model: "BmesModel", node: str, r: tuple[int, ...], k: int,
                      clinical: set[tuple[int, int | None]], where: Mapping[int, int]) -> bool:
    """Whether moving raw entry ``(r, k)`` is the same change as moving a clinical parameter.

    A clinical parameter is an uncertain table row's entry; for a two-state row, either entry.
    """
    row = _table_row(model, node, r)
    if row is None:
        return False
    i = where[id(row)]
    return (i, k) in clinical or (len(row.states) == 2 and any(c[0] == i for c in clinical))


_TUNE_COLUMNS = ["parameter", "node", "parent_states", "state", "x0", "x_new", "change", "cd_distance", "p_before",
                 "p_after", "kind", "id", "plausible_low", "plausible_high", "plausible", "prior_tail"]


def tune(model: "BmesModel", evidence: Mapping[str, object] | None, target_state: str, *, at_least: float,
         target: str = "diagnosis", plausible: float | None = None, level: object = UNSET) -> Tuning:
    """Single-parameter changes that make P(target = target_state | evidence) at least ``at_least``.

    Searched, each alone with every other parameter at its point value:

    - every uncertain clinical parameter that can move the posterior (the set :func:`one_way` uses: base rates,
      odds ratios, finding frequencies, risk-factor prevalences; a row entry with proportional co-variation of
      the rest of its row), over its whole admissible domain: probabilities in (0, 1), odds ratios in the
      validator's bounds [1e-6, 1e6]. Its ``x*`` is found numerically: a grid over the domain (logit scale for
      probabilities, log scale for odds ratios; every parameter in one batched exact query) brackets the sign
      change of ``P - at_least`` nearest to the current value, and batched bisection narrows the bracket to
      1e-10 on that scale; the end of the bracket at which the constraint holds is reported, so the change
      once applied satisfies it. (The posterior is not a single ratio of linear functions of an odds ratio or
      base rate, which change many CPT entries at once, and need not be monotone in it: a crossing and
      re-crossing within one grid step, 1/47 of the domain or a factor 1.8 in an odds ratio, would be
      missed.) Each change is flagged by whether the new value lies inside the parameter's plausible range
      (central prior probability ``plausible``: the prior quantiles :func:`one_way` uses): a change inside it is
      one the stated uncertainty of the priors already allows.
    - raw CPT entries: the target's own CPT row when the evidence selects one (all its parents observed), and
      every row, given each state of the target, of the CPT of each observed child of the target (the
      findings), moved with proportional co-variation to ``x* = (p c4 - c2) / (c1 - p c3)`` from the exact
      sensitivity function and kept if in [0, 1]. An entry that is itself a clinical parameter is listed once.

    All candidates are ranked by the Chan-Darwiche distance between the point model and the changed model, as
    SamIam and bnmonitor's ``sensquery`` do. It is exact: for a clinical parameter it is computed from its
    definition, ``ln max P'/P - ln min P'/P`` over the worlds, which for a change confined to one node's CPT T is
    ``ln max T'/T - ln min T'/T`` over the entries of both full CPTs with T > 0 whose parent configuration has
    positive probability; for a raw entry it is the closed form ``|ln O'(x|u) - ln O(x|u)|``.

    Parameters
    ----------
    model : BmesModel
        The compiled model (:func:`~bmes_bayes.load_model`).
    evidence : mapping or None
        As for :meth:`BmesModel.posterior`.
    target_state : str
        The state to make more probable. Required (None is refused, as for :func:`sensitivity_function`).
    at_least : float
        The probability to reach, in (0, 1). When it is already reached the result is empty and says so.
    target : str, default "diagnosis"
        The variable whose posterior is analysed.
    plausible : float, default 0.95
        Central prior probability of each clinical parameter's plausible range.
    level : float, optional
        Deprecated name of ``plausible`` (a ``DeprecationWarning``; removed in the next release).

    Returns
    -------
    Tuning
        ``.to_frame()`` (parameter, node, parent_states, state, x0, x_new, change, cd_distance, p_before,
        p_after, kind, id, plausible_low, plausible_high, plausible, prior_tail), ``.verdict``, ``.plausible``,
        ``.notes``, ``.plot()``.

    References
    ----------
    Chan & Darwiche (2002), JAIR 17:265-287; Chan & Darwiche (2005), IJAR 38:149-174; Chan & Darwiche (2004),
    UAI (SamIam); Leonelli, bnmonitor R/sensquery.R.

    Examples
    --------
    >>> import bmes_bayes
    >>> from bmes_bayes.sensitivity import tune
    >>> t = tune(bmes_bayes.load_model(), {"joint": "hip", "fever": "yes", "age_group": "middle", "sex": "male"},
    ...                                  "infection", at_least=0.8)
    >>> list(t.to_frame().columns[:2])
    ['parameter', 'node']
    """
    at_least = _checks.probability(at_least, "at_least", low_open=True, high_open=True)
    plausible = _checks.level(renamed(plausible, level, new="plausible", old="level", where="tune", default=PLAUSIBLE), "plausible")
    ev = model.resolve(evidence)
    target, ti, point = target_index(model, target, target_state, ev, required=True)
    net = model.network
    notes: list[str] = []
    nodes: list[str] = []
    own = _raw_candidates(model, ev, target)
    if target not in ev.hard and len(own) <= net[target].card:
        nodes.append(target)
    elif target not in ev.hard:
        notes.append(f"{target}'s own CPT has {len(own) // net[target].card} rows compatible with the evidence "
                     f"(its parents are not all observed), so its raw entries are not searched one by one; its "
                     f"clinical parameters (base rates, odds ratios) are.")
    nodes += [v.name for v in net.variables if v.name in ev.hard and target in v.parents]
    recs = []
    p = float(at_least)
    entries = _entries(model, relevant_parameters(model, ev, target)) if target not in ev.hard else []
    if point[ti] < p:
        # clinical parameters: numerical root over the whole domain, exact CD distance
        found, x_new, p_new = _clinical_tuning(model, ev, target, ti, p, entries)
        hit = np.flatnonzero(found)
        cd = _cd_exact(model, [entries[i] for i in hit], x_new[hit])
        for i, d in zip(hit, cd):
            e = entries[i]
            prior = model.priors.parameters[e.index]
            x0, x1 = point_value(model, e), float(x_new[i])
            lo, hi = plausible_range(model, e, plausible)
            c = entry_cdf(model, e, x1)
            gtxt = (f"{prior.parent}={prior.parent_state}" if isinstance(prior, OddsRatioPrior)
                    else ", ".join(f"{q}={s}" for q, s in prior.given))
            recs.append({
                "parameter": e.label, "node": e.node, "parent_states": gtxt, "state": e.state, "x0": x0,
                "x_new": x1, "change": x1 - x0, "cd_distance": float(d), "p_before": float(point[ti]),
                "p_after": float(p_new[i]), "kind": e.kind, "id": prior.id, "plausible_low": lo,
                "plausible_high": hi, "plausible": bool(lo <= x1 <= hi),
                "prior_tail": c if x1 < x0 else 1.0 - c,
            })
        # raw CPT entries: exact sensitivity functions, closed-form x*
        clinical = {(e.index, e.entry) for e in entries}
        where = {id(q): j for j, q in enumerate(model.priors.parameters)}
        merged = 0
        for node in nodes:
            cands = [(r, k) for r, k in _raw_candidates(model, ev, node)
                     if model.tables.tables[node][(0,) + r + (k,)] < 1.0]
            kept = [(r, k) for r, k in cands if not _same_as_clinical(model, node, r, k, clinical, where)]
            merged += len(cands) - len(kept)
            if not kept:
                continue
            pieces, _ = _coefficients(model, ev, target, node, kept, "proportional")
            for (r, k), (pc,) in zip(kept, pieces):
                c1, c2 = pc.num[ti]
                c3, c4 = pc.den
                at = (0, *r, k)
                x0 = float(model.tables.tables[node][at])
                denom = c1 - p * c3
                if denom == 0:
                    continue
                xs = (p * c4 - c2) / denom
                if not 0.0 <= xs <= 1.0:
                    continue
                given = {q: net[q].states[i] for q, i in zip(net[node].parents, r)}
                gtxt = ", ".join(f"{q}={s}" for q, s in given.items())
                row = _table_row(model, node, r)
                recs.append({
                    "parameter": f"P({node}={net[node].states[k]}" + (f" | {gtxt})" if gtxt else ")"),
                    "node": node, "parent_states": gtxt, "state": net[node].states[k], "x0": x0, "x_new": float(xs),
                    "change": float(xs - x0), "cd_distance": float(cd_distance(x0, xs)),
                    "p_before": float(point[ti]), "p_after": float((c1 * xs + c2) / (c3 * xs + c4)),
                    "kind": "cpt_entry", "id": row.id if row is not None else "", "plausible_low": np.nan,
                    "plausible_high": np.nan, "plausible": pd.NA, "prior_tail": np.nan,
                })
        if merged:
            notes.append(f"{merged} raw CPT entries of {', '.join(nodes)} are the same change as moving a clinical "
                         f"parameter: they are searched (and listed) once, as that parameter.")
    frame = pd.DataFrame(recs, columns=_TUNE_COLUMNS).astype({"plausible": "boolean"})
    frame = frame.sort_values(["cd_distance", "parameter"], kind="stable").reset_index(drop=True)
    return Tuning(target=target, target_state=net[target].states[ti], at_least=p, current=float(point[ti]),
                  frame=frame, searched=tuple(nodes), notes=tuple(notes), evidence=ev.as_dict(), model=model.info,
                  n_parameters=len(entries), plausible_mass=plausible)


