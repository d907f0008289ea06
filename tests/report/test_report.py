"""Tests of the herd and milk HTML report (capra.report) and its figures."""

from __future__ import annotations

import base64
import calendar
import re

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.dates import ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from capra.herd.result import HerdResult
from capra.herd.simulate import simulate
from capra.report import figures as fg
from capra.report import write_report
from capra.report.html import FIGURE_SECTIONS, render_report
from capra.scenario import load_scenario

REPLICATES = 6
HORIZON_DAYS = 400
FARM_CAPACITY = {"Kangso": 300, "Chollima": 250, "Ryonggang": 250, "Onchon": 200,
                 "Taean": 200}
HEADINGS = ("Herd and milk summary", "Herd by class", "Daily milk", "Kiddings by month", "Head by farm",
            "Milk by month", "Monthly milk and rations", "Feed budget", "What we do not know",
            "Health: testing, transport, outbreaks", "Breeding stock and inbreeding",
            "About the model")
#: A school child's serving of fresh milk, 206 g, with 1.02 kg of milk per kg of product
#: (capra/data/products.toml). [kg milk/ration]
MILK_KG_PER_RATION = 0.206 * 1.02
IMG_RE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("nampo").model_copy(update={"horizon_days": HORIZON_DAYS})


@pytest.fixture(scope="module")
def result(scenario) -> HerdResult:
    return simulate(scenario, replicates=REPLICATES, seed=7)


