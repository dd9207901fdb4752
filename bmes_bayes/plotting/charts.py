"""The charts of the results.

Each takes a result's frame (and labels) and returns the Axes it drew on; none sees a model or recomputes anything.
matplotlib is imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ._axes import _literals, literal, new_axes

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["bar_posterior", "interval_plot", "trajectory_plot", "woe_plot", "what_if_plot", "fagan_plot",
           "next_test_plot", "alert_plot", "tornado_plot", "function_plot", "admissible_plot", "tuning_plot",
           "sobol_plot", "reliability_plot", "atlas_plot"]


def bar_posterior(frame: pd.DataFrame, *, title: str, ax: "Axes | None" = None) -> "Axes":
    """Horizontal bars of ``frame`` (columns ``state, probability``), largest on top."""
    ax = new_axes(ax)
    data = frame.iloc[::-1]
    bars = ax.barh(_literals(data["state"]), data["probability"], color="#4C72B0")
    for bar, p in zip(bars, data["probability"]):
        ax.text(min(p + 0.01, 0.93), bar.get_y() + bar.get_height() / 2, f"{p:.2f}", va="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("posterior probability")
    ax.set_title(literal(title))
    return ax


def interval_plot(frame: pd.DataFrame, *, label: str, level: float, title: str, ax: "Axes | None" = None) -> "Axes":
    """Point estimates with credible intervals (columns ``label, point, lower, upper``), largest on top."""
    ax = new_axes(ax)
    data = frame.iloc[::-1].reset_index(drop=True)
    y = range(len(data))
    ax.hlines(y, data["lower"], data["upper"], color="#4C72B0", lw=3, alpha=0.6, label=f"{level:.0%} interval")
    ax.plot(data["point"], y, "o", color="#C44E52", label="point model")
    ax.set_yticks(list(y), _literals(data[label]))
    ax.set_xlim(0, 1)
    ax.set_xlabel("posterior probability")
    ax.set_title(literal(title), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return ax


# ---------------------------------------------------------------------------------------------- teaching views
def _diagnosis_colors(states) -> dict[str, object]:
    """One fixed colour per diagnosis (network order), so every teaching plot uses the same colours."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    return {s: cmap(i % 10) for i, s in enumerate(states)}


def trajectory_plot(frame: pd.DataFrame, *, states, diagnoses, level: float, title: str, bands: int = 3,
                    ax: "Axes | None" = None) -> "Axes":
    """Work-up trajectory from a long frame (``stage_index, stage, diagnosis, probability, lower, upper, alert``).

    One line per diagnosis across the stages, the credible band shaded for the ``bands`` most probable diagnoses at the
    last stage (more bands overlap into a blur), a red ring where a can't-miss alert fires.
    """
    ax = new_axes(ax, size=(8.0, 4.6))
    colors = _diagnosis_colors(states)
    stages = frame.drop_duplicates("stage_index").sort_values("stage_index")
    x = stages["stage_index"].to_numpy()
    last_stage = frame[frame["stage_index"] == x.max()].set_index("diagnosis")["probability"]
    banded = set(last_stage[list(diagnoses)].sort_values(ascending=False).index[:bands])
    for d in diagnoses:
        part = frame[frame["diagnosis"] == d].sort_values("stage_index")
        c = colors[d]
        if d in banded:
            ax.fill_between(part["stage_index"], part["lower"], part["upper"], color=c, alpha=0.15, lw=0)
        ax.plot(part["stage_index"], part["probability"], "-o", color=c, lw=2, ms=4, label=literal(d))
        flagged = part[part["alert"]]
        if len(flagged):
            ax.plot(flagged["stage_index"], flagged["probability"], "o", ms=11, mfc="none", mec="#C44E52", mew=1.6)
    # final values at the right edge (those of 0.05 or more, or alerted), nudged apart so that they never overlap
    alerted = set(frame[(frame["stage_index"] == x.max()) & frame["alert"]]["diagnosis"])
    placed: list[float] = []
    for d in last_stage[list(diagnoses)].sort_values(ascending=False).index:
        p = float(last_stage[d])
        if p < 0.05 and d not in alerted:
            continue
        y = min(p, placed[-1] - 0.04) if placed else p
        placed.append(y)
        ax.annotate(f"{p:.2f}", (x.max(), p), xytext=(x.max() + 0.12, y), textcoords="data", va="center",
                    fontsize=8, color=colors[d])
    ax.plot([], [], "o", ms=11, mfc="none", mec="#C44E52", mew=1.6, label="can't-miss alert")
    ax.fill_between([], [], [], color="grey", alpha=0.25, label=f"{level:.0%} band (top {bands})")
    ax.set_xticks(x, [literal(f"{i}\n{s.replace('_', ' ')}") for i, s in zip(x, stages["stage"])])
    ax.set_xlim(x.min() - 0.3, x.max() + 0.5)
    ax.set_ylim(min([0.0] + [y - 0.02 for y in placed]), 1)
    ax.set_ylabel("P(diagnosis | evidence so far)")
    ax.set_xlabel("work-up stage (evidence accumulates)")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(literal(title), fontsize=10)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    return ax


