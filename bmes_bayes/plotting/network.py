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

__all__ = ["draw_network", "network_svg", "layout", "columns"]

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


def _edges(variables: tuple["Variable", ...], boxes: dict[str, tuple[float, float, float, float]]
           ) -> list[tuple[str, str, tuple[float, float], tuple[float, float], float]]:
    """Every arc as ``(parent, child, start, end, rad)`` in drawing units, in drawing order.

    From the right side of a parent to the left side of its child. Where a box has many parents (the diagnosis) or
    children, the ends spread along its side in the order of the other ends, so the fan stays readable; parents in
    the same column (context -> pregnancy) curve (``rad`` 0.45, matplotlib's ``arc3``) along the left edge. The order
    is the one a networkx DiGraph built from the variables lists its edges in (parents of each variable in their
    written order, children in the variables' order).
    """
    parents = {v.name: list(dict.fromkeys(v.parents)) for v in variables}
    children: dict[str, list[str]] = {v.name: [] for v in variables}
    for v in variables:
        for p in parents[v.name]:
            children[p].append(v.name)
    centre = {n: boxes[n][1] + boxes[n][3] / 2 for n in boxes}
    arrive: dict[tuple[str, str], float] = {}
    leave: dict[tuple[str, str], float] = {}
    for node in parents:
        x, y, w, h = boxes[node]
        ins = sorted((p for p in parents[node] if boxes[p][0] != x), key=lambda p: -centre[p])
        arrive.update({(p, node): yy for p, yy in zip(ins, _spread(len(ins), y, h))})
        outs = sorted((c for c in children[node] if boxes[c][0] != x), key=lambda c: -centre[c])
        leave.update({(node, c): yy for c, yy in zip(outs, _spread(len(outs), y, h))})
    out = []
    for parent, child in ((p, c) for p in children for c in children[p]):
        px, py, pw, ph = boxes[parent]
        cx, cy, cw, ch = boxes[child]
        if abs(px - cx) < 1e-9:
            out.append((parent, child, (px, centre[parent]), (cx, centre[child]), 0.45))
        else:
            out.append((parent, child, (px + pw, leave.get((parent, child), centre[parent])),
                        (cx, arrive.get((parent, child), centre[child])), 0.0))
    return out


def _box_style(v: "Variable", marginals: Marginals, width: float) -> tuple[str, str, float, bool, str, bool]:
    """``(face, edge, line width, dashed, title, is_diagnosis)`` of a variable's box; the title names what was seen.

    The observed state (or "(soft)") is added to the title when it fits the box; else the amber box and dark bar
    say it alone.
    """
    observed = marginals.observed.get(v.name)
    soft = v.name in marginals.soft
    face = _OBSERVED_BOX if observed else _SOFT_BOX if soft else _BOX
    edge = _OBSERVED_EDGE if (observed or soft) else _EDGE
    head = _label(v.name)
    extra = f" = {_label(observed)}" if observed else " (soft)" if soft else ""
    if extra and 0.4 + 0.2 * len(head + extra) <= width:
        head += extra
    return face, edge, 1.4 if (observed or soft) else 0.8, soft, head, v.role == "diagnosis"


def _bars(v: "Variable", marginals: Marginals, box: tuple[float, float, float, float]
          ) -> list[tuple[str, float, float, float, float, float, str, bool]]:
    """Each state's row: ``(state, p, row_mid, row, bar_x, bar_w, bar colour, observed)`` in drawing units."""
    x, y, w, h = box
    probs = np.asarray(marginals.probabilities[v.name], dtype=float)
    observed = marginals.observed.get(v.name)
    is_diag = v.role == "diagnosis"
    bar_w = BAR * 4 / 3 if is_diag else BAR
    bar_x = x + w - VALUE - bar_w
    row = _row(v)
    out = []
    for i, (state, p) in enumerate(zip(v.states, probs)):
        hit = observed == state
        color = _OBSERVED_BAR if hit else (_BAR_DIAGNOSIS if is_diag else _BAR)
        if observed and not hit:
            color = "#D9C2A7"
        out.append((state, float(p), y + h - HEADER - row * (i + 0.5), row, bar_x, bar_w, color, hit))
    return out


def _title(marginals: Marginals) -> str:
    n = len(marginals.observed) + len(marginals.soft)
    return (f"Posterior of every variable given {n} finding{'s' if n != 1 else ''} "
            "(amber: observed; bars: P(state | evidence))")


