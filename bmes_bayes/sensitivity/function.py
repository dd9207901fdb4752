"""Exact one-way sensitivity functions of raw CPT entries under a named co-variation scheme.

P(y, e) and P(e) are linear in one CPT entry (on each piece of a piecewise-linear co-variation), so the posterior is a
ratio of two linear functions, ``f(x) = (c1 x + c2) / (c3 x + c4)``; two exact evaluations per piece, batched for many
entries in one engine call, give the coefficients exactly. Co-variation of the rest of the row: proportional (Laskey
1995), uniform, or order-preserving (Renooij 2014, as bnmonitor's ``orderp_covar``).

References
----------
Coupé & van der Gaag (2002), Ann. Math. AI 36:323-356; Laskey (1995), IEEE Trans. SMC 25(6):901-909;
Renooij (2014), IJAR 55(4):1022-1042; van der Gaag, Renooij & Coupé (2007), Sensitivity analysis of probabilistic
networks, in Advances in Probabilistic Graphical Models, Springer, 103-124.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from .. import _checks, limits
from ..exceptions import ArgumentError, EvidenceError, listing, shown, unknown_name_message
from ..results import ModelInfo, ResultDisplay
from ._perturb import target_index

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..model import BmesModel

__all__ = ["SensitivityFunction", "sensitivity_function", "covary", "admissible_range", "COVARIATIONS"]

Covariation = Literal["proportional", "uniform", "order_preserving"]
COVARIATIONS: tuple[Covariation, ...] = ("proportional", "uniform", "order_preserving")

def covary(row: np.ndarray, k: int, x: np.ndarray | float, scheme: Covariation = "proportional") -> np.ndarray:
    """CPT rows with entry ``k`` set to each value of ``x`` and the other entries co-varied: ``(len(x), K)``.

    proportional: the others scaled by ``(1 - x) / (1 - x0)`` (Laskey 1995); uniform: each ``(1 - x) / (K - 1)``;
    order_preserving: Renooij (2014), as bnmonitor's ``orderp_covar``: the entries below ``x0`` in the row's order
    shrink with ``x`` towards 0, those above are pulled towards ``x_T = 1 / (1 + K - s)`` (``s`` the rank of entry k),
    so the order of the row is kept for every admissible ``x``.

    Parameters
    ----------
    row : numpy.ndarray
        One CPT row ``(K,)``, summing to 1.
    k : int
        The index of the entry set to ``x``.
    x : float or numpy.ndarray
        The new value(s) of entry ``k``, within :func:`admissible_range`.
    scheme : {"proportional", "uniform", "order_preserving"}, default "proportional"
        How the other entries follow.

    Returns
    -------
    numpy.ndarray
        ``(len(x), K)``: one co-varied row per value of ``x``, each summing to 1.

    References
    ----------
    Laskey (1995), IEEE Trans. SMC 25(6):901-909; Renooij (2014), IJAR 55(4):1022-1042; bnmonitor R/covariation.R.
    """
    scheme = _checks.choice(scheme, "covariation", COVARIATIONS)
    row = np.asarray(row, dtype=float)
    x = np.atleast_1d(np.asarray(x, dtype=float))
    n, x0 = len(row), float(row[k])
    if scheme == "proportional":
        if x0 >= 1.0:
            raise ArgumentError("proportional co-variation cannot move an entry of 1 (the rest of its row is 0); "
                            "use covariation='uniform'")
        out = row[None, :] * ((1.0 - x) / (1.0 - x0))[:, None]
    elif scheme == "uniform":
        out = np.repeat(((1.0 - x) / (n - 1))[:, None], n, axis=1)
    elif scheme == "order_preserving":
        rank = np.empty(n, dtype=int)
        rank[np.argsort(row, kind="stable")] = np.arange(1, n + 1)
        s = rank[k]
        if s == n:
            raise ArgumentError("order-preserving co-variation cannot move the largest entry of a row (Renooij 2014)")
        x_t = 1.0 / (1 + n - s)
        m_t = float(row[rank > s].sum())
        below = x[:, None] <= x0
        lower = rank < s
        out = np.empty((len(x), n))
        with np.errstate(divide="ignore", invalid="ignore"):
            shrink = np.where(x0 > 0, x / x0, 1.0)[:, None]
            out[:, lower] = np.where(below, row[lower] * shrink, row[lower] / (x_t - x0) * (x_t - x)[:, None])
            up = rank > s
            out[:, up] = np.where(below, row[up] / m_t - row[up] * (1 - m_t) / m_t * shrink,
                                  (row[up] - x_t) / (x_t - x0) * (x_t - x)[:, None] + x_t)
    out[:, k] = x
    return out


def admissible_range(row: np.ndarray, k: int, scheme: Covariation = "proportional") -> tuple[float, float]:
    """Values entry ``k`` may take under ``scheme``: [0, 1], or [0, 1/(1+K-s)] for order-preserving (Renooij 2014).

    Parameters
    ----------
    row : numpy.ndarray
        One CPT row ``(K,)``.
    k : int
        The index of the entry that moves (``s`` is its rank in the row, 1 the smallest).
    scheme : {"proportional", "uniform", "order_preserving"}, default "proportional"
        The co-variation scheme, as for :func:`covary`.

    Returns
    -------
    tuple of float
        ``(lower, upper)``.

    Raises
    ------
    ArgumentError
        Order-preserving co-variation of the largest entry of a row, which cannot move.
    """
    if _checks.choice(scheme, "covariation", COVARIATIONS) == "order_preserving":
        n = len(row)
        rank = np.empty(n, dtype=int)
        rank[np.argsort(row, kind="stable")] = np.arange(1, n + 1)
        if rank[k] == n:
            raise ArgumentError("order-preserving co-variation cannot move the largest entry of a row (Renooij 2014)")
        return 0.0, 1.0 / (1 + n - rank[k])
    return 0.0, 1.0


def _row_index(model: "BmesModel", node: str, parent_states: Mapping[str, str] | None) -> tuple[int, ...]:
    net = model.network
    node = _checks.variable(net, node, "node")
    parents = net[node].parents
    example = "{" + ", ".join(f"{q!r}: {net[q].states[0]!r}" for q in parents[:2]) + "}"
    given = dict(_checks.mapping(parent_states, "parent_states", example) if parent_states is not None else {})
    problems = []
    for q in given:
        if q not in parents:
            problems.append(f"{shown(q)} is not a parent of {node} (parents: {', '.join(parents) or 'none'})")
    missing = [q for q in parents if q not in given]
    if missing:
        problems.append(f"parent_states must give every parent of {node}, such as {example}; missing "
                        f"{', '.join(missing)}")
    idx = []
    for q in parents:
        if q in given:
            if not isinstance(given[q], str) or given[q] not in net[q].states:
                problems.append(unknown_name_message("state", given[q], net[q].states, where=f" of {q}"))
            else:
                idx.append(net[q].states.index(given[q]))
    if problems:
        raise EvidenceError(listing(problems, sep="; "))
    return tuple(idx)


@dataclass(frozen=True)
class _Piece:
    lo: float
    hi: float
    num: np.ndarray     # (K_target, 2): c1, c2 of P(y, e) for every target state
    den: np.ndarray     # (2,): c3, c4 of P(e)


def _coefficients(model: "BmesModel", ev, target: str, node: str, cands: Sequence[tuple[tuple[int, ...], int]],
                  scheme: Covariation) -> tuple[list[list[_Piece]], np.ndarray]:
    """Exact sensitivity-function coefficients of many entries of one node's CPT, in one batched engine call.

    P(y, e) and P(e) are linear in the varied entry (on each piece of a piecewise-linear co-variation), so two
    evaluations per piece give them exactly; every coefficient is divided by P(e) of the unchanged model.
    Returns, per candidate, its pieces, and log P(e) of the unchanged model.
    """
    base = model.tables.tables[node]
    rows, points, owner = [], [], []
    plan = []
    for ci, (r, k) in enumerate(cands):
        at = (0, *r)
        row = base[at]
        lo, hi = admissible_range(row, k, scheme)
        x0 = float(row[k])
        bounds = [(lo, x0), (x0, hi)] if scheme == "order_preserving" else [(lo, hi)]
        pieces = [(a, b) for a, b in bounds if b > a]
        plan.append(pieces)
        for a, b in pieces:
            xs = np.array([a + 0.25 * (b - a), a + 0.75 * (b - a)])
            for xr in covary(row, k, xs, scheme):
                rows.append((r, xr))
                owner.append(ci)
            points.append(xs)
    m = 1 + len(rows)
    table = np.repeat(base, m, axis=0)
    for j, (r, xr) in enumerate(rows, start=1):
        at = (j, *r)
        table[at] = xr
    res = model.query(ev, target, model.tables.with_table(node, table))
    scale = np.exp(res.log_evidence - res.log_evidence[0])
    num = res.posterior * scale[:, None]
    out: list[list[_Piece]] = []
    j, p = 1, 0
    for pieces in plan:
        mine = []
        for a, b in pieces:
            xa, xb = points[p]
            p += 1
            na, nb, da, db = num[j], num[j + 1], scale[j], scale[j + 1]
            j += 2
            c1 = (nb - na) / (xb - xa)
            c3 = (db - da) / (xb - xa)
            mine.append(_Piece(a, b, np.stack([c1, na - c1 * xa], axis=1), np.array([c3, da - c3 * xa])))
        out.append(mine)
    return out, res.log_evidence[:1]


@dataclass(frozen=True, eq=False)
class SensitivityFunction(ResultDisplay):
    """The exact one-way sensitivity function of a target posterior to one CPT entry ``x = P(node=state | parents)``.

    ``f(x) = (c1 x + c2) / (c3 x + c4)`` on each piece (one piece for proportional and uniform co-variation, two,
    split at ``x0``, for order-preserving, whose co-variation is piecewise linear). The coefficients are P(y, e) and
    P(e) as functions of x divided by P(e) of the unchanged model, so ``c3 x0 + c4 = 1`` under proportional
    co-variation; multiply by ``exp(log_evidence)`` for absolute probabilities.

    Attributes
    ----------
    x0 : float
        The entry's current value. Under uniform co-variation ``f(x0)`` is the posterior after the rest of the row
        has been made uniform, not the current posterior.
    pieces : tuple of (x_low, x_high, c1, c2, c3, c4)
    """

    target: str
    target_state: str
    node: str
    parent_states: dict[str, str]
    state: str
    covariation: str
    x0: float
    pieces: tuple[tuple[float, ...], ...]   # (lo, hi, c1, c2, c3, c4) per piece
    log_evidence: float
    evidence: dict[str, object]
    model: ModelInfo

    # -- the function --------------------------------------------------------------------------------
    def _piece(self, x: float) -> tuple[float, ...]:
        for pc in self.pieces:
            if pc[0] <= x <= pc[1] and (x < pc[1] or pc is self.pieces[-1]):
                return pc
        raise ArgumentError(f"x = {x} is outside the admissible range [{self.admissible[0]}, {self.admissible[1]}]")

    @property
    def coefficients(self) -> tuple[float, float, float, float]:
        """(c1, c2, c3, c4) of the piece at x0 (for order-preserving: the piece to the right of x0)."""
        piece = self._piece(self.x0)
        return piece[2], piece[3], piece[4], piece[5]

    c1 = property(lambda self: self.coefficients[0])
    c2 = property(lambda self: self.coefficients[1])
    c3 = property(lambda self: self.coefficients[2])
    c4 = property(lambda self: self.coefficients[3])

    @property
    def admissible(self) -> tuple[float, float]:
        """The values x may take under the co-variation scheme."""
        return self.pieces[0][0], self.pieces[-1][1]

    def __call__(self, x: float | np.ndarray) -> np.ndarray:
        """f(x), exactly (vectorised)."""
        xs = np.atleast_1d(np.asarray(x, dtype=float))
        out = np.empty_like(xs)
        for i, xi in enumerate(xs):
            _, _, c1, c2, c3, c4 = self._piece(float(xi))
            out[i] = (c1 * xi + c2) / (c3 * xi + c4)
        return out if np.ndim(x) else out[0]

    def derivative(self, x: float | None = None) -> float:
        """f'(x) = (c1 c4 - c2 c3) / (c3 x + c4)^2 (at x0 by default)."""
        x = self.x0 if x is None else x
        _, _, c1, c2, c3, c4 = self._piece(x)
        return (c1 * c4 - c2 * c3) / (c3 * x + c4) ** 2

    def second_derivative(self, x: float | None = None) -> float:
        """f''(x) = -2 c3 (c1 c4 - c2 c3) / (c3 x + c4)^3 (at x0 by default)."""
        x = self.x0 if x is None else x
        _, _, c1, c2, c3, c4 = self._piece(x)
        return -2 * c3 * (c1 * c4 - c2 * c3) / (c3 * x + c4) ** 3

    @property
    def value(self) -> float:
        """f(x0)."""
        return float(self(self.x0))

    @property
    def sensitivity_value(self) -> float:
        """``|f'(x0)|``: how fast the posterior moves with the entry (Coupé & van der Gaag 2002)."""
        return abs(self.derivative())

    @property
    def vertex(self) -> float | None:
        """Where the hyperbola bends most.

        ``s +/- sqrt(|r|)`` on the admissible side of the asymptote ``s`` (van der Gaag, Renooij & Coupé 2007); None
        when f is linear (c3 = 0).
        """
        _, _, c1, c2, c3, c4 = self._piece(self.x0)
        if abs(c3) <= 1e-14 * max(abs(c4), 1e-300):
            return None
        s = -c4 / c3
        t = c1 / c3
        r = c2 / c3 + s * t
        lo, _ = self.admissible
        return float(s + np.sqrt(abs(r)) if s < lo else s - np.sqrt(abs(r)))

    # -- display ----------------------------------------------------------------------------------------
    @property
    def parameter(self) -> str:
        """The parameter as ``P(node=state | parent=state, ...)``."""
        given = ", ".join(f"{k}={v}" for k, v in self.parent_states.items())
        return f"P({self.node}={self.state}" + (f" | {given})" if given else ")")

    def to_frame(self) -> pd.DataFrame:
        """One row per piece: ``parameter, covariation, x0, x_low, x_high, c1, c2, c3, c4``."""
        return pd.DataFrame({
            "parameter": self.parameter, "covariation": self.covariation, "x0": self.x0,
            "x_low": [p[0] for p in self.pieces], "x_high": [p[1] for p in self.pieces],
            "c1": [p[2] for p in self.pieces], "c2": [p[3] for p in self.pieces],
            "c3": [p[4] for p in self.pieces], "c4": [p[5] for p in self.pieces],
        })

    def curve(self, n: int = 201) -> pd.DataFrame:
        """The function f on a grid of ``n`` points over the admissible range.

        ``n`` is 2 to ``bmes_bayes.limits.MAX_CURVE_POINTS``. Columns ``x, probability``.
        """
        n = _checks.count(n, "n", minimum=2, maximum=limits.MAX_CURVE_POINTS)
        lo, hi = self.admissible
        xs = np.linspace(lo, hi, n)
        return pd.DataFrame({"x": xs, "probability": self(xs)})

    def __repr__(self) -> str:
        v = self.vertex
        return (f"<SensitivityFunction of P({self.target}={self.target_state}) to {self.parameter} "
                f"({self.covariation}): x0 = {self.x0:.4g}, f(x0) = {self.value:.3f}, |f'(x0)| = "
                f"{self.sensitivity_value:.3g}, vertex = {'none (linear)' if v is None else f'{v:.3g}'}>")

    _float_format = "{:.6g}"

    def _title(self) -> str:
        return f"P({self.target}={self.target_state} | evidence) as a function of {self.parameter}"

    def _notes(self) -> list[str]:
        return [repr(self)]

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """The function f over the admissible range with x0 marked. Returns the Axes."""
        from ..plotting import function_plot

        return function_plot(self.curve(), x0=self.x0, y0=self.value, xlabel=self.parameter,
                             ylabel=f"P({self.target_state} | evidence)", ax=ax,
                             title=f"sensitivity function ({self.covariation} co-variation)")


