"""Views that draw (layer 10): each takes a computed result, or its frame, and returns the Axes; none queries a model.

- :mod:`~bmes_bayes.plotting.charts`: the charts of every result, frame in, Axes out;
- :mod:`~bmes_bayes.plotting.network`: the network drawn from a :class:`~bmes_bayes.results.Marginals` (on an Axes,
  or as SVG);
- :mod:`~bmes_bayes.plotting._axes`: :func:`literal` (labels as written) and :func:`new_axes`.

Every name importable from the module ``bmes_bayes.plotting`` before it became this package stays so. matplotlib
is imported when a plot is drawn, never on import.
"""

from __future__ import annotations

from ._axes import _literals, literal, new_axes  # noqa: F401
from .charts import (_diagnosis_colors, admissible_plot, alert_plot, atlas_plot, bar_posterior,  # noqa: F401
                     fagan_plot, function_plot, interval_plot, next_test_plot, reliability_plot, sobol_plot,
                     tornado_plot, trajectory_plot, tuning_plot, what_if_plot, woe_plot)
from .network import columns, draw_network, layout, network_svg

__all__ = ["literal", "new_axes", "bar_posterior", "interval_plot", "trajectory_plot", "woe_plot", "what_if_plot",
           "fagan_plot", "next_test_plot", "alert_plot", "tornado_plot", "function_plot", "admissible_plot",
           "tuning_plot", "sobol_plot", "reliability_plot", "atlas_plot", "draw_network", "network_svg", "layout",
           "columns"]