def woe_plot(frame: pd.DataFrame, *, unit: str, title: str, ax: "Axes | None" = None) -> "Axes":
    """Diverging bars of weight of evidence (columns ``variable, state, value, lr``), first item on top.

    Right (green) speaks for the hypothesis, left (red) against.
    """
    import numpy as np

    ax = new_axes(ax, size=(7.5, 0.45 * max(len(frame), 3) + 1.6))
    data = frame.iloc[::-1].reset_index(drop=True)
    values = data["value"].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    span = max(float(np.abs(finite).max()) if finite.size else 1.0, 1.0) * 1.35
    shown = np.clip(values, -span, span)
    colors = ["#55A868" if v > 0 else "#C44E52" for v in values]
    y = np.arange(len(data))
    ax.barh(y, shown, color=colors, alpha=0.85)
    for yi, v, s, lr in zip(y, values, shown, data["lr"]):
        text = (f"{v:+.1f}" if np.isfinite(v) else ("+inf" if v > 0 else "-inf")) + f"  (LR {lr:.3g})"
        ax.text(s + (0.02 if s >= 0 else -0.02) * span, float(yi), text, va="center", ha="left" if s >= 0 else "right",
                fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(list(y), [literal(f"{v} = {s}") for v, s in zip(data["variable"], data["state"])], fontsize=8)
    ax.set_xlim(-span * 1.45, span * 1.45)
    ax.set_xlabel(f"weight of evidence ({unit}); right: for, left: against")
    ax.set_title(literal(title), fontsize=10)
    return ax


def what_if_plot(frame: pd.DataFrame, *, target: str, actual: float, ax: "Axes | None" = None) -> "Axes":
    """What-if dots (columns ``variable, state, observed, possible, p_target``).

    P(target) under each state of each observed item; the observed state is a filled diamond, alternatives open circles
    labelled with their state.
    """
    ax = new_axes(ax, size=(7.5, 0.5 * max(frame["variable"].nunique(), 3) + 1.6))
    variables = list(dict.fromkeys(frame["variable"]))[::-1]
    for yi, var in enumerate(variables):
        part = frame[(frame["variable"] == var) & frame["possible"]]
        ax.hlines(yi, part["p_target"].min(), part["p_target"].max(), color="#BBBBBB", lw=1)
        alternatives = part[~part["observed"]].sort_values("p_target")
        for r in part[part["observed"]].itertuples():
            ax.plot(r.p_target, yi, "D", color="black", ms=7, zorder=3)
        for n, r in enumerate(alternatives.itertuples()):
            ax.plot(r.p_target, yi, "o", mfc="white", mec="#4C72B0", ms=7, zorder=3)
            ax.annotate(literal(r.state), (r.p_target, yi), xytext=(0, 7 if n % 2 == 0 else -12),
                        textcoords="offset points", ha="center", fontsize=7, color="#4C72B0")
    ax.axvline(actual, color="black", lw=0.8, ls=":")
    ax.set_yticks(range(len(variables)), _literals(variables), fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.7, len(variables) - 0.3)
    ax.set_xlabel(literal(f"P({target}) if this one item had been different (diamond: as observed)"))
    ax.set_title(literal(f"What if? P({target}) under each state of each observed item"), fontsize=10)
    return ax


def fagan_plot(frame: pd.DataFrame, *, title: str, ax: "Axes | None" = None) -> "Axes":
    """Fagan nomogram from a likelihood-ratio frame (columns ``result, state, lr, pre_test, post_test``).

    Left axis: pre-test probability (reversed logit scale); middle: likelihood ratio (at half its log); right:
    post-test probability (logit scale). Pre-test, LR and post-test lie on one straight line, because
    logit(post) = logit(pre) + ln LR.
    """
    import numpy as np

    ax = new_axes(ax, size=(5.5, 6.5))

    def logit(p):
        p = np.clip(np.asarray(p, dtype=float), 1e-4, 1 - 1e-4)
        return np.log(p / (1 - p))

    probs = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999]
    lrs = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    top = float(logit(0.999))
    for x in (0, 1, 2):
        ax.vlines(x, -top, top, color="black", lw=1)
    for p in probs:
        ax.hlines(-logit(p), -0.04, 0, color="black", lw=0.8)
        ax.text(-0.06, -logit(p), f"{100 * p:g}", ha="right", va="center", fontsize=7)
        ax.hlines(logit(p), 2, 2.04, color="black", lw=0.8)
        ax.text(2.06, logit(p), f"{100 * p:g}", ha="left", va="center", fontsize=7)
    for lr in lrs:
        y = np.log(lr) / 2
        ax.hlines(y, 0.97, 1.03, color="black", lw=0.8)
        ax.text(1.05, y, f"{lr:g}", ha="left", va="center", fontsize=7)
    colors: dict[Any, str] = {"positive": "#C44E52", "negative": "#4C72B0"}
    for r in frame.itertuples():
        y0, y2 = -logit(r.pre_test), logit(r.post_test)
        ax.plot([0, 2], [y0, y2], "-", color=colors.get(r.result, "grey"), lw=1.6,
                label=literal(f"{r.result} ({r.state}): LR {r.lr:.3g}, post-test {r.post_test:.1%}"))
        ax.plot([0, 1, 2], [y0, (y0 + y2) / 2, y2], "o", color=colors.get(r.result, "grey"), ms=4)
    ax.text(0, top + 0.5, "pre-test\nprobability (%)", ha="center", fontsize=8)
    ax.text(1, top + 0.5, "likelihood\nratio", ha="center", fontsize=8)
    ax.text(2, top + 0.5, "post-test\nprobability (%)", ha="center", fontsize=8)
    pre = float(frame["pre_test"].iloc[0])
    ax.set_title(literal(f"Fagan nomogram: {title}\npre-test probability {pre:.1%}"), fontsize=10)
    ax.set_xlim(-0.6, 2.6)
    ax.set_ylim(-top - 0.5, top + 1.6)
    ax.axis("off")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.12), fontsize=7, frameon=False)
    return ax


