"""Shared by the benchmarks: pyAgrum's copy of the network (exports are generated, not kept in git)."""

from __future__ import annotations

from pathlib import Path


def agrum_network(gum, model):
    """pyAgrum's copy of ``model``, read from an XMLBIF export written to a temporary directory (pyAgrum keeps
    XMLBIF probabilities in double precision)."""
    import tempfile

    from bmes_bayes.interop import export

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bmes.bifxml"
        export(model, "xmlbif", path)
        return gum.loadBN(str(path))
