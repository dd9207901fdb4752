"""The posterior marginal of every variable given the evidence (:class:`Marginals`).

What :meth:`bmes_bayes.BmesModel.marginals` computes and :func:`bmes_bayes.plotting.draw_network` draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..display import ModelInfo, ResultDisplay, read_only

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

    from ..spec import Variable

__all__ = ["Marginals"]


@dataclass(frozen=True, eq=False)
class Marginals(ResultDisplay):
    """Posterior marginal of every variable given the evidence: what :meth:`BmesModel.draw` shows.

    Attributes
    ----------
    variables : tuple of Variable
        The network's variables (name, states, parents, role, stage), in network order.
    probabilities : dict
        ``variable -> numpy array`` of P(variable = state | evidence), in the order of its states.
    observed : dict
        Hard evidence, ``variable -> state``.
    soft : dict
        Soft evidence, ``variable -> description``.
    model : ModelInfo
    """

    variables: tuple["Variable", ...]
    probabilities: dict[str, np.ndarray]
    observed: dict[str, str]
    soft: dict[str, str]
    model: ModelInfo

    def to_frame(self) -> pd.DataFrame:
        """Long format: ``variable, role, stage, state, probability, evidence`` (evidence: hard, soft or empty)."""
        import pandas as pd

        rows = []
        for v in self.variables:
            kind = "hard" if v.name in self.observed else "soft" if v.name in self.soft else ""
            for s, p in zip(v.states, self.probabilities[v.name]):
                rows.append((v.name, v.role, v.stage or "", s, float(p), kind))
        return pd.DataFrame(rows, columns=["variable", "role", "stage", "state", "probability", "evidence"])

    def __getitem__(self, variable: str) -> pd.Series:
        import pandas as pd

        v = next((v for v in self.variables if v.name == variable), None)
        if v is None:
            from ..exceptions import UnknownNameError, unknown_name_message

            raise UnknownNameError(unknown_name_message("variable", variable, [v.name for v in self.variables]))
        return pd.Series(self.probabilities[variable], index=pd.Index(v.states, name="state"), name=variable)

    def __repr__(self) -> str:
        n = len(self.observed) + len(self.soft)
        top = ""
        diag = [v for v in self.variables if v.role == "diagnosis"]
        if diag:
            p = self.probabilities[diag[0].name]
            top = f"; top {diag[0].name} = {diag[0].states[int(np.argmax(p))]} {float(np.max(p)):.3f}"
        return f"<Marginals: {len(self.variables)} variables | {n} finding{'s' if n != 1 else ''} observed{top}>"

    def __post_init__(self) -> None:
        object.__setattr__(self, "probabilities", {k: read_only(v) for k, v in self.probabilities.items()})

    def _title(self) -> str:
        return f"Posterior marginals of {len(self.variables)} variables"

    def plot(self, ax: "Axes | None" = None) -> "Axes":
        """The network with posterior bars (see :func:`bmes_bayes.plotting.draw_network`). Returns the Axes."""
        from ..plotting import draw_network

        return draw_network(self, ax=ax)