def next_test_plot(frame: pd.DataFrame, *, entropy: float, ax: "Axes | None" = None) -> "Axes":
    """Which test next (columns ``finding, stage, entropy_reduction, cant_miss_change``).

    Bars of the expected entropy reduction in bits, best on top, with the expected can't-miss change as dots on a second
    axis.
    """
    import numpy as np

    ax = new_axes(ax, size=(7.5, 0.4 * max(len(frame), 3) + 1.6))
    data = frame.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(data))
    ax.barh(y, data["entropy_reduction"], color="#4C72B0", alpha=0.85, label="expected entropy reduction (bits)")
    ax.set_yticks(list(y), [literal(f"{f}  [{s.replace('_', ' ')}]") for f, s in zip(data["finding"], data["stage"])],
                  fontsize=8)
    ax.set_xlabel(f"expected reduction of the diagnosis entropy (bits; now {entropy:.2f})")
    ax.set_xlim(0, max(float(data["entropy_reduction"].max()) if len(data) else 0.0, 1e-3) * 1.15)
    twin = ax.twiny()
    twin.plot(data["cant_miss_change"], y, "D", color="#C44E52", ms=5, label="expected can't-miss change")
    twin.set_xlim(0, max(float(data["cant_miss_change"].max()) if len(data) else 0.0, 1e-3) * 1.15)
    twin.set_xlabel("expected absolute change of the can't-miss probabilities (red diamonds)", color="#C44E52",
                    fontsize=8)
    twin.tick_params(axis="x", colors="#C44E52", labelsize=8)
    ax.set_title("Which test next?", fontsize=10)
    return ax


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _power_of_ten(value: float, _pos: object = None) -> str:
    """A log axis' decade label as plain text, 10 with a superscript exponent (``10⁻⁴``), else the number.

    What matplotlib's default log labels show, without mathtext: parsing them costs about 0.1 s the first time in a
    process (building the mathtext grammar), more than the rest of the chart.
    """
    import math

    if value > 0:
        exponent = round(math.log10(value))
        if abs(value / 10.0 ** exponent - 1) < 1e-9:
            return "10" + str(exponent).translate(_SUPERSCRIPT)
    return f"{value:g}"


