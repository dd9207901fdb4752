"""HTML reports: self-contained, escaped, complete, refused overwrites, and the copies in reports/ current."""

from __future__ import annotations

import html
import re
import shutil

import numpy as np
import pytest

from bmes_bayes import scenarios
from bmes_bayes.cli import main
from bmes_bayes.report import (OPTIONAL_SECTIONS, Figure, build_report, canonical_scenarios, complete_report,
                               default_report_path, fingerprint_of, result_section)

from ..conftest import ROOT

CASE = "steroid-osteonecrosis-sle"
IMAGE = re.compile(r"data:image/(?:png|svg\+xml);base64,[A-Za-z0-9+/=]+")
TINY_PNG = bytes.fromhex(  # a 1 x 1 white PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8ffff3f0005fe02fe"
    "a7d6a4a70000000049454e44ae426082")


@pytest.fixture(scope="module")
def report(model):
    return complete_report(model, scenario=CASE)


@pytest.fixture(scope="module")
def page(report):
    return report.to_html()


@pytest.fixture
def quick_figures(monkeypatch):
    """Skip drawing (the slow part) in tests about text."""
    from bmes_bayes.report import Report

    monkeypatch.setattr(Report, "figures", lambda self: {
        "posterior": Figure(TINY_PNG, "posterior"), "network": Figure(TINY_PNG, "network")})


def _external_references(text: str) -> list[str]:
    """Anything a browser would fetch or follow off this file: src/href/url() that is not data: or a #fragment."""
    refs = re.findall(r"""(?:src|href|action|poster|srcset)\s*=\s*["']?([^"'\s>]+)""", text, flags=re.I)
    refs += re.findall(r"url\(\s*['\"]?([^'\")]+)", text, flags=re.I)
    refs += re.findall(r"@import\s+['\"]?([^'\";]+)", text, flags=re.I)
    return [r for r in refs if not r.startswith(("data:", "#"))]


def test_report_holds_evidence_every_diagnosis_and_provenance(model, report, page):
    case = scenarios.load(CASE)
    for stage in case.stages:
        for var, state in stage.evidence.items():
            assert f"<code>{var}</code>" in page
            assert state.replace("_", " ") in page
    for d in model.states("diagnosis"):
        assert f"<td>{d.replace('_', ' ')}</td>" in page
    assert model.priors.digest in page and model.info.digest in page and model.network.digest in page
    assert f"bmes-bayes {model.info.package_version}" in page
    assert "not a clinical device" in page
    assert html.escape(case.narrative, quote=False) in page
    assert report.uncertainty.verdict in page
    assert page.count('src="data:image/png;base64,') == 5  # posterior, 4 sections
    assert page.count('src="data:image/svg+xml;base64,') == 1  # the network
    assert f"bmes-bayes report --scenario {CASE}" in page
    assert f'<meta name="bmes-bayes-fingerprint" content="{report.fingerprint}">' in page


def test_complete_report_has_every_section_in_order(model, report, page):
    """Posterior, then what must not be missed, how the answer was reached, what next, how robust; then the network."""
    ids = ["case", "evidence", "posterior", *(key for key, _ in OPTIONAL_SECTIONS), "network", "provenance"]
    positions = [page.index(f'<section id="{i}">') for i in ids]
    assert positions == sorted(positions)
    for _, title in OPTIONAL_SECTIONS:
        assert "<h2>" + title.replace("'", "&#39;") + "</h2>" in page  # as Jinja escapes it
    # the alerts shown are the posterior's, with their reasoning
    for alert in report.posterior.alerts:
        assert html.escape(alert.reasoning) in page
    assert page.count("<strong>ALERT</strong>") == len(report.posterior.alerts)
    # the work-up's last stage is the report's posterior (same evidence, parameter sets and seed)
    work = report.sections["workup"]
    top, p = report.posterior.top
    assert "goes from" in work.intro and f"to {p:.2f} at the end" in work.intro
    # which test next names the best candidate, and the tornado the most probable diagnosis
    assert f"<code>{model.next_test(report.posterior.evidence).best}</code>" in report.sections["next_test"].body
    assert f"P({top.replace('_', ' ')} | evidence)" in report.sections["tornado"].intro
    assert "model.one_way" not in page  # code names stay out of what a colleague reads


def test_free_evidence_report_has_no_workup(model, quick_figures):
    rep = complete_report(model, {"joint": "knee", "age_group": "older", "mri_fracture_line": "present"},
                          n_samples=50)
    assert list(rep.sections) == ["alerts", "next_test", "tornado"]
    page = rep.to_html()
    assert 'id="workup"' not in page and 'id="tornado"' in page
    with pytest.raises(Exception, match="not both"):
        complete_report(model, {"joint": "hip"}, scenario="classic-toh")
    from bmes_bayes.teaching import AlertConfig

    bare = complete_report(model.with_alerts(AlertConfig(())), {"joint": "hip"}, n_samples=20)
    assert "No can&#x27;t-miss alerts are configured." in bare.sections["alerts"].body
    assert bare.sections["alerts"].figures == ()