@pytest.fixture(scope="module")
def report_html(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "nampo.html"
    out = write_report(result, path)
    assert out == path
    return path.read_text(encoding="utf-8")


def _bars(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def _units(label: str) -> bool:
    return bool(re.search(r"\[[^\]]+\]", label))


# ---- the HTML file -----------------------------------------------------------------------

def test_report_file_has_every_section_in_order(report_html):
    positions = [report_html.find(f">{h}</h2>") for h in HEADINGS]
    assert all(p > 0 for p in positions), dict(zip(HEADINGS, positions, strict=True))
    assert positions == sorted(positions)
    assert report_html.startswith("<!DOCTYPE html>")
    assert report_html.rstrip().endswith("</html>")


def test_report_embeds_one_png_per_figure(report_html):
    # the five figures of the herd, the feed budget (capra.report.feed) and the sensitivity
    # of the milk to nampo's uncertain parameters (capra.report.herd_risks)
    images = IMG_RE.findall(report_html)
    assert len(images) == len(FIGURE_SECTIONS) + 2 == 7
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert report_html.count("<figcaption>") == 7


def test_report_is_self_contained(report_html):
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', report_html)
    assert "<link" not in report_html and "<script" not in report_html
    assert "@import" not in report_html and "url(" not in report_html
    # internal anchors only, one per section
    assert len(re.findall(r'href="#', report_html)) == len(HEADINGS)


def test_report_header(report_html, result):
    header = report_html[report_html.index("<header>"):report_html.index("</header>")]
    assert "<dd>nampo</dd>" in header
    assert "<dd>7</dd>" in header                       # seed
    assert f"<dd>{REPLICATES}</dd>" in header
    assert "<dd>2024-08-01</dd>" in header
    assert f"{HORIZON_DAYS} days" in header
    assert "2025-09-04" in header                       # last simulated day
    assert "1,200 head" in header


def test_report_summary_and_monthly_tables(report_html, result):
    summary = result.summary_table()
    for metric in summary.index:
        assert f"<td>{metric}</td>" in report_html
    p50 = summary.loc["final head [head]", "p50"]
    assert f'<td class="num">{p50:,.0f}</td>' in report_html

    months = fg.monthly_milk(result)
    section = report_html[report_html.index(">Monthly milk and rations</h2>"):]
    section = section[:section.index("</section>")]
    rows = re.findall(r"<tr( class=\"trough\")?><td>([A-Z][a-z]+)</td>", section)
    assert [name for _, name in rows][:2] == ["January", "February"]
    assert len(rows) == 12
    trough = [name for cls, name in rows if cls]
    assert len(trough) == 1
    assert trough[0] == calendar.month_name[int(months["p50"].idxmin())]


#: A scenario name and description that would be markup if not escaped.
HOSTILE_NAME = '<script>alert("x")</script> & Co'
HOSTILE_DESCRIPTION = "<b>bold</b> farms"


@pytest.fixture(scope="module")
def decorated_html(result, tmp_path_factory):
    """One report file with every option (a title, a lead section, extra sections) of a
    scenario whose name and description are markup: the tests of escaping and of the
    order of the sections read it (one rendering, not one each)."""
    scenario = result.scenario.model_copy(update={"name": HOSTILE_NAME,
                                                  "description": HOSTILE_DESCRIPTION})
    tampered = HerdResult(result.data.assign_attrs(scenario=HOSTILE_NAME), scenario)
    path = write_report(tampered, tmp_path_factory.mktemp("decorated") / "r.html",
                        title="Plan <A>",
                        lead_sections=[("The answer", "<p>7,000 children</p>")],
                        extra_sections=[("Planning & growth", "<p id='plan'>ok</p>"),
                                        ("Growth", "<table><tr><td>1</td></tr></table>"),
                                        ("What binds", "<p>x</p>")])
    return path.read_text(encoding="utf-8")


def test_scenario_text_is_escaped(decorated_html):
    text = decorated_html
    assert "<script>" not in text and "<b>bold</b>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in text
    assert "&lt;b&gt;bold&lt;/b&gt; farms" in text


def test_title_and_extra_sections(decorated_html):
    text = decorated_html
    assert "<title>Plan &lt;A&gt;</title>" in text
    assert "<h1>Plan &lt;A&gt;</h1>" in text
    assert ">Planning &amp; growth</h2>" in text
    assert "<p id='plan'>ok</p>" in text                 # fragments are HTML, kept as given
    order = [text.index(s) for s in (">Monthly milk and rations</h2>",
                                     ">Planning &amp; growth</h2>", ">Growth</h2>",
                                     ">About the model</h2>")]
    assert order == sorted(order)


def test_lead_sections_come_first(decorated_html, result):
    text = decorated_html
    order = [text.index(s) for s in (">The answer</h2>", ">Herd and milk summary</h2>",
                                     ">Monthly milk and rations</h2>", ">What binds</h2>")]
    assert order == sorted(order)
    with pytest.raises(ValueError, match="lead_sections must hold"):
        render_report(result, lead_sections=[("only a heading",)])


def test_extra_sections_must_be_pairs(result, tmp_path):
    with pytest.raises(ValueError, match="heading, html_fragment"):
        write_report(result, tmp_path / "bad.html", extra_sections=[("only a heading",)])


def test_short_horizon_renders(scenario, tmp_path):
    short = simulate(scenario.model_copy(update={"horizon_days": 120}), replicates=2, seed=1)
    months = fg.monthly_milk(short)
    assert months["p50"].isna().sum() == 8               # Aug..Nov covered only
    text = write_report(short, tmp_path / "short.html").read_text(encoding="utf-8")
    assert len(IMG_RE.findall(text)) == 6                  # the five and the feed budget
    assert text.count('<td class="num">–</td>') == 8 * 6


# ---- figures ---------------------------------------------------------------------------

def test_herd_classes_figure(result):
    fig = fg.herd_classes_figure(result)
    assert isinstance(fig, Figure)
    ax, ax_total = fig.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == [label for _, label in fg.HERD_CLASSES]
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 6
    p50_kids = np.percentile(result.total("kids").values, 50, axis=0)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), p50_kids)

    head, capacity = ax_total.get_lines()
    np.testing.assert_allclose(head.get_ydata(),
                               np.percentile(result.total("head").values, 50, axis=0))
    assert set(capacity.get_ydata()) == {sum(FARM_CAPACITY.values())}
    for a in fig.axes:
        assert _units(a.get_ylabel())
    assert isinstance(ax_total.xaxis.get_major_formatter(), ConciseDateFormatter)


