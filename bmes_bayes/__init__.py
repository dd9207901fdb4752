"""bmes-bayes: a Bayesian differential-diagnosis model for bone marrow edema on MRI.

Educational and research model, not a clinical device.

>>> import bmes_bayes
>>> model = bmes_bayes.load_model()
>>> model.posterior({"joint": "hip", "age_group": "middle", "sex": "male"}).top[0] in model.states("diagnosis")
True
"""

__version__ = "0.1.0"

from .exceptions import (ArgumentError, ArgumentTypeError, BmesError, EvidenceError,  # noqa: E402
                         ImpossibleEvidenceError, SpecError, TooLargeError, UnknownNameError)
from .importer import load_network  # noqa: E402
from .model import BmesModel, load_model  # noqa: E402
from .results import Posterior  # noqa: E402

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "BmesError",
    "BmesModel",
    "EvidenceError",
    "ImpossibleEvidenceError",
    "Posterior",
    "SpecError",
    "TooLargeError",
    "UnknownNameError",
    "__version__",
    "load_model",
    "load_network",
]