def test_canonical_scenarios_are_one_textbook_case_per_diagnosis(model):
    cases = [scenarios.load(n) for n in canonical_scenarios()]
    assert all(c.kind == "textbook" for c in cases)
    leading = [c.expected_leading for c in cases]
    assert len(set(leading)) == len(leading), "two canonical reports for one diagnosis"
    with_textbook = {c.expected_leading for c in scenarios.load_all() if c.kind == "textbook"}
    assert set(leading) == with_textbook, f"no canonical report for {sorted(with_textbook - set(leading))}"
    for c in cases:  # a canonical report shows a case the model gets right
        assert model.posterior(c.evidence).top[0] == c.expected_leading, c.name


def test_report_is_self_contained(page):
    assert _external_references(page) == []
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "default-src 'none'" in page  # the browser itself refuses to load anything else
    assert page.startswith("<!DOCTYPE html>")


def test_report_escapes_every_user_string(model, tmp_path, quick_figures):
    evil = "<script>alert('x')</script> & \"quoted\""
    import yaml

    data = yaml.safe_load((scenarios.scenario_dir() / "classic-toh.yaml").read_text(encoding="utf-8"))
    data.update(title=evil, narrative=evil, teaching_point=evil, source=evil)
    path = tmp_path / "classic-toh.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    case = scenarios.load(path, network=model.network)
    assert case.title == evil and case.source == evil
    page = build_report(model, scenario=case, n_samples=50).to_html()
    assert "<script>" not in page
    assert page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quoted&#34;") >= 4


def test_free_evidence_with_soft_findings(model, quick_figures):
    ev = {"joint": "knee", "age_group": "older", "fever": {"no": 0.3, "yes": 0.7}, "mri_fracture_line": "present"}
    rep = build_report(model, ev, n_samples=50)
    page = rep.to_html()
    stages = [s for s, _ in rep.evidence]
    assert stages == ["history", "examination", "mri"]
    assert "soft(no:0.3, yes:0.7)" in page
    assert rep.command == ("bmes-bayes report --evidence joint=knee age_group=older fever=no:0.3,yes:0.7 "
                           "mri_fracture_line=present --samples 50 --seed 0 --level 0.9")
    assert default_report_path(evidence=ev).name.startswith("evidence-")
    assert default_report_path(evidence=ev) == default_report_path(evidence=dict(reversed(ev.items())))


def test_optional_sections_plug_in_from_any_result(model, quick_figures):
    """Phase-2 hook: tornado, next test and alerts are any result with to_html() (and plot())."""

    class FakeResult:
        def to_html(self):
            return "<table class='fake'><tr><td>finding &amp; weight</td></tr></table>"

    rep = build_report(model, {"joint": "hip"}, n_samples=20, tornado=FakeResult(), alerts=FakeResult())
    page = rep.to_html()
    assert page.count("<table class='fake'>") == 2
    assert page.index('id="alerts"') < page.index('id="tornado"') < page.index('id="network"')
    assert page.index('id="posterior"') < page.index('id="alerts"')
    assert "Which test next" not in page
    with pytest.raises(ValueError, match="unknown section"):
        result_section("tea_leaves", FakeResult())