def test_milk_figure(result):
    fig = fg.milk_figure(result)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["deliverable milk", "gross milk (P50)",
                                                    "fed to kids (P50)"]
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1
    deliverable = result.quantiles("milk_kg").sel(quantile=0.5).values
    np.testing.assert_allclose(lines[0].get_ydata(), deliverable, rtol=1e-6, atol=1e-6)
    assert np.all(lines[1].get_ydata() >= lines[0].get_ydata() - 1e-6)   # gross >= net
    assert ax.get_ylabel() == "milk [kg/day]"
    assert len(ax.child_axes) == 1                                       # rations axis
    rations = ax.child_axes[0]
    assert "rations" in rations.get_ylabel() and _units(rations.get_ylabel())
    assert isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter)


def test_kiddings_by_month_figure(result):
    fig = fg.kiddings_by_month_figure(result)
    (ax,) = fig.axes
    bars = _bars(ax)
    assert len(bars) == 12
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        calendar.month_abbr[m] for m in range(1, 13)]
    table = fg.kiddings_by_month(result)
    np.testing.assert_allclose([b.get_height() for b in bars], table["mean"].to_numpy())
    assert (table["p10"] <= table["p90"]).all()
    assert _units(ax.get_ylabel())


def test_kiddings_by_month_is_a_rate_per_year(result):
    # Summed back over each month's occurrences in the horizon, the rates give the
    # total kiddings per replicate.
    dates = result.data.indexes["date"]
    occurrences = np.array([np.sum(1.0 / dates.days_in_month[dates.month == m])
                            for m in range(1, 13)])
    table = fg.kiddings_by_month(result)
    total = result.total("kiddings").sum("date").values.mean()
    assert np.nansum(table["mean"].to_numpy() * occurrences) == pytest.approx(total)
    # 400 days from 1 August 2024 end on 4 September 2025: August is covered twice,
    # September 1 + 4/30 times, July once
    assert occurrences[7] == pytest.approx(2.0)
    assert occurrences[8] == pytest.approx(1 + 4 / 30)
    assert occurrences[6] == pytest.approx(1.0)


def test_head_by_farm_figure(result):
    fig = fg.head_by_farm_figure(result)
    (ax,) = fig.axes
    ds = result.data
    stations = [str(f) for f, k in zip(ds["farm"].values, ds["kind"].values, strict=True)
                if k != "farm" and ds["head"].sel(farm=f).values.any()]
    assert stations, "the nampo batches pass through quarantine"
    lines = ax.get_lines()
    labelled = [line.get_label() for line in lines if not line.get_label().startswith("_")]
    assert labelled == list(FARM_CAPACITY) + [f"{s} (quarantine)" for s in stations]
    capacity = [line for line in lines if line.get_linestyle() == ":"]
    assert len(capacity) == len(FARM_CAPACITY)
    assert sorted(line.get_ydata()[0] for line in capacity) == sorted(FARM_CAPACITY.values())
    np.testing.assert_allclose(lines[0].get_ydata(),
                               np.percentile(ds["head"].sel(farm="Kangso").values, 50, axis=0))
    assert _units(ax.get_ylabel())


