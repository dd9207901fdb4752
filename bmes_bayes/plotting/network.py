"""The network drawn: every variable as a small box of posterior bars, laid out by role, observed findings marked.

:meth:`bmes_bayes.BmesModel.draw` computes the marginal of every variable given the evidence (one exact query per
variable) into a :class:`~bmes_bayes.results.Marginals` result; :func:`draw_network` only draws that result (it never
queries the model), in the manner of pyAgrum's ``showInference``. Columns run left to right as the model reads:
context, risk factors, the diagnosis, then the findings grouped by work-up stage. matplotlib is imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..display import DISCLAIMER
from ._axes import literal, new_axes

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..results import Marginals
    from ..spec import Variable

__all__ = ["draw_network", "layout", "columns"]

# colours: calm blue bars; observed findings in amber with the observed state dark; soft evidence dashed
_BAR = "#6F8FBF"
_BAR_DIAGNOSIS = "#3F6FB0"
_BOX = "#F7F9FC"
_EDGE = "#8A99AD"
_OBSERVED_BOX = "#FFE9C7"
_OBSERVED_BAR = "#C8600A"
_OBSERVED_EDGE = "#B35A00"
_SOFT_BOX = "#FFF6E8"

_ROLE_TITLES = {"context": "Context", "risk_factor": "Risk factors", "diagnosis": "Diagnosis"}
_STAGE_TITLES = {"history": "history", "examination": "examination", "xray_and_labs": "X-ray and labs",
                 "mri": "MRI", "immediate_checks": "aspirate", "followup": "follow-up", "diagnosis": "diagnosis"}

HEADER = 1.15   # height of a box's title row, in row units
ROW = 0.9       # height of one state's bar row
GAP = 0.55      # vertical gap between boxes
MAX_COLUMN = 30.0  # row units a findings column may hold before the next stage starts a new column
CHAR = 0.18     # drawing units per character of a 6.6 pt state label, at the default 16 x 10 inch size
BAR = 2.7       # bar length (the diagnosis: 3.6)
VALUE = 1.15    # room for the number after a bar


# ----------------------------------------------------------------------------------------------- layout


def _row(v: "Variable") -> float:
    return ROW * 4 / 3 if v.role == "diagnosis" else ROW


def _height(v: "Variable") -> float:
    return HEADER + _row(v) * len(v.states)


def columns(variables: tuple["Variable", ...]) -> list[tuple[str, list["Variable"]]]:
    """Columns of the drawing, left to right: context, risk factors, diagnosis, then findings by stage.

    Findings fill a column stage by stage (work-up order) and a stage that would overflow it starts the next one.
    """
    from ..spec import STAGES

    out: list[tuple[str, list["Variable"]]] = []
    for role in ("context", "risk_factor", "diagnosis"):
        vs = [v for v in variables if v.role == role]
        if vs:
            out.append((_ROLE_TITLES[role], vs))
    findings = [v for v in variables if v.role not in _ROLE_TITLES]
    order = {s: i for i, s in enumerate(STAGES)}
    stages: dict[str, list["Variable"]] = {}
    for v in sorted(findings, key=lambda v: order.get(v.stage or "", len(order))):
        stages.setdefault(v.stage or "", []).append(v)
    current: list["Variable"] = []
    names: list[str] = []
    for stage, vs in stages.items():
        size = sum(_height(v) + GAP for v in vs)
        used = sum(_height(v) + GAP for v in current)
        if current and used + size > MAX_COLUMN:
            out.append(("Findings: " + ", ".join(names), current))
            current, names = [], []
        current = current + vs
        names.append(_STAGE_TITLES.get(stage, stage or "other"))
    if current:
        out.append(("Findings: " + ", ".join(names), current))
    return out


def _label_width(vs: list["Variable"]) -> float:
    big = 7.6 / 6.6 if any(v.role == "diagnosis" for v in vs) else 1.0
    return 0.35 + CHAR * big * max(len(s) for v in vs for s in v.states)


def layout(variables: tuple["Variable", ...]) -> dict[str, tuple[float, float, float, float]]:
    """Box of every variable as ``(left, bottom, width, height)`` in drawing units (one state row is 0.9 high).

    A column is as wide as its longest state label plus the bars, so that labels fit at the default size.
    """
    cols = columns(variables)
    gutter = 1.8
    tallest = max(sum(_height(v) for v in vs) + GAP * (len(vs) - 1) for _, vs in cols)
    boxes = {}
    x = 0.0
    for _, vs in cols:
        is_diag = any(v.role == "diagnosis" for v in vs)
        w = _label_width(vs) + (BAR * 4 / 3 if is_diag else BAR) + VALUE
        w = max(w, 0.4 + 0.2 * max(len(v.name) for v in vs))
        total = sum(_height(v) for v in vs) + GAP * (len(vs) - 1)
        # a single box (the diagnosis) sits in the middle; other columns hang from the top so their titles align
        y = (tallest + total) / 2 if len(vs) == 1 else tallest
        for v in vs:
            h = _height(v)
            boxes[v.name] = (x, y - h, w, h)
            y -= h + GAP
        x += w + gutter
    return boxes


def _spread(n: int, bottom: float, height: float) -> list[float]:
    """``n`` attachment heights spread along a box side (its middle when ``n`` is 1)."""
    if n == 1:
        return [bottom + height / 2]
    lo, hi = bottom + 0.35, bottom + height - HEADER
    return list(np.linspace(hi, lo, n))


# ----------------------------------------------------------------------------------------------- drawing


def _label_text(text: object) -> str:
    """Text as written on the drawing (``$`` is not mathtext: see :func:`bmes_bayes.plotting.literal`)."""
    return literal(text)


def _label(name: str) -> str:
    """A variable or state name on the drawing: underscores as spaces, shown as written."""
    return _label_text(str(name).replace("_", " "))


def draw_network(marginals: Marginals, *, ax: "Axes | None" = None) -> "Axes":
    """Draw the network of ``marginals``: a box per variable with its posterior as bars, edges drawn lightly.

    Observed findings are amber with the observed state's bar dark and named in the box title; soft evidence is
    dashed. The drawing only reads ``marginals``; nothing is recomputed.

    Parameters
    ----------
    marginals : Marginals
        From :meth:`bmes_bayes.BmesModel.marginals` (or built by hand).
    ax : matplotlib Axes, optional
        Where to draw (default: a new 16 x 10 inch figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

    ax = new_axes(ax, size=(16.0, 10.0))
    # text is sized for the Axes of a 16 x 10 inch figure; in a smaller Axes every font shrinks with it
    import matplotlib as mpl

    extent = ax.get_window_extent()
    dpi = ax.figure.dpi
    ref_w = 16.0 * (mpl.rcParams["figure.subplot.right"] - mpl.rcParams["figure.subplot.left"])
    ref_h = 10.0 * (mpl.rcParams["figure.subplot.top"] - mpl.rcParams["figure.subplot.bottom"])
    k = float(min(1.0, extent.width / dpi / ref_w, extent.height / dpi / ref_h))
    variables = marginals.variables
    # the arcs, in the order a networkx DiGraph built from the variables would list them (parents of each variable
    # in their written order, children in the variables' order): the order edges are drawn in is kept
    parents = {v.name: list(dict.fromkeys(v.parents)) for v in variables}
    children: dict[str, list[str]] = {v.name: [] for v in variables}
    for v in variables:
        for p in parents[v.name]:
            children[p].append(v.name)
    boxes = layout(variables)
    cols = columns(variables)
    top = max(y + h for _, y, _, h in boxes.values())
    right = max(x + w for x, _, w, _ in boxes.values())

    # edges first, underneath, from the right side of a parent to the left side of its child. Where a box has
    # many parents (the diagnosis) or children, the ends spread along its side in the order of the other ends, so
    # the fan stays readable; parents in the same column (context -> pregnancy) curve along the left edge.
    centre = {n: boxes[n][1] + boxes[n][3] / 2 for n in boxes}
    arrive: dict[tuple[str, str], float] = {}
    leave: dict[tuple[str, str], float] = {}
    for node in parents:
        x, y, w, h = boxes[node]
        ins = sorted((p for p in parents[node] if boxes[p][0] != x), key=lambda p: -centre[p])
        arrive.update({(p, node): yy for p, yy in zip(ins, _spread(len(ins), y, h))})
        outs = sorted((c for c in children[node] if boxes[c][0] != x), key=lambda c: -centre[c])
        leave.update({(node, c): yy for c, yy in zip(outs, _spread(len(outs), y, h))})
    # add_artist, not add_patch: the limits are set at the end, so no patch need widen the data limits (which
    # costs a path walk and two transforms per patch)
    for parent, child in ((p, c) for p in children for c in children[p]):
        px, py, pw, ph = boxes[parent]
        cx, cy, cw, ch = boxes[child]
        if abs(px - cx) < 1e-9:
            start, end, style = (px, centre[parent]), (cx, centre[child]), "arc3,rad=0.45"
        else:
            start = (px + pw, leave.get((parent, child), centre[parent]))
            end = (cx, arrive.get((parent, child), centre[child]))
            style = "arc3,rad=0.0"
        entered = parent in marginals.observed or child in marginals.observed
        ax.add_artist(FancyArrowPatch(start, end, connectionstyle=style, arrowstyle="-|>", mutation_scale=7,
                                     lw=0.6, color=_EDGE, alpha=0.6 if entered else 0.35, zorder=1,
                                     shrinkA=0, shrinkB=1))

    for title, vs in cols:
        x0 = boxes[vs[0].name][0]
        w = boxes[vs[0].name][2]
        head, _, sub = title.partition(": ")
        ax.text(x0 + w / 2, top + 0.5, _label_text(head + ("\n" + sub if sub else "")), ha="center", va="bottom",
                fontsize=9 * k, fontweight="bold", color="#2F3B4C", linespacing=1.3)

    for v in variables:
        x, y, w, h = boxes[v.name]
        probs = np.asarray(marginals.probabilities[v.name], dtype=float)
        observed = marginals.observed.get(v.name)
        soft = v.name in marginals.soft
        face = _OBSERVED_BOX if observed else _SOFT_BOX if soft else _BOX
        edge = _OBSERVED_EDGE if (observed or soft) else _EDGE
        ax.add_artist(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.25", fc=face, ec=edge,
                                    lw=1.4 if (observed or soft) else 0.8, ls="--" if soft else "-", zorder=2))
        is_diag = v.role == "diagnosis"
        head = _label(v.name)
        extra = f" = {_label(observed)}" if observed else " (soft)" if soft else ""
        if extra and 0.4 + 0.2 * len(head + extra) <= w:  # else the amber box and dark bar say it alone
            head += extra
        ax.text(x + 0.2, y + h - HEADER / 2, head, ha="left", va="center", fontsize=(8.4 if is_diag else 7.2) * k,
                fontweight="bold", color=_OBSERVED_EDGE if observed else "#1F2A37", zorder=4, clip_on=True)
        bar_w = BAR * 4 / 3 if is_diag else BAR
        bar_x = x + w - VALUE - bar_w
        for i, (state, p) in enumerate(zip(v.states, probs)):
            row = _row(v)
            row_mid = y + h - HEADER - row * (i + 0.5)
            hit = observed == state
            size = (7.6 if is_diag else 6.6) * k
            ax.text(bar_x - 0.15, row_mid, _label(state), ha="right", va="center", fontsize=size,
                    color="#1F2A37", fontweight="bold" if hit else "normal", zorder=4)
            ax.add_artist(Rectangle((bar_x, row_mid - row * 0.32), bar_w, row * 0.64, fc="white", ec="#C9D2DE",
                                   lw=0.4, zorder=3))
            color = _OBSERVED_BAR if hit else (_BAR_DIAGNOSIS if is_diag else _BAR)
            if observed and not hit:
                color = "#D9C2A7"
            ax.add_artist(Rectangle((bar_x, row_mid - row * 0.32), bar_w * float(np.clip(p, 0, 1)), row * 0.64,
                                   fc=color, ec="none", zorder=3.5))
            ax.text(bar_x + bar_w + 0.12, row_mid, f"{p:.2f}",
                    ha="left", va="center", fontsize=size, color="#1F2A37", zorder=4)

    n = len(marginals.observed) + len(marginals.soft)
    ax.set_title(f"Posterior of every variable given {n} finding{'s' if n != 1 else ''} "
                 "(amber: observed; bars: P(state | evidence))", fontsize=10 * max(k, 0.8), loc="left")
    ax.text(right, -0.6, _label_text(f"{marginals.model.short}. {DISCLAIMER}"), ha="right", va="top",
            fontsize=6.5 * max(k, 0.8), color="#5B6675")
    ax.set_xlim(-1.6, right + 0.3)
    ax.set_ylim(-1.6, top + 2.2)
    ax.set_axis_off()
    return ax