def alert_plot(frame: pd.DataFrame, *, level: float, title: str, ax: "Axes | None" = None) -> "Axes":
    """Can't-miss diagnoses (columns ``diagnosis, threshold, probability, lower, upper, alert``), first row on top.

    The probability as a dot with its credible interval, the threshold as a vertical bar, log scale; red rows fire.
    """
    import numpy as np

    ax = new_axes(ax, size=(7.5, 0.45 * max(len(frame), 3) + 1.4))
    data = frame.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(data))
    floor = 1e-4
    colors = ["#C44E52" if a else "#4C72B0" for a in data["alert"]]
    clip = lambda v: np.clip(np.asarray(v, dtype=float), floor, 1.0)  # noqa: E731
    ax.hlines(y, clip(data["lower"]), clip(data["upper"]), color=colors, lw=3, alpha=0.5,
              label=f"{level:.0%} interval")
    ax.scatter(clip(data["probability"]), y, color=colors, s=36, zorder=3, label="point model (red: alert fires)")
    ax.scatter(data["threshold"], y, marker="|", s=260, color="black", linewidths=2, zorder=4, label="threshold")
    for yi, p in zip(y, data["probability"]):
        ax.annotate(f"{p:.3f}" if p >= 1e-3 else f"{p:.0e}", (float(clip(p)), yi), xytext=(0, 7),
                    textcoords="offset points", ha="center", fontsize=7)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(_power_of_ten)
    ax.set_xlim(floor, 1.5)
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.set_yticks(list(y), [literal(d.replace("_", " ")) for d in data["diagnosis"]], fontsize=8)
    ax.set_xlabel("posterior probability (log scale)")
    ax.grid(axis="x", alpha=0.3, which="major")
    ax.set_title(literal(title), fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=7, frameon=False)
    return ax


