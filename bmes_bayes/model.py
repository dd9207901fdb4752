"""The model: a validated network with its priors, compiled once, answering exact posterior queries."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import __version__
from .cpt import FullTables, TableSource, compile_all
from .engine import Engine, QueryResult, ZeroEvidence
from .evidence import Evidence, resolve_evidence
from .exceptions import EvidenceError, ImpossibleEvidenceError, SpecError, Problem, unknown_name_message
from .parameters import point_draws
from .results import ModelInfo, Posterior, Vocabulary
from .spec import NetworkSpec, PriorSpec, load_network, load_priors

if TYPE_CHECKING:  # pragma: no cover
    from .sensitivity import Uncertainty

__all__ = ["BmesModel", "load_model", "default_paths"]


def default_paths() -> tuple[Path, Path]:
    """The shipped network file and prior directory (inside the wheel, or the source checkout)."""
    here = Path(__file__).resolve().parent
    for root in (here / "_data", here.parent):
        net = root / "networks" / "bmes.yaml"
        if net.is_file() and (root / "priors").is_dir():
            return net, root / "priors"
    raise SpecError([Problem(str(here), None, "the default network and priors are not installed with the package")])


class BmesModel:
    """A compiled Bayesian network for the differential diagnosis of bone marrow edema.

    Build one with :func:`load_model`. Inference is exact (tensor contraction over the compiled CPTs) and its
    contraction plans are cached per model, so repeated queries do not rebuild anything.

    Examples
    --------
    >>> import bmes_bayes
    >>> model = bmes_bayes.load_model()
    >>> post = model.posterior({"joint": "hip", "sex": "male", "mri_necrotic_segment": "present"})
    >>> round(float(post.to_series().sum()), 12)
    1.0
    """

    def __init__(self, network: NetworkSpec, priors: PriorSpec):
        self.network = network
        self.priors = priors
        self._engine = Engine(network)
        self._point = point_draws(priors)
        self._tables = FullTables(network, compile_all(priors, network, self._point))
        digest = hashlib.sha256((network.digest + priors.digest).encode()).hexdigest()
        self.info = ModelInfo(network.name, network.version, __version__, digest)

    # ------------------------------------------------------------------------------------- vocabulary
    @property
    def variables(self) -> Vocabulary:
        """Every variable the model accepts as evidence or target, with states and descriptions."""
        return Vocabulary(self.network.variables)

    def states(self, variable: str) -> tuple[str, ...]:
        """The states of ``variable``."""
        return self.variables[variable].states

    def cpt(self, node: str) -> pd.DataFrame:
        """The point CPT of ``node`` as a table: one row per parent configuration, one column per state."""
        var = self.variables[node]
        table = self._tables.tables[node][0]
        flat = table.reshape(-1, var.card)
        if var.parents:
            index = pd.MultiIndex.from_product([self.network[p].states for p in var.parents], names=list(var.parents))
        else:
            index = pd.Index(["(no parents)"], name="")
        return pd.DataFrame(flat, index=index, columns=pd.Index(var.states, name=node))

    # ------------------------------------------------------------------------------------- inference
    def resolve(self, evidence: Mapping[str, object] | None) -> Evidence:
        """Check evidence against the vocabulary (raises :class:`EvidenceError` naming every problem)."""
        return resolve_evidence(self.network, evidence)

    def _check_target(self, target: str) -> None:
        if not isinstance(target, str) or target not in self.network:
            raise EvidenceError(unknown_name_message("variable", target, self.network.names, where=" as target"))

    def query(self, ev: Evidence, target: str, source: TableSource | None = None) -> QueryResult:
        """Exact P(target | evidence) for every parameter set of ``source`` (the point model by default).

        Raises
        ------
        ImpossibleEvidenceError
            Naming a smallest set of evidence variables whose combination has probability zero.
        """
        source = source if source is not None else self._tables
        try:
            return self._engine.query(source, ev.hard, ev.soft, target)
        except ZeroEvidence:
            raise self._impossible(ev, source) from None

    def posterior(self, evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis") -> Posterior:
        """Exact posterior of ``target`` given ``evidence``.

        Parameters
        ----------
        evidence : mapping, optional
            ``{variable: state}``; soft evidence as ``{variable: {state: likelihood}}``. See ``model.variables``.
        target : str, default "diagnosis"
            The variable whose distribution is returned.

        Returns
        -------
        Posterior

        Raises
        ------
        EvidenceError
            Unknown variable or state (the message names the valid options and the closest match).
        ImpossibleEvidenceError
            Evidence with probability zero; the message names the conflicting findings.
        """
        self._check_target(target)
        ev = self.resolve(evidence)
        res = self.query(ev, target)
        return Posterior(
            target=target,
            states=self.network[target].states,
            probabilities=res.posterior[0],
            evidence=ev.as_dict(),
            log_evidence=float(res.log_evidence[0]),
            model=self.info,
        )

    def sensitivity(self, evidence: Mapping[str, object] | None = None, *, target: str = "diagnosis",
                    n_samples: int = 2000, level: float = 0.9, seed: None | int | np.random.Generator = None,
                    threshold: float = 0.9, progress: bool | None = None) -> "Uncertainty":
        """Uncertainty of the posterior over the plausible range of every prior.

        Draws ``n_samples`` parameter sets from the distributions in ``priors/``, runs exact inference for each
        (batched), and summarises: point, mean, median and equal-tailed ``level`` interval per state, the share of
        parameter sets in which each state is first (``p_top``), and a verdict against ``threshold``.

        Parameters
        ----------
        seed : None, int or numpy Generator
            The same seed gives bit-identical results, whatever the order of the evidence.
        progress : bool, optional
            Show a progress bar (default: only for runs of 20,000 draws or more).

        Returns
        -------
        Uncertainty

        References
        ----------
        Van Allen et al. (2008), Artificial Intelligence 172:483-513.

        Examples
        --------
        >>> import bmes_bayes
        >>> res = bmes_bayes.load_model().sensitivity({"joint": "hip", "mri_necrotic_segment": "present"},
        ...                                          n_samples=500, seed=1)
        >>> list(res.to_frame().columns)
        ['diagnosis', 'point', 'mean', 'median', 'lower', 'upper', 'p_top']
        """
        from .sensitivity import uncertainty

        return uncertainty(self, evidence, target=target, n_samples=n_samples, level=level, seed=seed,
                           threshold=threshold, progress=progress)

    def _impossible(self, ev: Evidence, source: TableSource) -> ImpossibleEvidenceError:
        """Shrink impossible evidence to a smallest conflicting set (each member is needed for the conflict)."""
        keep = list(ev.variables)
        for name in list(keep):
            trial = ev.without([n for n in ev.variables if n not in keep or n == name])
            if len(trial) and not self._engine.possible(source, trial.hard, trial.soft).all():
                keep.remove(name)
        conflict = tuple(keep)
        shown = ", ".join(f"{n}={ev.labels[n]}" for n in conflict)
        if len(conflict) == 1:
            msg = f"impossible evidence: {shown} has probability zero under the model"
        else:
            msg = f"impossible evidence: {shown} cannot occur together (the model gives this combination probability zero)"
        return ImpossibleEvidenceError(msg, conflict)

    def __repr__(self) -> str:
        roles = {}
        for v in self.network.variables:
            roles[v.role] = roles.get(v.role, 0) + 1
        n_params = len(self.priors.parameters)
        return (f"<BmesModel {self.network.name} {self.network.version}: {len(self.network.variables)} variables, "
                f"{n_params} parameters, model {self.info.digest[:12]}>")

    def _repr_html_(self) -> str:
        import html

        return (f"<p><b>{html.escape(self.network.title)}</b><br>{html.escape(repr(self))}</p>"
                + self.variables.to_html())


def load_model(path: str | Path | None = None, *, priors: str | Path | None = None) -> BmesModel:
    """Load, validate and compile a model.

    Parameters
    ----------
    path : path, optional
        A network YAML file, or a directory holding ``networks/<one file>.yaml`` and ``priors/``.
        Default: the network and priors shipped with the package.
    priors : path, optional
        A prior YAML file or directory. Default: ``priors/`` beside the network's directory.

    Raises
    ------
    SpecError
        Listing every problem in the network and prior files, each with file and line.
    """
    if path is None:
        net_path, prior_path = default_paths()
    else:
        p = Path(path)
        if p.is_dir():
            nets = sorted((p / "networks").glob("*.yaml"))
            if len(nets) != 1:
                raise SpecError([Problem(str(p), None, f"expected one networks/*.yaml, found {len(nets)}")])
            net_path, prior_path = nets[0], p / "priors"
        elif p.is_file():
            net_path, prior_path = p, p.resolve().parent.parent / "priors"
        else:
            raise SpecError([Problem(str(p), None, "no such file or directory")])
    if priors is not None:
        prior_path = Path(priors)
    network = load_network(net_path)
    spec = load_priors(prior_path, network)
    return BmesModel(network, spec)

