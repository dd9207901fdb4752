"""Rendering a computed report: HTML from a :class:`~bmes_bayes.report.Report` record, never from the model.

Everything here reads results that :mod:`bmes_bayes.report.build` computed once: the sections are built from the
results' own frames (a compact table, the verdict, the result's own ``plot``), the page is a Jinja2 template
(autoescaped), figures are embedded as base64 PNG (the network as SVG) and the CSS inline. No external URL is
referenced and a Content-Security-Policy forbids loading any, so the file reads the same offline, mailed or archived.
matplotlib and jinja2 are imported when a report is rendered.
"""

from __future__ import annotations

import base64
import html
import json
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..display import DISCLAIMER
from ._aside import aside

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .build import Report

__all__ = ["Figure", "Section", "render_html", "render_sections", "render_figures", "render_figure",
           "result_section", "alerts_section", "workup_section", "next_test_section", "tornado_section",
           "OPTIONAL_SECTIONS", "STAGE_TITLES", "TEMPLATE_DIR", "PALETTE_COLOURS", "PNG_COMPRESSION", "TOP_ROWS"]

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"

#: Where optional sections go, in order, between the posterior and the network drawing: what must not be missed,
#: how the answer was reached, what to do next, and how far the answer rests on uncertain numbers.
OPTIONAL_SECTIONS: tuple[tuple[str, str], ...] = (
    ("alerts", "Can't-miss alerts"),
    ("workup", "The work-up, stage by stage"),
    ("next_test", "Which test next"),
    ("tornado", "What the answer is sensitive to"),
)

#: Colours kept in each embedded PNG (the most frequent ones; see :func:`render_figure`).
PALETTE_COLOURS = 64

#: zlib level of the embedded PNGs: 7 is within 8% of the smallest file (level 9, Pillow's ``optimize``) at a tenth
#: of its time (a report's six figures: about 0.03 s instead of 0.25 s).
PNG_COMPRESSION = 7

#: Rows shown in the tables (and bars in the plots) of the tornado and which-test-next sections.
TOP_ROWS = 12


@dataclass(frozen=True)
class Figure:
    """An image embedded in the report: a PNG (``mime`` ``image/png``) or an SVG document (``image/svg+xml``)."""

    data: bytes
    alt: str
    caption: str = ""
    mime: str = "image/png"

    @property
    def png(self) -> bytes:
        """The image's bytes, when it is a PNG (a :exc:`ValueError` otherwise)."""
        if self.mime != "image/png":
            raise ValueError(f"this figure is {self.mime}, not a PNG")
        return self.data

    @property
    def data_uri(self) -> str:
        """The image as a ``data:`` URI, for an ``<img src>`` in a self-contained report."""
        return f"data:{self.mime};base64," + base64.b64encode(self.data).decode("ascii")


@dataclass(frozen=True)
class Section:
    """One optional section: a heading, an intro sentence, a trusted HTML body and figures.

    ``body`` must already be safe HTML (a result's own escaped ``to_html()``); everything else is escaped by the
    template.
    """

    id: str
    title: str
    body: str
    intro: str = ""
    figures: tuple[Figure, ...] = ()



STAGE_TITLES = {"history": "History", "examination": "Examination", "xray_and_labs": "X-ray and laboratory tests",
                "mri": "MRI", "immediate_checks": "Immediate checks (joint aspirate)",
                "followup": "Follow-up (3-6 months)", "diagnosis": "Diagnosis", "": "Other"}


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["pct"] = lambda x: f"{100 * float(x):.1f}%"
    env.filters["prob"] = lambda x: f"{float(x):.3f}"
    env.filters["label"] = lambda s: str(s).replace("_", " ")
    return env


