"""Plots. Each consumes a result's frame and never recomputes anything; matplotlib is imported lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["bar_posterior", "new_axes"]


def new_axes(ax: "Axes | None", size: tuple[float, float] = (6.0, 3.6)) -> "Axes":
    """``ax`` itself, or the Axes of a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def bar_posterior(frame: pd.DataFrame, *, title: str, ax: "Axes | None" = None) -> "Axes":
    """Horizontal bars of ``frame`` (columns ``state, probability``), largest on top."""
    ax = new_axes(ax)
    data = frame.iloc[::-1]
    bars = ax.barh(data["state"], data["probability"], color="#4C72B0")
    for bar, p in zip(bars, data["probability"]):
        ax.text(min(p + 0.01, 0.93), bar.get_y() + bar.get_height() / 2, f"{p:.2f}", va="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("posterior probability")
    ax.set_title(title)
    return ax


def interval_plot(frame: pd.DataFrame, *, label: str, level: float, title: str, ax: "Axes | None" = None) -> "Axes":
    """Point estimates with credible intervals (columns ``label, point, lower, upper``), largest on top."""
    ax = new_axes(ax)
    data = frame.iloc[::-1].reset_index(drop=True)
    y = range(len(data))
    ax.hlines(y, data["lower"], data["upper"], color="#4C72B0", lw=3, alpha=0.6, label=f"{level:.0%} interval")
    ax.plot(data["point"], y, "o", color="#C44E52", label="point model")
    ax.set_yticks(list(y), data[label])
    ax.set_xlim(0, 1)
    ax.set_xlabel("posterior probability")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return ax
