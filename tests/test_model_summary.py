"""cxdata.model_summary: the model in tables, as the Model page shows it."""

from cxdata import model_summary, service
from cxdata.model import load_model

DEMO = load_model(service.DEMO_MODEL)


def test_each_kpi_is_defined_once_and_the_nodes_show_it_as_a_column():
    # Found in a review: every node's KPIs in words in one cell ('CSAT (top-box % of Satisfaction
    # 1–5), target 80; CSAT mean (mean o…') was cut at 1400 px.
    frames = model_summary.frames(DEMO)
    kpis = frames["kpis"].set_index("Key")
    assert list(kpis.index) == ["nps", "csat", "csat_mean", "ces", "tp_sat", "resolved"]
    assert kpis.loc["csat", ["KPI", "Statistic", "Question", "Scale"]].tolist() == ["CSAT", "top-box % (4–5)",
                                                                                  "Satisfaction", "1–5"]
    assert kpis.loc["ces", "KPI"] == "Effort (CES) /7"  # a mean's column says its scale, as its tile
    assert kpis.loc["nps", "Statistic"] == "NPS (9–10 less 0–6)"
    tps = frames["touchpoints"].set_index("Key")
    assert list(tps.columns) == ["Touchpoint", "Weight", "CSAT", "CSAT mean /5", "Effort (CES) /7",
                                 "Relationship satisfaction /5", "Resolved", "Teams"]
    assert tps.loc["website", ["CSAT", "CSAT mean /5", "Resolved"]].tolist() == ["82", "✓", ""]
    assert tps.loc["call_center", ["Effort (CES) /7", "Resolved"]].tolist() == ["5", "75"]
    assert frames["touchpoint_names"].set_index("Touchpoint").loc["Delivery", "Also called"].startswith("Shipping")
    teams = frames["teams"].set_index("Key")
    assert teams.loc["delivery_tehran", "CSAT"] == "82" and teams.loc["cc_north", "Resolved"] == "75"
    assert "Headline KPI" not in teams.columns and model_summary.headline(DEMO.teams) == "CSAT"


def test_a_node_that_defines_a_kpi_otherwise_says_so_and_headlines_that_differ_get_a_column():
    from dataclasses import replace

    from cxdata.model import KPI

    app = DEMO.touchpoint("mobile_app")  # the second: the column is the first's (the website's mean)
    other = replace(app, kpis=(KPI("ces", "Effort (CES)", "top_box", "ces", 60.0), *app.kpis[:1]))
    model = replace(DEMO, touchpoints=(DEMO.touchpoints[0], other, *DEMO.touchpoints[2:]))
    tps = model_summary.frames(model)["touchpoints"].set_index("Key")
    assert tps.loc["mobile_app", "Effort (CES) /7"] == "Effort (CES) (top-box % of Ease of effort 1–7), target 60"
    assert tps.loc["website", "Effort (CES) /7"] == "5.5"
    assert tps.loc["mobile_app", "Headline KPI"] == "Effort (CES)" and tps.loc["store", "Headline KPI"] == "CSAT"


def test_segments_are_listed_by_their_labels():
    # Found in a review: 'en, fa, ar, he, bg' and 'in_app, email, sms, ivr, chat_widget'.
    seg = model_summary.frames(DEMO)["segments"].set_index("Key")["Values in order"]
    assert seg["language"] == "English, Persian, Arabic, Hebrew, Bulgarian"
    assert seg["channel"] == "In-app, Email, SMS, Phone (IVR), Chat widget"
    assert seg["region"].startswith("Tehran, Isfahan")  # no labels: the values as they are


def test_the_model_in_use_is_named_by_its_name_and_version_not_its_path():
    assert model_summary.in_use_text("Zelvora CX", 3, saved="01 Jul 2026 09:00 UTC", by="sara", note="targets") == \
        "Zelvora CX · version 3, saved 01 Jul 2026 09:00 UTC by sara: “targets”."
    assert model_summary.in_use_text("Zelvora CX", None) == \
        "Zelvora CX · as its file has it: no version has been edited in the app."
    assert "CX_MODEL" in model_summary.in_use_text("Zelvora CX", None, pinned=True)