def test_report_write_refuses_to_overwrite_and_is_atomic(report, tmp_path, quick_figures):
    out = tmp_path / "r.html"
    out.write_text("precious")
    with pytest.raises(Exception, match="exists"):
        report.write(out)
    assert out.read_text() == "precious"
    report.write(out, overwrite=True)
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_cli_report_exit_codes_and_overwrite_refusal(tmp_path, capsys, quick_figures):
    out = tmp_path / "case.html"
    assert main(["report", "--scenario", "classic-toh", "--samples", "20", "-o", str(out)]) == 0
    assert out.is_file() and "wrote" in capsys.readouterr().out
    before = out.read_text()
    assert main(["report", "--scenario", "classic-toh", "--samples", "20", "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err and out.read_text() == before
    assert main(["report", "--scenario", "classic-toh", "--samples", "20", "-o", str(out), "--force"]) == 0
    assert main(["report", "--scenario", "clasic-toh", "-o", str(tmp_path / "x.html")]) == 2
    assert "did you mean 'classic-toh'" in capsys.readouterr().err
    assert main(["report", "--evidence", "joint=elbow", "-o", str(tmp_path / "y.html")]) == 2
    assert "joint" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "y.html").exists()
    with pytest.raises(SystemExit) as exc:
        main(["report", "--scenario", "classic-toh", "--evidence", "joint=hip"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["report"])
    assert exc.value.code == 2


# -------------------------------------------------------------------------------- the copies in reports/

def _fix(name: str) -> str:
    return f"run `bmes-bayes report --canonical --force` (or `bmes-bayes report --scenario {name} --force`)"


def test_reports_directory_holds_every_canonical_scenario():
    kept = {p.stem for p in (ROOT / "reports").glob("*.html")}
    expected = set(canonical_scenarios())
    assert expected <= kept, f"missing reports for {sorted(expected - kept)}: {_fix('NAME')}"
    assert kept <= expected | {p.stem for p in (ROOT / "reports").glob("evidence-*.html")}, \
        f"reports of no canonical scenario: {sorted(kept - expected)}"


@pytest.mark.parametrize("name", canonical_scenarios())
def test_stored_report_is_not_stale(model, name):
    """Each stored report records the fingerprint of its inputs: model files, package, scenario, options, templates."""
    path = ROOT / "reports" / f"{name}.html"
    if not path.exists():
        pytest.fail(f"reports/{name}.html is missing: {_fix(name)}")
    stored = re.search(r'<meta name="bmes-bayes-fingerprint" content="([0-9a-f]{64})">', path.read_text("utf-8"))
    fresh = fingerprint_of(model, scenario=scenarios.load(name), n_samples=2000, seed=0, level=0.9)
    assert stored and stored.group(1) == fresh, f"reports/{name}.html is stale: {_fix(name)}"


def test_one_stored_report_matches_a_fresh_build_word_for_word(page):
    """What the fingerprint cannot see (a change in code) shows here; images compared by presence only, since
    their pixels depend on the matplotlib and font versions."""
    stored = (ROOT / "reports" / f"{CASE}.html").read_text("utf-8")
    assert IMAGE.sub("IMAGE", stored) == IMAGE.sub("IMAGE", page), f"reports/{CASE}.html is stale: {_fix(CASE)}"


def test_canonical_writes_into_a_directory(model, tmp_path, quick_figures, monkeypatch):
    import bmes_bayes.report as rep

    monkeypatch.setattr(rep, "canonical_scenarios", lambda: ["classic-toh", "knee-oa-classic"])
    assert main(["report", "--canonical", "--samples", "10", "-o", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classic-toh.html", "knee-oa-classic.html"]
    assert main(["report", "--canonical", "--samples", "10", "-o", str(tmp_path)]) == 2
    shutil.rmtree(tmp_path)


def test_stored_reports_are_small():
    """Palette PNGs at modest dpi keep a report light enough to mail (aim: under 250 KB)."""
    for path in (ROOT / "reports").glob("*.html"):
        assert path.stat().st_size < 300_000, f"{path.name} is {path.stat().st_size // 1000} KB"


def test_embedded_figures_keep_their_flat_colours_exactly():
    """The palette holds a figure's most frequent colours, so white and the bar colours survive bit for bit."""
    import io

    import numpy as np
    from PIL import Image

    from bmes_bayes.report import PALETTE_COLOURS, render_figure

    class Bars:
        def plot(self, ax=None):
            ax.barh([0, 1, 2], [0.3, 0.6, 0.9], color=["#4C72B0", "#C44E52", "#DD8452"])
            ax.set_title("three bars and some text to anti-alias")
            return ax

    fig = render_figure(Bars(), size=(4.0, 2.5), alt="bars")
    image = Image.open(io.BytesIO(fig.png))
    assert image.mode == "P"
    colours = {tuple(c) for c in np.asarray(image.convert("RGB")).reshape(-1, 3)}
    assert len(colours) <= PALETTE_COLOURS
    assert {(255, 255, 255), (0x4C, 0x72, 0xB0), (0xC4, 0x4E, 0x52), (0xDD, 0x84, 0x52)} <= colours
    assert render_figure(Bars(), size=(4.0, 2.5), alt="bars").png == fig.png  # same figure, same bytes


def test_a_scenario_report_draws_its_parameter_sets_once(model, monkeypatch):
    """The report's credible intervals are the work-up's last stage, and every stage shares one set of draws
    (issue 11): one call that draws, for all the stages, and none for the intervals."""
    from bmes_bayes import draws as sens
    from bmes_bayes.report import complete_report

    calls = []
    real = sens.posterior_draws_for
    monkeypatch.setattr(sens, "posterior_draws_for", lambda m, evs, **k: calls.append(len(evs)) or real(m, evs, **k))
    rep = complete_report(model, scenario="classic-toh", n_samples=40, seed=3)
    assert calls == [len(rep.scenario.stages)]
    monkeypatch.setattr(sens, "posterior_draws_for", real)
    direct = model.uncertainty(rep.scenario.evidence, n_samples=40, seed=3)
    np.testing.assert_array_equal(rep.uncertainty.samples, direct.samples)


def test_workup_uncertainty_refuses_a_bad_stage_as_a_value_error(model):
    work = model.workup([{"joint": "hip"}, {"onset": "sudden"}], n_samples=10, seed=0)
    np.testing.assert_array_equal(work.uncertainty("stage 1").samples, work.uncertainty(0).samples)
    np.testing.assert_array_equal(work.uncertainty(-1).samples, work.samples[1])
    for bad in (2, -3, True, 1.0, "stage 3"):
        with pytest.raises(ValueError):
            work.uncertainty(bad)


@pytest.mark.parametrize("case", [{"scenario": "classic-toh"}, {"evidence": {"joint": "knee", "fever": "yes"}}])
def test_a_report_computes_every_result_once(model, monkeypatch, case):
    """Every analysis of a report runs once, in the build; rendering runs none. The Monte-Carlo over parameters
    runs exactly once: the work-up's for a scenario (its last stage is the report's intervals), else the
    uncertainty's."""
    from bmes_bayes import draws
    from bmes_bayes.model import BmesModel
    from bmes_bayes.teaching import AlertConfig

    calls: dict[str, int] = {}

    def counting(owner, name):
        real = getattr(owner, name)

        def wrapper(*args, **kwargs):
            if name != "posterior" or kwargs.get("checks", True):  # analyses ask for bare posteriors: not counted
                calls[name] = calls.get(name, 0) + 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    for name in ("posterior", "marginals", "uncertainty", "workup", "next_test", "one_way"):
        counting(BmesModel, name)
    counting(AlertConfig, "assess")
    counting(draws, "posterior_draws_for")
    scenario = "scenario" in case
    rep = complete_report(model, case.get("evidence"), scenario=case.get("scenario"), n_samples=30)
    expected = {"posterior": 1, "marginals": 1, "next_test": 1, "one_way": 1, "assess": 1,
                "posterior_draws_for": 1, **({"workup": 1} if scenario else {"uncertainty": 1})}
    assert calls == expected
    built = dict(calls)
    monkeypatch.setattr(type(rep), "figures", lambda self: {
        "posterior": Figure(TINY_PNG, "posterior"), "network": Figure(TINY_PNG, "network")})
    rep.to_html()
    assert calls == built  # rendering computed nothing


def test_a_fresh_report_says_it_is_generated_and_by_what(model, quick_figures):
    page = build_report(model, scenario="classic-toh", n_samples=20).to_html()
    lines = page.splitlines()
    assert lines[0] == "<!DOCTYPE html>"
    command = "bmes-bayes report --scenario classic-toh --samples 20 --seed 0 --level 0.9"
    assert lines[1].startswith("<!-- Generated by bmes-bayes ") and f"`{command}`" in lines[1]
    assert "Do not edit by hand" in lines[1] and lines[1].endswith("-->")
    shown = re.sub(r"<!--.*?-->", "", page, flags=re.S)  # the visible text too, not only the comment
    assert f"Generated by <code>{command}</code>; do not edit this file by hand" in shown


def test_rendering_in_two_processes_gives_the_same_document(report, page, monkeypatch):
    """``parallel=True`` renders half the figures in a forked child (where it can): the bytes do not change."""
    from bmes_bayes.report import _aside

    monkeypatch.setattr(_aside, "_others_running", lambda: 0)  # a CPU to spare, whatever this machine runs
    monkeypatch.setattr(_aside, "_threads", lambda: 1)  # whatever threads earlier tests left (a progress monitor)
    children = []
    start = _aside.Pending.__init__
    monkeypatch.setattr(_aside.Pending, "__init__", lambda self, fn, pid, fd, decode=None: children.append(pid) or
                        start(self, fn, pid, fd, decode))
    assert report.to_html(parallel=True) == page
    assert len(children) == 1 and (children[0] is not None or not _aside.can_fork())  # a child drew, where one can


def test_the_forked_renderers_half_goes_through_json_and_back_unchanged(report):
    """What the child sends (figures with their bytes, sections with theirs) is plain JSON and decodes to equal
    objects: no serialised Python objects cross the pipe."""
    import json

    from bmes_bayes.report.render import _decode, _encode, render_figures, render_sections

    part = (render_figures(report), render_sections(report))
    data = _encode(part)
    assert isinstance(json.loads(data), dict)
    assert _decode(data) == part
    assert any(f.mime == "image/svg+xml" for f in part[0].values())
    assert any(s.figures for s in part[1].values())  # sections with PNG figures are covered too
