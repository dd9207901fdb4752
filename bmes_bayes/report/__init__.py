"""Reports (layer 10, views): self-contained HTML reports of one case, and the model card.

A report is built in two steps that never mix:

1. :mod:`~bmes_bayes.report.build`: :func:`complete_report` (what ``bmes-bayes report`` runs) asks the model for
   every result once (posterior, credible intervals, marginals, can't-miss check, work-up, which test next,
   tornado) and holds them in a frozen :class:`Report`; :func:`build_report` does the fixed part and places
   whatever sections it is given;
2. :mod:`~bmes_bayes.report.render`: :meth:`Report.to_html` only renders, from that record: a Jinja2 template
   (autoescaped), figures drawn by the results' own ``plot`` methods and embedded as base64 PNG (the network as
   SVG), CSS inline, and a first line saying the file is generated and by which command.

:mod:`~bmes_bayes.report.model_card` writes the model card (``bmes-bayes model-card``). Every name importable from
the module ``bmes_bayes.report`` before it became this package stays so.
"""

from __future__ import annotations

from .build import (CANONICAL_SCENARIOS, REPORT_FORMAT, TORNADO_LEVEL, EvidenceItem, Report,  # noqa: F401
                    _cli_item, _evidence_key, _items, build_report, canonical_scenarios, complete_report,
                    default_report_path, fingerprint_of, write_reports)
from .render import (OPTIONAL_SECTIONS, PALETTE_COLOURS, STAGE_TITLES, TEMPLATE_DIR, TOP_ROWS, Figure,  # noqa: F401
                      Section, _environment, _esc, _label, _p, _table, alerts_section, next_test_section,
                      render_figure, result_section, tornado_section, workup_section)

__all__ = ["Report", "Section", "Figure", "build_report", "complete_report", "write_reports", "result_section",
           "alerts_section", "workup_section", "next_test_section", "tornado_section", "canonical_scenarios",
           "CANONICAL_SCENARIOS", "default_report_path", "REPORT_FORMAT", "fingerprint_of"]