def tornado_plot(frame: pd.DataFrame, *, point: float, title: str, ax: "Axes | None" = None) -> "Axes":
    """One bar per parameter from ``p_low`` to ``p_high``, widest on top.

    ``frame`` has columns ``parameter, p_low, p_high``; the point posterior is drawn as a vertical line.
    """
    ax = new_axes(ax, (7.0, max(2.5, 0.32 * len(frame) + 1.2)))
    data = frame.iloc[::-1].reset_index(drop=True)
    y = list(range(len(data)))
    lo = data[["p_low", "p_high"]].min(axis=1)
    width = (data["p_high"] - data["p_low"]).abs()
    up = data["p_high"] >= data["p_low"]
    ax.barh(y, width, left=lo, color=["#C44E52" if u else "#4C72B0" for u in up], alpha=0.8)
    ax.axvline(point, color="black", lw=1, label="point model")
    ax.set_yticks(y, _literals(data["parameter"]), fontsize=7)
    ax.set_xlabel("posterior probability (red: high end of the parameter raises it)")
    ax.set_title(literal(title), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def function_plot(curve: pd.DataFrame, *, x0: float, y0: float, xlabel: str, ylabel: str, title: str,
                  ax: "Axes | None" = None) -> "Axes":
    """A sensitivity function (columns ``x, probability``) with the current value marked."""
    ax = new_axes(ax)
    ax.plot(curve["x"], curve["probability"], color="#4C72B0", label="f(x)")
    ax.plot([x0], [y0], "o", color="#C44E52", label=f"x0 = {x0:.3g}")
    ax.set_xlabel(literal(xlabel), fontsize=8)
    ax.set_ylabel(literal(ylabel))
    ax.set_ylim(0, 1)
    ax.set_title(literal(title), fontsize=10)
    ax.legend(loc="best", fontsize=8)
    return ax


def admissible_plot(frame: pd.DataFrame, *, title: str, ax: "Axes | None" = None) -> "Axes":
    """Each parameter's admissible interval ``[admissible_low, admissible_high]`` over its ``x0`` (log scale), flips red."""
    import numpy as np

    ax = new_axes(ax, (7.0, max(2.5, 0.32 * len(frame) + 1.2)))
    data = frame.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(data))
    lo = np.clip(data["admissible_low"] / data["x0"], 1e-6, None)
    hi = np.clip(data["admissible_high"] / data["x0"], None, 1e6)
    flips = data["flips_below"] | data["flips_above"]
    ax.hlines(y, lo, hi, color=["#C44E52" if f else "#4C72B0" for f in flips], lw=4, alpha=0.8)
    ax.axvline(1.0, color="black", lw=1)
    ax.set_xscale("log")
    ax.set_yticks(list(y), _literals(data["parameter"]), fontsize=7)
    ax.set_xlabel("admissible value / current value (red: the top state changes at the end)")
    ax.set_title(literal(title), fontsize=10)
    return ax


def tuning_plot(frame: pd.DataFrame, *, title: str, ax: "Axes | None" = None) -> "Axes":
    """Arrows from ``x0`` to ``x_new`` per candidate change, smallest distance on top.

    The plausible range of a clinical parameter (``plausible_low``/``plausible_high``, when given) as a grey band behind
    its arrow. A log axis when odds ratios are among the changes, else the probability scale [0, 1].
    """
    ax = new_axes(ax, (7.0, max(2.5, 0.32 * len(frame) + 1.2)))
    data = frame.iloc[::-1].reset_index(drop=True)
    if "plausible_low" in data:
        ok = data["plausible_low"].notna() & data["plausible_high"].notna()
        if ok.any():
            ax.hlines([i for i in range(len(data)) if ok[i]], data.loc[ok, "plausible_low"],
                      data.loc[ok, "plausible_high"], color="#999999", lw=7, alpha=0.35, label="plausible range")
    for i, row in data.iterrows():
        ax.annotate("", xy=(row["x_new"], i), xytext=(row["x0"], i),
                    arrowprops={"arrowstyle": "->", "color": "#4C72B0"})
    ax.plot(data["x0"], range(len(data)), "o", color="#C44E52", label="current value")
    ax.plot(data["x_new"], range(len(data)), "|", color="#4C72B0", ms=9, label="value that reaches the target")
    ax.set_yticks(list(range(len(data))), _literals(data["parameter"]), fontsize=7)
    if "kind" in data and (data["kind"] == "odds_ratio").any():
        ax.set_xscale("log")
        ax.set_xlabel("parameter value (log scale)")
    else:
        ax.set_xlim(0, 1)
        ax.set_xlabel("parameter value (probability)")
    ax.set_title(literal(title), fontsize=10)
    if len(data):
        ax.legend(loc="best", fontsize=8)
    return ax


