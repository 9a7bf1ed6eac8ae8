"""The demo's history of closing the loop: most unhappy customers were called back, most of those
cases resolved, with one team far behind (LAGGING_TEAM), so the Close the loop page has something
true to show. Deterministic: every draw is a fixed function of the response's key (the demo's
splitmix64 hash)."""

from __future__ import annotations

from datetime import date, timedelta

from . import loop, queries
from .model import Model
from .period import Period
from .view import ViewState

LAGGING_TEAM = "cc_europe"  # calls back about half its unhappy customers, and slowly
NOTES = (
    "Called the customer, apologised and explained what went wrong.",
    "Refunded the delivery fee; customer satisfied.",
    "Left a voicemail and sent an email.",
    "Escalated to the team lead; fix promised for next week.",
    "Customer did not want to talk; noted the feedback.",
    "Replaced the product; customer thanked us.",
)


def add_history(db, model: Model) -> int:
    """Give the demo's cases a status and a history, as if the teams had worked them up to the
    last day of the data. Returns the number of cases touched."""
    import numpy as np
    import pyarrow as pa

    from .demo import _mix64, _unit

    cur = db.cursor()
    cat = queries.catalog(cur, model)
    if not cat.responses or not model.loop.rules:
        return 0
    end = cat.as_of + timedelta(days=1)
    sql, params = loop._cases_sql(model, cat, ViewState(period="all"), Period(cat.first, end))
    # The demo's own cases, and only those nobody has acted on: loading the demo again, or beside
    # real data, writes no second history and none onto a real customer's case.
    cases = cur.sql(f"""SELECT q.response_key, r.source_id, r.source_response_id, epoch(q.responded_at) AS t,
                               coalesce(q.owner, '') AS owner
                        FROM ({sql}) q JOIN responses r USING (response_key)
                        WHERE r.upload_id IN (SELECT upload_id FROM uploads WHERE layout = 'demo')
                          AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.source_id = r.source_id
                                          AND c.source_response_id = r.source_response_id)
                        ORDER BY q.response_key""", params=params).to_arrow_table()
    keys = cases["response_key"].to_numpy().astype(np.uint64)

    def draw(n: int) -> np.ndarray:
        return _unit(_mix64(keys * np.uint64(8) + np.uint64(n)))

    owner = cases["owner"].to_numpy(zero_copy_only=False)
    lagging, unrouted = owner == f"team:{LAGGING_TEAM}", owner == ""
    # Contacted: 90% (half at the lagging team, 60% of the cases no team owns), 4-64 hours after
    # the response (12-132 at the lagging team); resolved: 80% of those, 2-122 hours later.
    # Nothing after the last day of the data.
    reached = draw(0) < np.where(lagging, 0.5, np.where(unrouted, 0.6, 0.9))
    hours = np.where(lagging, 12 + 120 * draw(1), 4 + 60 * draw(1))
    contacted = cases["t"].to_numpy() + hours * 3600
    resolved = contacted + (2 + 120 * draw(3)) * 3600
    last = (end - date(1970, 1, 1)).total_seconds()
    reached &= contacted < last
    settled = (draw(2) < 0.8) & (resolved < last)
    note = np.array(NOTES, dtype=object)[(draw(4) * len(NOTES)).astype(int)]
    worked = pa.table({
        "response_key": cases["response_key"].filter(pa.array(reached)),
        "source_id": cases["source_id"].filter(pa.array(reached)),
        "source_response_id": cases["source_response_id"].filter(pa.array(reached)),
        "contacted": pa.array(contacted[reached]),
        "resolved": pa.array(np.where(settled, resolved, np.nan)[reached], from_pandas=True),
        "note": pa.array(note[reached], pa.string()),
    })
    with db.transaction(cur):
        cur.register("demo_cases", worked)
        try:
            # Checked again inside the write: a case written meanwhile keeps its one history.
            cur.execute("""CREATE OR REPLACE TEMP TABLE fresh_cases AS SELECT * FROM demo_cases d WHERE NOT EXISTS (
                               SELECT 1 FROM cases c WHERE c.source_id = d.source_id
                               AND c.source_response_id = d.source_response_id)""")
            cur.execute("""INSERT INTO cases (response_key, source_id, source_response_id, status, note, contacted_at,
                                              resolved_at, updated_at, updated_by)
                           SELECT response_key, source_id, source_response_id, CASE WHEN resolved IS NULL THEN 'contacted' ELSE 'resolved' END,
                                  note, to_timestamp(contacted), to_timestamp(resolved),
                                  to_timestamp(coalesce(resolved, contacted)), 'demo'
                           FROM fresh_cases""")
            cur.execute("""INSERT INTO case_events
                           SELECT source_id, source_response_id, to_timestamp(contacted), 'demo', 'contacted', NULL, note
                           FROM fresh_cases
                           UNION ALL
                           SELECT source_id, source_response_id, to_timestamp(resolved), 'demo', 'resolved', NULL, NULL
                           FROM fresh_cases WHERE resolved IS NOT NULL""")
            cur.execute("DROP TABLE temp.fresh_cases")
        finally:
            cur.unregister("demo_cases")
    return worked.num_rows
