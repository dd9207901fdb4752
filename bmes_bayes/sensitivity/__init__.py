"""How far posteriors move across the plausible range of the priors.

One module per method, each a function ``model -> result`` with its result class beside it.

- :mod:`.uncertainty`: Monte-Carlo over parameters, exact inference per draw (:func:`uncertainty`);
- :mod:`.delta`: its first-order (delta-method) preview (:func:`delta_uncertainty`);
- :mod:`.one_way`: each clinical parameter alone at the ends of its plausible range, a tornado (:func:`one_way`);
- :mod:`.function`: exact sensitivity functions of raw CPT entries under proportional, uniform or order-preserving
  co-variation (:func:`sensitivity_function`, :func:`covary`, :func:`admissible_range`);
- :mod:`.admissible`: how far a parameter can move before the top state changes (:func:`admissible_deviation`);
- :mod:`.tuning`: single changes that reach a constraint, ranked by the exact Chan-Darwiche distance (:func:`tune`);
- :mod:`.sobol`: Sobol indices with SALib's design and estimators (:func:`sobol`).

All run on the same batched exact engine: every parameter set they need is one row of a batch. The shared machinery
is written once: :mod:`._perturb` (one clinical parameter as a scalar, its plausible range, the parameter sets with one
entry changed) and :mod:`._search` (the batched grid-and-bisection search of :func:`admissible_deviation` and
:func:`tune`); the Monte-Carlo draws live in :mod:`bmes_bayes.draws`.

Names: ``level`` is the credible level of posterior intervals (default 0.9); ``plausible`` the central prior
probability of a parameter's plausible range (default 0.95); ``confidence`` the bootstrap confidence level of
:func:`sobol` (default 0.95); ``n`` the rows a plot shows.

References
----------
Van Allen, Singh, Greiner & Hooper (2008), "Quantifying the uncertainty of a belief net response: Bayesian
error-bars for belief net inference", Artificial Intelligence 172(4-5):483-513.
Coupé & van der Gaag (2002), Ann. Math. AI 36:323-356; van der Gaag & Renooij (2001), UAI; Chan & Darwiche (2002),
JAIR 17:265-287; Renooij (2014), IJAR 55:1022-1042; Saltelli et al. (2010), CPC 181:259-270.
"""

from __future__ import annotations

from ..draws import CHUNK, parameter_columns, possible_draws, posterior_draws, relevant_parameters, sample_count
from .admissible import TIE, AdmissibleDeviation, admissible_deviation, first_top
from .delta import DeltaUncertainty, delta_uncertainty
from .function import COVARIATIONS, Covariation, SensitivityFunction, admissible_range, covary, sensitivity_function
from .one_way import OneWay, one_way
from .sobol import Sobol, saltelli_rows, sobol, sobol_indices
from .tuning import Tuning, cd_distance, tune
from .uncertainty import Uncertainty, uncertainty

__all__ = [
    "Uncertainty", "uncertainty", "CHUNK", "OneWay", "one_way", "SensitivityFunction", "sensitivity_function",
    "covary", "admissible_range", "AdmissibleDeviation", "admissible_deviation", "Tuning", "tune", "cd_distance",
    "Sobol", "sobol", "sobol_indices", "relevant_parameters",
    "saltelli_rows", "DeltaUncertainty", "delta_uncertainty", "posterior_draws", "possible_draws",
    "parameter_columns", "sample_count", "first_top", "TIE", "COVARIATIONS", "Covariation",
]