def test_monthly_milk_figure_matches_result(result):
    fig = fg.monthly_milk_figure(result)
    ax = fig.axes[0]
    bars = _bars(ax)
    assert len(bars) == 12
    expected = result.monthly_daily_milk().quantile([0.1, 0.5, 0.9], dim="replicate")
    np.testing.assert_allclose([b.get_height() for b in bars],
                               expected.sel(quantile=0.5).values, rtol=1e-6)
    table = fg.monthly_milk(result)
    np.testing.assert_allclose(table["p10"], expected.sel(quantile=0.1).values, rtol=1e-6)
    np.testing.assert_allclose(table["rations_p90"], expected.sel(quantile=0.9).values
                               / MILK_KG_PER_RATION, rtol=1e-6)
    trough = int(np.argmin([b.get_height() for b in bars]))
    colours = {tuple(b.get_facecolor()) for i, b in enumerate(bars) if i != trough}
    assert len(colours) == 1 and tuple(bars[trough].get_facecolor()) not in colours
    assert any("lowest month" in t.get_text() for t in ax.texts)
    assert ax.get_ylabel() == "milk [kg/day]" and len(ax.child_axes) == 1


def test_report_figures_are_all_figures(result):
    figures = fg.report_figures(result)
    assert [key for key, _ in figures] == [key for key, _, _ in FIGURE_SECTIONS]
    for _, fig in figures:
        assert isinstance(fig, Figure)
        assert fig.axes[0].get_title()


def test_report_without_scenario_object(result):
    # A result read back from a file carries the scenario name only in its attributes.
    text = render_report(HerdResult(result.data))
    assert "<title>Herd and milk report: nampo</title>" in text
    assert 'class="description"' not in text
    # the feed budget, and the sensitivity: the parameter draws are in the data too
    assert len(IMG_RE.findall(text)) == 7


def _ration_axis_top(fig) -> float:
    """The top of a figure's right-hand axis in rations per day (once laid out: drawn
    without making pixels)."""
    fig.draw_without_rendering()
    (secondary,) = fig.axes[0].child_axes
    return secondary.get_ylim()[1]


def test_every_count_of_rations_follows_the_serving(result, report_html):
    """Double the serving of fresh milk for school children in the scenario and every
    count of rations halves: the JSON, the monthly table, both figures and the report."""
    from capra.scenario import ProductOverride, ProductOverrides, Servings

    doubled = result.scenario.model_copy(update={"products": ProductOverrides(
        fresh_milk=ProductOverride(serving_g=Servings(age_6_11=412.0)))})
    twice = HerdResult(result.data, doubled)
    base, new = result.summary_dict(), twice.summary_dict()
    assert new["ration"] == {"product": "fresh_milk", "age_group": "age_6_11",
                             "serving_g": 412.0, "milk_kg": pytest.approx(0.412 * 1.02)}
    milk = base["milk"]["daily_kg_by_month"][5]["p50"]
    assert base["rations_per_day_by_month"][5]["p50"] == pytest.approx(
        milk / MILK_KG_PER_RATION)
    assert new["rations_per_day_by_month"][5]["p50"] == pytest.approx(
        milk / (2 * MILK_KG_PER_RATION))
    assert new["rations_200ml_per_day_by_month"] == new["rations_per_day_by_month"]
    np.testing.assert_allclose(fg.monthly_milk(twice)["rations_p50"],
                               fg.monthly_milk(result)["rations_p50"] / 2)
    for figure in (fg.milk_figure, fg.monthly_milk_figure):
        assert _ration_axis_top(figure(twice)) == pytest.approx(
            _ration_axis_top(figure(result)) / 2)
    (note,) = [t.get_text() for t in fg.monthly_milk_figure(twice).axes[0].texts]
    p50 = float(fg.monthly_milk(twice)["p50"].min())
    assert f"≈ {p50 / (2 * MILK_KG_PER_RATION):,.0f} rations/day" in note
    text = render_report(twice)
    assert "206 g" in report_html and "206 g" not in text
    assert "(412 g, from 0.420 kg of raw milk)" in text and "200 ml" not in text
    # fresh milk not served to school children: milk still counts in the bundled ration
    none = result.scenario.model_copy(update={"products": ProductOverrides(
        fresh_milk=ProductOverride(serving_g=Servings(age_6_11=0.0)))})
    assert HerdResult(result.data, none).ration == result.ration