def sobol_plot(frame: pd.DataFrame, *, title: str, ax: "Axes | None" = None) -> "Axes":
    """Horizontal bars of first-order (S1) and total (ST) Sobol indices with their confidence intervals."""
    import numpy as np

    ax = new_axes(ax, (7.0, max(2.5, 0.4 * len(frame) + 1.2)))
    data = frame.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(data))
    h = 0.38
    ax.barh(y + h / 2, data["ST"], height=h, color="#C44E52", label="total (ST)",
            xerr=[data["ST"] - data["ST_low"], data["ST_high"] - data["ST"]], error_kw={"lw": 0.8})
    ax.barh(y - h / 2, data["S1"], height=h, color="#4C72B0", label="first order (S1)",
            xerr=[data["S1"] - data["S1_low"], data["S1_high"] - data["S1"]], error_kw={"lw": 0.8})
    ax.set_yticks(list(y), _literals(data["factor"]), fontsize=7)
    ax.set_xlabel("share of the variance")
    ax.set_title(literal(title), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def reliability_plot(frames: "dict[str, pd.DataFrame]", *, ece: "dict[str, float]", title: str,
                     ax: "Axes | None" = None) -> "Axes":
    """Reliability diagram.

    Per model, accuracy against mean confidence of the top probability in each bin (frames with columns ``confidence,
    accuracy, n``); marker area grows with the number of cases in the bin.
    """
    ax = new_axes(ax, (5.2, 4.6))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect calibration")
    colors = {"network": "#C44E52", "independent_findings": "#4C72B0", "context_risk": "#55A868"}
    for name, f in reversed(list(frames.items())):  # the first (the network) is drawn last, on top
        f = f[f["n"] > 0]
        ax.plot(f["confidence"], f["accuracy"], "-o", color=colors.get(name, "#8172B2"), lw=2.0 if name == "network" else 1.0,
                markersize=0, label=literal(f"{name} (ECE {ece.get(name, float('nan')):.3f})"))
        ax.scatter(f["confidence"], f["accuracy"], s=12 + 8 * f["n"], color=colors.get(name, "#8172B2"), alpha=0.6)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("probability of the top diagnosis (bin mean)")
    ax.set_ylabel("share where the top diagnosis was right")
    ax.set_title(literal(title), fontsize=10)
    ax.legend(loc="upper left", fontsize=7)
    return ax


def atlas_plot(frame: pd.DataFrame, variables, states, *, n: int, title: str, ax: "Axes | None" = None) -> "Axes":
    """Heat map of the point posterior, a row per evidence set and a column per state.

    ``frame`` is an atlas's long form; its first ``n`` evidence sets are drawn. A dot marks a fired can't-miss alert, a
    hatched row an impossible set.
    """
    import numpy as np

    sets = list(dict.fromkeys(frame["set"]))[:n]
    part = frame[frame["set"].isin(sets)]
    grid = part.pivot(index="set", columns="state", values="point").reindex(index=sets, columns=list(states))
    alert = part.pivot(index="set", columns="state", values="alert").reindex(index=sets, columns=list(states))
    first = part.drop_duplicates("set").set_index("set").reindex(sets)
    labels = [literal(", ".join("-" if pd.isna(first.at[s, v]) else str(first.at[s, v]) for v in variables) or s)
              for s in sets]
    ax = new_axes(ax, size=(1.0 + 0.55 * len(states), 1.2 + 0.28 * len(sets)))
    image = ax.imshow(grid.to_numpy(dtype=float), vmin=0, vmax=1, cmap="Blues", aspect="auto")
    rows, cols = np.nonzero(alert.fillna(False).to_numpy(dtype=bool))
    ax.scatter(cols, rows, s=18, color="#C44E52", label="can't-miss alert fires")
    ax.set_xticks(range(len(states)), _literals(states), rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(sets)), labels, fontsize=8)
    ax.set_ylabel(literal(" / ".join(map(str, variables))))
    ax.figure.colorbar(image, ax=ax, label="point posterior", shrink=0.8)
    if len(rows):
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), fontsize=8, frameon=False)
    ax.set_title(literal(title), fontsize=10)
    return ax
