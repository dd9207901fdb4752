"""bmes-bayes: a Bayesian differential-diagnosis model for bone marrow edema on MRI.

Educational and research model, not a clinical device.

>>> import bmes_bayes
>>> model = bmes_bayes.load_model()
>>> model.posterior({"joint": "hip", "age_group": "middle", "sex": "male"}).top[0] in model.states("diagnosis")
True
"""

from ._version import __version__

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `import bmes_bayes` imports nothing (see below)
if TYPE_CHECKING:  # pragma: no cover
    from .exceptions import (ArgumentError, ArgumentTypeError, BmesError, EvidenceError, ImpossibleEvidenceError,
                             OutputError, SpecError, TooLargeError, UnknownNameError)
    from .importer import load_network
    from .model import BmesModel, load_model
    from .results import Posterior

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "BmesError",
    "BmesModel",
    "EvidenceError",
    "ImpossibleEvidenceError",
    "OutputError",
    "Posterior",
    "SpecError",
    "TooLargeError",
    "UnknownNameError",
    "__version__",
    "load_model",
    "load_network",
]

# Every name is imported on first use (PEP 562), so that `import bmes_bayes` is instant and the command line starts
# with nothing imported: numpy, pandas and scipy are imported inside `cli.main`, where Ctrl-C ends with a one-line
# message instead of a traceback.
_LAZY = {**dict.fromkeys(("ArgumentError", "ArgumentTypeError", "BmesError", "EvidenceError",
                          "ImpossibleEvidenceError", "OutputError", "SpecError", "TooLargeError", "UnknownNameError"),
                         "exceptions"),
         "BmesModel": "model", "load_model": "model", "load_network": "importer", "Posterior": "results"}


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if not name.startswith("_"):  # a submodule: bmes_bayes.teaching.load_test_costs() after `import bmes_bayes`
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