def render_figure(result: Any, *, size: tuple[float, float], alt: str, caption: str = "", dpi: int = 110,
                  options: Mapping[str, Any] | None = None) -> Figure:
    """``result.plot(ax=..., **options)`` on a fresh Agg figure (no pyplot state), as a compact PNG.

    The figure is drawn once, at ``dpi`` on a white ground, straight into Agg's pixel buffer (no intermediate PNG);
    :func:`_palette_png` then keeps its :data:`PALETTE_COLOURS` most frequent colours. No timestamp or software tag
    is written, so the same figure gives the same bytes.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=size, dpi=dpi, layout="constrained", facecolor="white")
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    result.plot(ax=ax, **dict(options or {}))
    canvas.draw()  # one pass: the layout engine runs at the start of the draw (savefig would draw twice)
    return Figure(_palette_png(np.asarray(canvas.buffer_rgba())[..., :3]), alt=alt, caption=caption)


def _palette_png(rgb: "np.ndarray") -> bytes:
    """An ``(height, width, 3)`` uint8 image as a PNG of its :data:`PALETTE_COLOURS` most frequent colours.

    Every other pixel is mapped to the nearest of them (squared RGB distance, ties to the more frequent colour)
    without dithering. A plot's flat colours are its most frequent ones, so they survive exactly (median cut would
    merge them); only anti-aliasing shades are rounded, and the file is about a third of the size (compressed at
    zlib level :data:`PNG_COMPRESSION`). The distinct colours are found by hashing (``pandas.factorize``, linear
    time) rather than by sorting every pixel; ties in frequency go to the colour with the smaller ``0xRRGGBB`` code,
    so the palette depends only on the pixels.
    """
    import numpy as np
    import pandas as pd
    from PIL import Image

    height, width = rgb.shape[:2]
    px = rgb.reshape(-1, 3)
    codes = (px[:, 0].astype(np.uint32) << 16) | (px[:, 1].astype(np.uint32) << 8) | px[:, 2]
    index, distinct = pd.factorize(codes, sort=False)  # index[i]: which distinct colour pixel i has
    counts = np.bincount(index, minlength=len(distinct))
    order = np.argsort(distinct, kind="stable")        # distinct colours by code, then by frequency (stable)
    keys = np.asarray(distinct, dtype=np.int64)[order]
    colours = np.stack([(keys >> 16) & 255, (keys >> 8) & 255, keys & 255], axis=1)
    palette = colours[np.argsort(-counts[order], kind="stable")[:PALETTE_COLOURS]]
    # nearest palette colour of every distinct colour (exact, unlike Pillow's quantize(palette=), which rounds)
    nearest = np.empty(len(distinct), dtype=np.uint8)
    nearest[order] = ((colours[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    small = Image.fromarray(nearest[index].reshape(height, width), mode="P")
    small.putpalette(palette.astype(np.uint8).ravel().tolist())
    out = io.BytesIO()
    small.save(out, format="PNG", compress_level=PNG_COMPRESSION)
    return out.getvalue()


def result_section(key: str, result: Any, *, title: str | None = None, intro: str = "",
                   figure_size: tuple[float, float] = (7.5, 4.2)) -> Section:
    """An optional section from any result with ``to_html()`` (and, if it has one, ``plot(ax=...)``).

    Phase-2 hook: the tornado, next-test and alert results plug in here unchanged.
    """
    titles = dict(OPTIONAL_SECTIONS)
    if key not in titles:
        raise ValueError(f"unknown section {key!r}; expected one of {', '.join(titles)}")
    figures: tuple[Figure, ...] = ()
    if callable(getattr(result, "plot", None)):
        figures = (render_figure(result, size=figure_size, alt=title or titles[key]),)
    return Section(id=key, title=title or titles[key], body=result.to_html(), intro=intro, figures=figures)


# ---------------------------------------------------------------------------------------------- sections
# Each builder renders one result (computed elsewhere) as a Section: a compact table from the result's to_frame(),
# its verdict, and its own plot. Nothing is computed here.

def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _label(value: object) -> str:
    return str(value).replace("_", " ")


def _table(rows: Sequence[Sequence[str]], header: Sequence[str], *, numeric: Sequence[int] = (),
           row_classes: Sequence[str] | None = None, css: str = "") -> str:
    """An HTML table from cells that are already escaped HTML; ``numeric`` columns right-aligned."""
    num = set(numeric)

    def cell(tag: str, i: int, content: str, extra: str = "") -> str:
        cls = ' class="num"' if i in num else ""
        return f"<{tag}{extra}{cls}>{content}</{tag}>"

    head = "".join(cell("th", i, h, ' scope="col"') for i, h in enumerate(header))
    body = []
    for r, cells in enumerate(rows):
        cls = row_classes[r] if row_classes else ""
        attr = f' class="{cls}"' if cls else ""
        body.append(f"<tr{attr}>" + "".join(cell("td", i, c) for i, c in enumerate(cells)) + "</tr>")
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _p(x: float) -> str:
    """A probability for a table: 3 decimals, or '<0.001' (never a misleading 0.000)."""
    x = float(x)
    return "&lt;0.001" if 0 < x < 0.0005 else f"{x:.3f}"


def alerts_section(check: Any) -> Section:
    """The can't-miss section from an :class:`~bmes_bayes.teaching.AlertCheck`.

    Every can't-miss diagnosis against its threshold, with the reasoning of those that fire.
    """
    frame = check.to_frame()
    title = dict(OPTIONAL_SECTIONS)["alerts"]
    if frame.empty:
        return Section(id="alerts", title=title, body=f"<p>{_esc(check.verdict)}</p>")
    rows, classes = [], []
    for r in frame.itertuples():
        rows.append([_esc(_label(r.diagnosis)), f"{r.threshold:g}", _p(r.probability),
                     f"{_p(r.lower)}&ndash;{_p(r.upper)}", f"{r.p_alert:.0%}",
                     "<strong>ALERT</strong>" if r.alert else "below threshold"])
        classes.append("alert" if r.alert else "")
    body = [f'<p class="verdict">{_esc(check.verdict)}</p>',
            _table(rows, ["Can't-miss diagnosis", "Threshold", "P", f"{check.level:.0%} interval",
                          "Fires in", "Status"], numeric=(1, 2, 3, 4), row_classes=classes, css="alerts")]
    fired = [r for r in frame.itertuples() if r.alert]
    if fired:
        items = "".join(f"<li><strong>{_esc(_label(r.diagnosis))}</strong>: {_esc(r.reasoning)}</li>" for r in fired)
        body.append('<p class="label-line">Why each alert matters and how to exclude it:</p>'
                    f'<ul class="reasons">{items}</ul>')
    intro = ("A can't-miss diagnosis is flagged whenever its probability reaches its testing threshold, whatever its "
             "rank (thresholds and reasoning: priors/teaching/cant_miss.yaml, expert judgement after Pauker and "
             f"Kassirer 1980). \"Fires in\" is the share of the {check.n_samples} parameter sets drawn from the priors "
             "in which the alert would fire.")
    n = len(frame)
    figure = render_figure(check, size=(7.5, 0.45 * max(n, 3) + 1.6), alt=(
        "Each can't-miss diagnosis: its probability with credible interval against its alert threshold, log scale"))
    return Section(id="alerts", title=title, body="\n".join(body), intro=intro, figures=(figure,))


def workup_section(work: Any) -> Section:
    """The work-up section from a :class:`~bmes_bayes.teaching.Workup`: the posterior after each stage."""
    frame = work.to_frame()
    order = list(work.final.to_frame()["state"])
    stages = list(zip(work.stages, range(1, len(work.stages) + 1)))
    header = ["Diagnosis"] + [f"{i}. {_esc(STAGE_TITLES.get(st, _label(st)))}" for st, i in stages]
    cells = {(r.diagnosis, r.stage_index): r for r in frame.itertuples()}
    rows = []
    for d in order:
        row = [_esc(_label(d))]
        for _, i in stages:
            r = cells[(d, i)]
            text = f"{r.probability:.2f} <small>({r.lower:.2f}&ndash;{r.upper:.2f})</small>"
            row.append(f'<span class="alert">{text} !</span>' if r.alert else text)
        rows.append(row)
    top, p = work.final.top
    first = work.posteriors[0][top]
    intro = (f"P(diagnosis | evidence so far) after each stage of the case, with {work.level:.0%} bands over the same "
             f"{work.n_samples} parameter sets at every stage (seed {work.seed}); ! marks a can't-miss alert. "
             f"{_label(top)} goes from {first:.2f} after the first stage to {p:.2f} at the end.")
    figure = render_figure(work, size=(8.6, 4.6), alt=(
        "Work-up trajectory: each diagnosis across the stages, with credible bands for the most probable and red "
        "rings where a can't-miss alert fires"))
    return Section(id="workup", title=dict(OPTIONAL_SECTIONS)["workup"],
                   body=_table(rows, header, numeric=tuple(range(1, len(stages) + 1)), css="workup"),
                   intro=intro, figures=(figure,))


def next_test_section(nxt: Any, *, limit: int = TOP_ROWS) -> Section:
    """The which-test-next section from a :class:`~bmes_bayes.teaching.NextTest`.

    The best candidates and what each result of the best one would do.
    """
    frame = nxt.to_frame()
    frame = frame[~frame["observed"]].head(limit)
    title = dict(OPTIONAL_SECTIONS)["next_test"]
    intro = (f"Findings and history questions not yet known, ranked by the expected reduction of the uncertainty "
             f"(entropy) of the diagnosis, now {nxt.entropy:.2f} bits, and by the expected change of the can't-miss "
             f"probabilities ({', '.join(_label(c) for c in nxt.cant_miss) or 'none set'}). Exact, on the point model.")
    if frame.empty:
        return Section(id="next_test", title=title, body="<p>Nothing is left to observe.</p>", intro=intro)
    rows = [[str(r.rank), f"<code>{_esc(r.finding)}</code>", _esc(STAGE_TITLES.get(r.stage, _label(r.stage))),
             f"{r.entropy_reduction:.3f}", f"{r.cant_miss_change:.3f}"] for r in frame.itertuples()]
    body = [_table(rows, ["Rank", "Test or question", "Stage", "Entropy reduction (bits)", "Can't-miss change"],
                   numeric=(0, 3, 4), css="next-test")]
    best = nxt.best
    out = nxt.outcomes[nxt.outcomes["finding"] == best]
    lines = []
    for state, sub in out.groupby("state", sort=False):
        sub = sub.reindex(sub["change"].abs().sort_values(ascending=False).index).head(3)
        moves = ", ".join(f"{_esc(_label(r.diagnosis))} {r.probability - r.change:.2f}&nbsp;&rarr;&nbsp;"
                          f"{r.probability:.2f}" for r in sub.itertuples())
        lines.append(f"<li>if <code>{_esc(best)}={_esc(state)}</code> (P {sub['p_state'].iloc[0]:.2f} now): "
                     f"{moves}</li>")
    body.append(f'<p class="label-line">What each result of the best candidate, <code>{_esc(best)}</code>, would do '
                f'to the most affected diagnoses:</p><ul class="outcomes">{"".join(lines)}</ul>')
    figure = render_figure(nxt, size=(7.5, 0.3 * max(len(frame), 3) + 1.7), options={"n": limit}, alt=(
        f"Which test next: expected entropy reduction of the best {len(frame)} candidates (bars) and expected "
        "change of the can't-miss probabilities (diamonds)"))
    return Section(id="next_test", title=title, body="\n".join(body), intro=intro, figures=(figure,))


def tornado_section(one_way: Any, *, limit: int = TOP_ROWS) -> Section:
    """The tornado section from a :class:`~bmes_bayes.sensitivity.OneWay`.

    The parameters whose plausible range moves the answer most.
    """
    full = one_way.to_frame()
    frame = full.head(limit)
    target = one_way.target_state
    rows, classes = [], []
    for r in frame.itertuples():
        flip = [f"{_esc(_label(t))} at the {end} end" for t, end in ((r.top_low, "low"), (r.top_high, "high"))
                if t != one_way.point_top]
        span = f"{r.plausible_low:.3g}&ndash;{r.plausible_high:.3g} <small>({r.x0:.3g})</small>"
        rows.append([_esc(r.parameter), span, _p(r.p_low), _p(r.p_high), f"{r.swing:.3f}", "; ".join(flip) or "no"])
        classes.append("flip" if flip else "")
    intro = (f"P({_label(target)} | evidence) = {one_way.point:.2f} under the point model. Each uncertain parameter "
             f"is moved alone to both ends of its {one_way.plausible:.0%} plausible range (the rest of its row co-varied "
             f"proportionally), the others kept at their point values; the {len(frame)} with the largest swing of the "
             f"{len(full)} that can move this answer.")
    body = [f'<p class="verdict">{_esc(one_way.verdict)}</p>',
            _table(rows, ["Parameter", f"{one_way.plausible:.0%} range (point)", "P at low end", "P at high end",
                          "Swing", "First place changes?"], numeric=(1, 2, 3, 4), row_classes=classes,
                   css="tornado")]
    figure = render_figure(one_way, size=(8.6, 0.32 * max(len(frame), 3) + 1.8), options={"n": limit}, alt=(
        f"Tornado: P({_label(target)} | evidence) at the low and high end of each parameter's plausible range, "
        "widest on top; the line is the point model"))
    return Section(id="tornado", title=dict(OPTIONAL_SECTIONS)["tornado"], body="\n".join(body), intro=intro,
                   figures=(figure,))


# ---------------------------------------------------------------------------------------------- the page

#: The section builder of each analysis result a report holds (see :attr:`Report.analyses`).
SECTION_BUILDERS = {"alerts": alerts_section, "workup": workup_section, "next_test": next_test_section,
                    "tornado": tornado_section}


def _section_keys(report: "Report") -> list[str]:
    return [key for key, _ in OPTIONAL_SECTIONS if key in report.analyses or key in report.given]


def render_sections(report: "Report", keys: Sequence[str] | None = None) -> dict[str, Section]:
    """The optional sections of ``report``, in the order of :data:`OPTIONAL_SECTIONS`.

    An analysis result the report computed (:attr:`Report.analyses`) is shown by its own builder
    (:func:`alerts_section` and the others); a section given to :func:`~bmes_bayes.report.build_report` is used as
    it is when it is a :class:`Section`, else through :func:`result_section`.

    Parameters
    ----------
    report : Report
    keys : sequence of str, optional
        Only these sections (default: every one the report has).

    Returns
    -------
    dict
        ``id -> Section``.
    """
    out: dict[str, Section] = {}
    for key in _section_keys(report):
        if keys is not None and key not in keys:
            continue
        if key in report.analyses:
            out[key] = SECTION_BUILDERS[key](report.analyses[key])
        elif key in report.given:
            given = report.given[key]
            out[key] = given if isinstance(given, Section) else result_section(key, given)
    return out


def render_figures(report: "Report") -> dict[str, Figure]:
    """The figures of the fixed sections: the posterior (its result's own ``plot``) and the network.

    The network is written as SVG by :func:`bmes_bayes.plotting.network_svg`, the same drawing as
    ``Marginals.plot`` (:func:`~bmes_bayes.plotting.draw_network`) with its text drawn by the browser: its 230
    labels and numbers made it the slowest figure to draw with matplotlib (about 0.5 s, against 3 ms).

    Parameters
    ----------
    report : Report

    Returns
    -------
    dict
        ``"posterior"`` and ``"network"`` -> :class:`Figure`.
    """
    from ..plotting.network import network_svg

    n = report.uncertainty.n_samples
    return {
        "posterior": render_figure(report.uncertainty, size=(7.5, 4.2), alt=(
            f"Posterior probability of each diagnosis with its {report.uncertainty.level:.0%} credible interval "
            f"over {n} parameter sets")),
        "network": Figure(network_svg(report.marginals, size=(16.0, 10.0), dpi=90).encode("utf-8"), alt=(
            "The network: context, risk factors, diagnosis and findings, each with its posterior as bars; "
            "observed findings in amber"), mime="image/svg+xml"),
    }


def _figure_data(f: Figure) -> dict:
    return {"data": base64.b64encode(f.data).decode("ascii"), "alt": f.alt, "caption": f.caption, "mime": f.mime}


def _figure(d: dict) -> Figure:
    return Figure(base64.b64decode(d["data"]), d["alt"], d["caption"], d["mime"])


def _encode(part: "tuple[dict[str, Figure], dict[str, Section]]") -> bytes:
    """The forked renderer's half of a report as JSON (figures' bytes in base64): what :func:`_decode` reads."""
    figures, sections = part
    return json.dumps({
        "figures": {k: _figure_data(f) for k, f in figures.items()},
        "sections": {k: {"id": s.id, "title": s.title, "body": s.body, "intro": s.intro,
                         "figures": [_figure_data(f) for f in s.figures]} for k, s in sections.items()},
    }).encode("utf-8")


def _decode(data: bytes) -> "tuple[dict[str, Figure], dict[str, Section]]":
    """The inverse of :func:`_encode`."""
    d = json.loads(data)
    return ({k: _figure(f) for k, f in d["figures"].items()},
            {k: Section(s["id"], s["title"], s["body"], s["intro"], tuple(_figure(f) for f in s["figures"]))
             for k, s in d["sections"].items()})


def render_html(report: "Report", *, parallel: bool = False) -> str:
    """The whole report as one self-contained HTML document (UTF-8 text), marked as generated by its command.

    Parameters
    ----------
    report : Report
    parallel : bool, default False
        Render the fixed figures (:func:`render_figures`: the posterior and the network) and the first half of the
        optional sections in a forked child process while this one renders the other half, when that is possible
        and useful (see :mod:`bmes_bayes.report._aside`); otherwise one after the other. The document is the same
        either way.

    Returns
    -------
    str
    """
    if parallel:  # imported before the fork, so that the child inherits them instead of importing them again
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401
        import PIL.PngImagePlugin  # noqa: F401

    # the child: the fixed figures and the first half of the sections (about half the drawing); here, the rest
    keys = [] if "sections" in report.__dict__ else _section_keys(report)  # sections already rendered are kept
    theirs, mine = keys[:len(keys) // 2], keys[len(keys) // 2:]
    with aside(lambda: (render_figures(report), render_sections(report, theirs)), _encode, _decode,
               fork=parallel) as child:
        done = render_sections(report, mine)
        template = _environment().get_template("report.html.j2")
        figures, done_aside = child.result()
    done.update(done_aside)
    sections = [done[key] for key in keys] if keys else list(report.sections.values())
    frame = report.uncertainty.to_frame()
    target = report.uncertainty.target
    rows = [{"state": r[target], "point": r["point"], "lower": r["lower"], "upper": r["upper"],
             "p_top": r["p_top"]} for r in frame.to_dict("records")]
    return template.render(
        report=report, rows=rows, figures=figures, sections=sections,
        disclaimer=DISCLAIMER, level=report.uncertainty.level, n_samples=report.uncertainty.n_samples,
        seed=report.uncertainty.seed, threshold=report.uncertainty.threshold, verdict=report.uncertainty.verdict,
        target=target, stage_titles=STAGE_TITLES,
    )