def sensitivity_function(model: "BmesModel", evidence: Mapping[str, object] | None, node: str,
                         parent_states: Mapping[str, str] | None, state: str, *, target_state: str,
                         target: str = "diagnosis", covariation: Covariation = "proportional") -> SensitivityFunction:
    """The exact sensitivity function of P(target = target_state | evidence) to one CPT entry.

    With ``x = P(node = state | parent_states)`` and the rest of its row co-varied, P(y, e) and P(e) are linear
    in ``x``, so ``f(x) = (c1 x + c2) / (c3 x + c4)``; the coefficients come from exact batched evaluations at
    two values of ``x`` (per piece: order-preserving co-variation is piecewise linear, split at ``x0``).

    Parameters
    ----------
    model : BmesModel
        The compiled model (:func:`~bmes_bayes.load_model`).
    evidence : mapping or None
        As for :meth:`BmesModel.posterior`.
    node : str
        The variable whose CPT entry is varied (for the diagnosis: an entry of the compiled CPT).
    parent_states : mapping or None
        The state of every parent of ``node`` (the CPT row), e.g. ``{"diagnosis": "infection"}``; None for a
        node without parents. A list is refused (``ArgumentTypeError``), not read as pairs.
    state : str
        The state of ``node`` whose probability is ``x``.
    target_state : str
        The state of ``target`` whose posterior is ``f``. Required: None is refused rather than taken to mean
        the current top, since which state's function to compute is the question itself.
    target : str, default "diagnosis"
        The variable whose posterior is analysed.
    covariation : {"proportional", "uniform", "order_preserving"}, default "proportional"
        How the rest of the row follows ``x``: proportional (Laskey 1995), uniform, or order-preserving
        (Renooij 2014, admissible up to ``1/(1 + K - s)``).

    Returns
    -------
    SensitivityFunction
        ``c1..c4``, ``x0``, ``value`` = f(x0), ``sensitivity_value`` = ``|f'(x0)|``, ``second_derivative()``,
        ``vertex``, ``admissible``, ``.plot()``.

    Raises
    ------
    EvidenceError
        Unknown node, parent or state, or parent states missing.
    BmesError
        An entry the scheme cannot move (proportional: an entry of 1; order-preserving: the row's largest).

    References
    ----------
    Castillo, Gutiérrez & Hadi (1997), IEEE SMC-A 27:412-423; Coupé & van der Gaag (2002); van der Gaag, Renooij
    & Coupé (2007) (vertex); Renooij (2014), IJAR 55:1022-1042 (co-variation).

    Examples
    --------
    >>> import bmes_bayes
    >>> from bmes_bayes.sensitivity import sensitivity_function
    >>> sf = sensitivity_function(bmes_bayes.load_model(), {"joint": "hip", "fever": "yes"}, "fever",
    ...                           {"diagnosis": "infection"}, "yes", target_state="infection")
    >>> bool(sf.derivative() > 0)
    True
    """
    covariation = _checks.choice(covariation, "covariation", COVARIATIONS)
    ev = model.resolve(evidence)
    r = _row_index(model, node, parent_states)
    k = _checks.state(model.network[node].states, state, of=node)
    target, ti, _ = target_index(model, target, target_state, ev, required=True)
    (pieces,), log_e = _coefficients(model, ev, target, node, [(r, k)], covariation)
    at = (0, *r, k)
    x0 = float(model.tables.tables[node][at])
    return SensitivityFunction(
        target=target, target_state=model.network[target].states[ti], node=node,
        parent_states={q: model.network[q].states[i] for q, i in zip(model.network[node].parents, r)}, state=state,
        covariation=covariation, x0=x0,
        pieces=tuple((p.lo, p.hi, *map(float, p.num[ti]), *map(float, p.den)) for p in pieces),
        log_evidence=float(log_e[0]), evidence=ev.as_dict(), model=model.info)



def _raw_candidates(model: "BmesModel", ev, node: str) -> list[tuple[tuple[int, ...], int]]:
    """Every entry of every row of ``node``'s CPT whose parent states the evidence allows."""
    net = model.network
    parents = net[node].parents
    ranges = [[ev.hard[q]] if q in ev.hard else range(net[q].card) for q in parents]
    rows = list(product(*ranges))
    return [(r, k) for r in rows for k in range(net[node].card)]