def draw_network(marginals: Marginals, *, ax: "Axes | None" = None) -> "Axes":
    """Draw the network of ``marginals``: a box per variable with its posterior as bars, edges drawn lightly.

    Observed findings are amber with the observed state's bar dark and named in the box title; soft evidence is
    dashed. The drawing only reads ``marginals``; nothing is recomputed. :func:`network_svg` draws the same as SVG.

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
    boxes = layout(variables)
    cols = columns(variables)
    top = max(y + h for _, y, _, h in boxes.values())
    right = max(x + w for x, _, w, _ in boxes.values())

    # edges first, underneath. add_artist, not add_patch: the limits are set at the end, so no patch need widen the
    # data limits (which costs a path walk and two transforms per patch)
    for parent, child, start, end, rad in _edges(variables, boxes):
        entered = parent in marginals.observed or child in marginals.observed
        ax.add_artist(FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                      mutation_scale=7, lw=0.6, color=_EDGE, alpha=0.6 if entered else 0.35,
                                      zorder=1, shrinkA=0, shrinkB=1))

    for title, vs in cols:
        x0 = boxes[vs[0].name][0]
        w = boxes[vs[0].name][2]
        head, _, sub = title.partition(": ")
        ax.text(x0 + w / 2, top + 0.5, _label_text(head + ("\n" + sub if sub else "")), ha="center", va="bottom",
                fontsize=9 * k, fontweight="bold", color="#2F3B4C", linespacing=1.3)

    for v in variables:
        x, y, w, h = boxes[v.name]
        face, edge, lw, soft, head, is_diag = _box_style(v, marginals, w)
        observed = marginals.observed.get(v.name)
        ax.add_artist(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.25", fc=face, ec=edge,
                                     lw=lw, ls="--" if soft else "-", zorder=2))
        ax.text(x + 0.2, y + h - HEADER / 2, head, ha="left", va="center", fontsize=(8.4 if is_diag else 7.2) * k,
                fontweight="bold", color=_OBSERVED_EDGE if observed else "#1F2A37", zorder=4, clip_on=True)
        size = (7.6 if is_diag else 6.6) * k
        for state, p, row_mid, row, bar_x, bar_w, color, hit in _bars(v, marginals, (x, y, w, h)):
            ax.text(bar_x - 0.15, row_mid, _label(state), ha="right", va="center", fontsize=size,
                    color="#1F2A37", fontweight="bold" if hit else "normal", zorder=4)
            ax.add_artist(Rectangle((bar_x, row_mid - row * 0.32), bar_w, row * 0.64, fc="white", ec="#C9D2DE",
                                    lw=0.4, zorder=3))
            ax.add_artist(Rectangle((bar_x, row_mid - row * 0.32), bar_w * float(np.clip(p, 0, 1)), row * 0.64,
                                    fc=color, ec="none", zorder=3.5))
            ax.text(bar_x + bar_w + 0.12, row_mid, f"{p:.2f}",
                    ha="left", va="center", fontsize=size, color="#1F2A37", zorder=4)

    ax.set_title(_title(marginals), fontsize=10 * max(k, 0.8), loc="left")
    ax.text(right, -0.6, _label_text(f"{marginals.model.short}. {DISCLAIMER}"), ha="right", va="top",
            fontsize=6.5 * max(k, 0.8), color="#5B6675")
    ax.set_xlim(-1.6, right + 0.3)
    ax.set_ylim(-1.6, top + 2.2)
    ax.set_axis_off()
    return ax


# ----------------------------------------------------------------------------------------------- SVG

#: Fonts of the SVG drawing: matplotlib's default (DejaVu Sans) where the reader has it, else one of like width.
SVG_FONTS = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, Geneva, sans-serif"


def network_svg(marginals: Marginals, *, size: tuple[float, float] = (16.0, 10.0), dpi: float = 90) -> str:
    """The drawing of :func:`draw_network` as a standalone SVG document, written directly (no matplotlib).

    The same boxes, bars, numbers, labels, arcs and colours, laid out by the same :func:`layout`, at ``size`` inches
    and ``dpi`` pixels per inch (the document's width and height, in pixels); text is drawn by the viewer in
    :data:`SVG_FONTS`. About a hundred times faster than drawing with matplotlib, and sharp at any zoom.

    Parameters
    ----------
    marginals : Marginals
    size : (float, float), default (16.0, 10.0)
        Width and height in inches (text sizes are in points, as in :func:`draw_network` at its default size).
    dpi : float, default 90

    Returns
    -------
    str
        An ``<svg>`` document (UTF-8 text) with ``width``, ``height`` and ``viewBox`` in pixels.
    """
    import html

    def esc(text: object) -> str:
        return html.escape(str(text), quote=True)

    width, height = size[0] * dpi, size[1] * dpi
    pt = dpi / 72  # pixels per point
    variables = marginals.variables
    boxes = layout(variables)
    top = max(y + h for _, y, _, h in boxes.values())
    right = max(x + w for x, _, w, _ in boxes.values())
    # the drawing area: the figure less a margin and a title line, as constrained layout leaves it
    pad = 0.04 * dpi
    title_px = 10 * pt * 1.6
    x0, x1, y0, y1 = -1.6, right + 0.3, -1.6, top + 2.2
    sx = (width - 2 * pad) / (x1 - x0)
    sy = (height - 2 * pad - title_px) / (y1 - y0)

    def X(x: float) -> float:
        return pad + (x - x0) * sx

    def Y(y: float) -> float:
        return pad + title_px + (y1 - y) * sy

    def text(x: float, y: float, s: str, size_pt: float, *, anchor: str = "start", weight: str = "normal",
             color: str = "#1F2A37", baseline: str = "central") -> str:
        bold = ' font-weight="bold"' if weight == "bold" else ""
        return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size_pt * pt:.2f}" text-anchor="{anchor}" '
                f'dominant-baseline="{baseline}" fill="{color}"{bold}>{esc(s)}</text>')

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
           f'viewBox="0 0 {width:g} {height:g}" font-family="{esc(SVG_FONTS)}">',
           f'<rect width="{width:g}" height="{height:g}" fill="white"/>']

    # arcs underneath: a line or matplotlib's arc3 curve, its end 1 pt short, a filled head 2.8 pt long, 2.8 pt wide
    for parent, child, start, end, rad in _edges(variables, boxes):
        entered = parent in marginals.observed or child in marginals.observed
        (ax_, ay_), (bx, by) = (X(start[0]), Y(start[1])), (X(end[0]), Y(end[1]))
        cx, cy = (ax_ + bx) / 2 - rad * (by - ay_), (ay_ + by) / 2 + rad * (bx - ax_)  # control point (arc3)
        tx, ty = (bx - cx, by - cy) if rad else (bx - ax_, by - ay_)
        norm = max(float(np.hypot(tx, ty)), 1e-9)
        ux, uy = tx / norm, ty / norm
        bx, by = bx - ux * pt, by - uy * pt  # shrinkB=1 point
        length, half = 2.8 * pt, 1.4 * pt
        base_x, base_y = bx - ux * length, by - uy * length
        path = (f"M{ax_:.1f},{ay_:.1f} Q{cx:.1f},{cy:.1f} {base_x:.1f},{base_y:.1f}" if rad else
                f"M{ax_:.1f},{ay_:.1f} L{base_x:.1f},{base_y:.1f}")
        alpha = 0.6 if entered else 0.35
        out.append(f'<g opacity="{alpha}"><path d="{path}" fill="none" stroke="{_EDGE}" stroke-width="{0.6 * pt:.2f}"/>'
                   f'<path d="M{bx:.1f},{by:.1f} L{base_x - uy * half:.1f},{base_y + ux * half:.1f} '
                   f'L{base_x + uy * half:.1f},{base_y - ux * half:.1f} Z" fill="{_EDGE}"/></g>')

    for title, vs in columns(variables):
        x, _, w, _ = boxes[vs[0].name]
        head, _, sub = title.partition(": ")
        lines = [head] + ([sub] if sub else [])
        y = Y(top + 0.5) - 9 * pt * 0.3
        for i, line in enumerate(reversed(lines)):
            out.append(text(X(x + w / 2), y - i * 9 * pt * 1.3, line, 9, anchor="middle", weight="bold",
                            color="#2F3B4C", baseline="auto"))

    for v in variables:
        x, y, w, h = boxes[v.name]
        face, edge, lw, soft, head, is_diag = _box_style(v, marginals, w)
        observed = marginals.observed.get(v.name)
        dash = f' stroke-dasharray="{3.7 * lw * pt:.1f},{1.6 * lw * pt:.1f}"' if soft else ""
        out.append(f'<rect x="{X(x):.1f}" y="{Y(y + h):.1f}" width="{w * sx:.1f}" height="{h * sy:.1f}" '
                   f'rx="{0.25 * sx:.1f}" ry="{0.25 * sy:.1f}" fill="{face}" stroke="{edge}" '
                   f'stroke-width="{lw * pt:.2f}"{dash}/>')
        out.append(text(X(x + 0.2), Y(y + h - HEADER / 2), head.replace("\\$", "$"), 8.4 if is_diag else 7.2,
                        weight="bold", color=_OBSERVED_EDGE if observed else "#1F2A37"))
        size_pt = 7.6 if is_diag else 6.6
        for state, p, row_mid, row, bar_x, bar_w, color, hit in _bars(v, marginals, (x, y, w, h)):
            bar_y, bar_h = Y(row_mid + row * 0.32), row * 0.64 * sy
            out.append(text(X(bar_x - 0.15), Y(row_mid), str(state).replace("_", " "), size_pt, anchor="end",
                            weight="bold" if hit else "normal"))
            out.append(f'<rect x="{X(bar_x):.1f}" y="{bar_y:.1f}" width="{bar_w * sx:.1f}" height="{bar_h:.1f}" '
                       f'fill="white" stroke="#C9D2DE" stroke-width="{0.4 * pt:.2f}"/>')
            out.append(f'<rect x="{X(bar_x):.1f}" y="{bar_y:.1f}" width="{bar_w * sx * float(np.clip(p, 0, 1)):.1f}" '
                       f'height="{bar_h:.1f}" fill="{color}"/>')
            out.append(text(X(bar_x + bar_w + 0.12), Y(row_mid), f"{p:.2f}", size_pt))

    out.append(text(pad, pad + title_px / 2, _title(marginals), 10))
    out.append(text(X(right), Y(-0.6), f"{marginals.model.short}. {DISCLAIMER}", 6.5, anchor="end",
                    color="#5B6675", baseline="hanging"))
    out.append("</svg>")
    return "\n".join(out)
