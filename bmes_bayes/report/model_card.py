"""The model card: the hand-written structural assumptions plus every parameter, generated from the prior files.

The prose (purpose, structure, what it assumes and where that is false, known misses) lives in one place,
``networks/MODEL_CARD.md``, beside the network file, and is copied verbatim. Every parameter (value, uncertainty
as a distribution with its central 95% interval, source or expert judgement, and the file and line it comes from)
is generated from ``priors/`` so that it can never drift from what the model uses.

>>> import bmes_bayes
>>> from bmes_bayes.report.model_card import model_card_text
>>> text = model_card_text(bmes_bayes.load_model())
>>> "## Every parameter" in text and "What the structure assumes" in text
True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..spec import Z95, OddsRatioPrior, RowPrior

if TYPE_CHECKING:  # pragma: no cover
    from ..model import BmesModel

__all__ = ["model_card_text", "hand_written_card", "parameter_rows", "write_model_card", "DEFAULT_PATH"]

DEFAULT_PATH = Path("reports") / "model_card.md"
RELIABILITY_PNG = "model_card_reliability.png"   # written beside the card, whatever the card's own name
HAND_WRITTEN = "MODEL_CARD.md"


def hand_written_card(model: "BmesModel") -> Path | None:
    """``MODEL_CARD.md`` beside the network file (None for a network without one)."""
    path = Path(model.network.path).resolve().parent / HAND_WRITTEN
    return path if path.is_file() else None


def _g(x: float) -> str:
    """A probability or odds ratio to 3 significant figures, without trailing noise."""
    return f"{float(x):.3g}"


def _text(text: object) -> str:
    """Free text from the model files as Markdown text, never markup.

    One line, and '<' written as '&lt;', so that no HTML tag, comment or autolink in a source or description reaches the
    rendered card ('<35 y' still reads '<35 y').
    """
    return " ".join(str(text).split()).replace("<", "&lt;")


def _cell(text: object) -> str:
    """Text for one Markdown table cell: as :func:`_text`, with pipes escaped."""
    return _text(text).replace("|", "\\|")


def _where(file: str, line: int | None) -> str:
    p = Path(file)
    return f"{p.parent.name}/{p.name}" + (f":{line}" if line else "")


def _row_parameter(p: RowPrior) -> tuple[str, str, str]:
    """(what, value, uncertainty) of a probability row."""
    given = ", ".join(f"{k}={v}" for k, v in p.given)
    what = ("base rate" + (f" given {given}" if given else "")) if p.kind == "base_rate" else (given or "(no parents)")
    focus = [p.focus] if p.focus is not None else list(range(len(p.states)))
    value = "; ".join(f"{p.states[i]} {_g(p.mean[i])}" for i in focus)
    if p.fixed:
        return what, value, "fixed (a logical constraint, no uncertainty)"
    focus = [i for i in focus if p.mean[i] > 0]  # structural zeros have no interval
    alpha = p.alpha
    total = float(alpha.sum())
    from scipy import special  # scipy.stats.beta.ppf's own function, bit for bit, without loading scipy.stats

    intervals = []
    for i in focus:
        lo, hi = special.betaincinv(alpha[i], total - alpha[i], np.array([0.025, 0.975]))
        intervals.append((p.states[i], lo, hi))
    if len(p.states) == 2:
        i = focus[0]
        dist = f"Beta({_g(alpha[i])}, {_g(total - alpha[i])}) for {p.states[i]}"
    else:
        dist = f"Dirichlet, concentration {_g(total)}"
    shown = "; ".join(f"{s} {_g(lo)}-{_g(hi)}" for s, lo, hi in intervals)
    stated = f" (stated range {_g(p.stated_range[0])}-{_g(p.stated_range[1])})" if p.stated_range else ""
    return what, value, f"{dist}; 95%: {shown}{stated}"


def _or_parameter(p: OddsRatioPrior) -> tuple[str, str, str]:
    what = f"odds ratio: {p.parent}={p.parent_state} on {p.target}"
    value = f"OR {_g(p.median)}"
    if p.fixed:
        return what, value, "fixed"
    lo, hi = np.exp(np.log(p.median) + np.array([-Z95, Z95]) * p.log_sd)
    stated = f" (stated range {_g(p.stated_range[0])}-{_g(p.stated_range[1])})" if p.stated_range else ""
    return what, value, f"log-normal, log-SD {_g(p.log_sd)}; 95%: {_g(lo)}-{_g(hi)}{stated}"


def parameter_rows(model: "BmesModel") -> list[dict[str, str]]:
    """One dict per parameter, in model order: node, parameter, value, uncertainty, provenance, where, expert_only."""
    rows = []
    for p in model.priors.parameters:
        what, value, unc = _row_parameter(p) if isinstance(p, RowPrior) else _or_parameter(p)
        prov = p.provenance
        text = []
        if prov.source:
            text.append(f"Source: {prov.source}")
        if prov.expert_judgement:
            text.append(f"Expert judgement: {prov.expert_judgement}")
        rows.append({"node": p.node, "parameter": what, "value": value, "uncertainty": unc,
                     "provenance": " ".join(text), "where": _where(prov.file, prov.line),
                     "expert_only": "yes" if prov.expert_only else "no"})
    return rows


def _md_table(frame, floatfmt: str = "{:.3f}") -> list[str]:
    """A DataFrame as Markdown table lines (cells escaped)."""
    cols = list(frame.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = [floatfmt.format(x) if isinstance(x, float) else str(x) for x in row]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return out


_VALIDATIONS: dict[str, object] = {}   # model digest -> its validation (a frozen result; the cases ship read-only)


def _shipped_validation(model: "BmesModel"):
    """The validation of ``model`` on the shipped case set.

    None when the set is not installed or does not fit this network (a user's own network). Computed once per model (by
    digest) in a process.
    """
    from ..exceptions import SpecError
    from ..validation import validate

    key = model.info.digest
    if key not in _VALIDATIONS:
        try:
            _VALIDATIONS[key] = validate(model)
        except SpecError:
            _VALIDATIONS[key] = None
    return _VALIDATIONS[key]


def validation_section(result, image: str | None = None) -> list[str]:
    """Markdown lines.

    The validation table (both halves, network and baselines), can't-miss recall with the alert burden, recall per
    diagnosis, and the reliability diagram (``image``, a path relative to the card).
    """
    s = result.summary()
    out = ["## Validation on published cases", "",
           "Generated by `bmes-bayes validate` on the case set in `validation/` (protocol, coding manual and screening "
           f"logs there): {s[s['model'] == 'network']['n'].sum()} published cases found by a written search, coded "
           "from their findings by coders blind to the diagnosis, and split once by a hash of the case id into a "
           "tuning half (changes to the network may be checked on it; the declared tempering was fitted on it) and "
           "a frozen half (scored and reported, never tuned on). Baselines in the same run: a flat prior, the "
           "network given context and risk factors only, and the network's own likelihoods combined as if the "
           "findings were independent.", ""]
    out += _md_table(s[["half", "model", "n", "top1", "top1_alt", "top3", "brier", "log_loss", "ece", "wrong_p90"]])
    out += ["", "*top1_alt* also counts an alternative the source leaves defensible; *ece* is the expected "
            "calibration error of the top probability (10 bins); *wrong_p90* counts wrong answers given with P >= 0.9.",
            "", "Can't-miss causes at their alert thresholds: recall on their own cases and burden (the share of other "
            "cases raising the same alert):", ""]
    out += _md_table(result.cant_miss())
    out += ["", "Recall per diagnosis (network):", ""]
    out += _md_table(result.recall())
    if image:
        out += ["", f"![Reliability of the top diagnosis on the tuning and frozen halves]({image})"]
    return out + [""]


def _read_hand_written(path: Path) -> str:
    """The hand-written card: a regular UTF-8 file of at most ``bmes_bayes.limits.MAX_FILE_BYTES`` bytes."""
    from .. import limits
    from .._read import FileRefused, read_text_limited
    from ..exceptions import Problem, SpecError

    try:
        return read_text_limited(path, limits.MAX_FILE_BYTES, what="model card")
    except FileRefused as exc:
        raise SpecError([Problem(str(path), None, exc.reason)], "model card") from None


def model_card_text(model: "BmesModel", *, validation=None, image: str | None = RELIABILITY_PNG) -> str:
    """The full model card as Markdown.

    The hand-written card verbatim, the validation on published cases (when the shipped case set fits the network), then
    provenance and every parameter.
    """
    info = model.info
    if validation is None:
        validation = _shipped_validation(model)
    hand = hand_written_card(model)
    out = [f"<!-- Generated by `bmes-bayes model-card` from networks/{HAND_WRITTEN}, the network file and "
           "priors/*.yaml. Do not edit: edit those and regenerate. -->", ""]
    if hand is not None:
        out += [_read_hand_written(hand).rstrip(), ""]
    else:
        out += [f"# Model card: {model.network.name}", "", _text(model.network.description), ""]
    if validation is not None:
        out += validation_section(validation, image)
    rows = parameter_rows(model)
    n_expert = sum(r["expert_only"] == "yes" for r in rows)
    t = model.priors
    if t.tempering != 1.0 and t.tempering_provenance is not None:
        out += ["## Declared calibration", "",
                f"Every finding's CPT rows are raised to the power {t.tempering:g} and renormalised "
                f"(`{_where(t.tempering_provenance.file, t.tempering_provenance.line)}`). "
                + _cell(t.tempering_provenance.text), ""]
    out += [
        "## Provenance of this card", "",
        "| | |", "|---|---|",
        f"| package | bmes-bayes {info.package_version} |",
        f"| network | {info.name} {_cell(info.network_version)}, sha256 `{model.network.digest}` |",
        f"| priors | sha256 `{model.priors.digest}` over {len(model.priors.files)} files |",
        f"| model | sha256 `{info.digest}` (network, priors and the can't-miss alert set together) |", "",
        "## Every parameter", "",
        f"{len(rows)} parameters; {n_expert} rest on expert judgement alone (no published figure), "
        f"{len(rows) - n_expert} cite a source. *Value* is what the model uses (a row's mean, an odds ratio's "
        "median). *Uncertainty* is the distribution `sensitivity` draws from, with its central 95% interval (for a "
        "row stated for one state, that state's Beta; for a full row, each state's Dirichlet marginal), and the "
        "range the prior file states where it states one. *From* is the prior file and line.", "",
    ]
    by_node: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_node.setdefault(r["node"], []).append(r)
    for v in model.network.variables:
        if v.name not in by_node:
            continue
        given = " | " + ", ".join(v.parents) if v.parents else ""
        out += [f"### `{v.name}` ({v.role.replace('_', ' ')}): P({_text(v.name + given)})", "",
                _cell(f"{v.description} States: {', '.join(v.states)}."), "",
                "| parameter | value | uncertainty | source / expert judgement | from |", "|---|---|---|---|---|"]
        for r in by_node[v.name]:
            out.append("| " + " | ".join(_cell(r[k]) for k in ("parameter", "value", "uncertainty", "provenance"))
                       + f" | `{r['where']}` |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def write_model_card(model: "BmesModel", path: str | Path = DEFAULT_PATH, *, overwrite: bool = False) -> Path:
    """Write :func:`model_card_text` to ``path`` atomically, refusing to replace a file unless ``overwrite``.

    The reliability diagram of the validation goes beside it as :data:`RELIABILITY_PNG`. Both targets are checked
    (:func:`bmes_bayes._io.check_target`) before the validation runs.

    Parameters
    ----------
    model : BmesModel
        The model the card describes.
    path : str or Path, default "reports/model_card.md"
        Where to write the Markdown card.
    overwrite : bool, default False
        Replace existing files.

    Returns
    -------
    Path
        The path of the card written.
    """
    from .._io import check_target, write_output

    path = check_target(path, overwrite=overwrite)
    png = check_target(path.with_name(RELIABILITY_PNG), overwrite=overwrite)
    result = _shipped_validation(model)
    image = None
    if result is not None:
        write_output(png, result.reliability_png(), overwrite=overwrite)
        image = png.name
    return write_output(path, model_card_text(model, validation=result, image=image), overwrite=overwrite)
