"""What every plot shares: labels shown as written, and the Axes to draw on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["literal", "new_axes"]


def literal(text: object) -> str:
    r"""Text shown as written in a matplotlib label.

    Every ``$`` escaped, so that a name or title like ``$\\frac$`` is not parsed as mathtext (which fails when the
    figure is drawn). Every label built from a name, a state, a stage, a title or any other text a user gave goes
    through this function.

    Parameters
    ----------
    text : object
        Shown as ``str(text)``.

    Returns
    -------
    str
    """
    return str(text).replace("$", r"\$")


def _literals(values) -> list[str]:
    return [literal(v) for v in values]


def new_axes(ax: "Axes | None", size: tuple[float, float] = (6.0, 3.6)) -> "Axes":
    """``ax`` itself, or the Axes of a new figure.

    Parameters
    ----------
    ax : matplotlib Axes or None
    size : (float, float), default (6.0, 3.6)
        Size in inches of the new figure (pyplot, constrained layout) when ``ax`` is None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax
