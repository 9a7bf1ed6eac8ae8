"""The demo's invitation list: every relationship-survey response of the last four quarters answers
an invitation, and about three customers like its respondent were invited and stayed silent (a
response rate near 25%). Planted: new customers (tenure SILENT_TENURE) answer far less, about one in
sixteen, and customers invited by SMS somewhat less. Deterministic: every draw is a fixed function
of the response's key (the demo's splitmix64 hash)."""

from __future__ import annotations

from .period import add_months, month_start

SOURCE = "relationship_survey"
SILENT_TENURE = "0-6m"
WAVES = 4  # quarters of invitations, up to the last day of the data


def add_invitations(db) -> int:
    """Store the demo's invitation list with the demo's upload (removed with it). Returns the
    number of invitations."""
    import numpy as np
    import pyarrow as pa

    from .demo import _mix64, _unit
    from .sql import dim_column

    cur = db.cursor()
    last = cur.execute("SELECT max(responded_at)::DATE FROM responses").fetchall()[0][0]
    # The list belongs to the demo's (last) upload: one row in the history, removed with the demo.
    upload_id, listed = cur.execute(
        """SELECT max(upload_id), (SELECT count(*) FROM invitation_holds WHERE upload_id IN (
                  SELECT upload_id FROM uploads WHERE layout = 'demo' AND removed_at IS NULL))
           FROM uploads WHERE layout = 'demo' AND removed_at IS NULL""").fetchall()[0]
    if last is None or upload_id is None or listed:  # loading the demo again adds no second list
        return 0
    quarter = month_start(last).replace(month=(last.month - 1) // 3 * 3 + 1)
    start = add_months(quarter, -3 * (WAVES - 1))
    dims = [d for d in ("region", "tier", "tenure_band", "language", "channel")
            if cur.execute("SELECT count(*) FROM labels WHERE dim = ?", ["seg_" + d]).fetchall()[0][0]]
    labels = "".join(f", (SELECT label FROM labels l WHERE l.dim = 'seg_{d}' AND l.code = r.{dim_column(d)}) AS {d}"
                      for d in dims)
    responders = cur.sql(
        f"""SELECT r.response_key, r.customer_id, epoch(r.responded_at) AS t,
                   strftime(r.responded_at, '%Y') || '-Q' || quarter(r.responded_at) AS wave{labels}
            FROM responses r JOIN sources s USING (source_id)
            WHERE s.name = ? AND r.customer_id IS NOT NULL AND r.responded_at >= ?
              AND r.upload_id IN (SELECT upload_id FROM uploads WHERE layout = 'demo')
            ORDER BY r.response_key""", params=[SOURCE, start]).to_arrow_table()
    n = responders.num_rows
    if not n:
        return 0
    keys = responders["response_key"].to_numpy().astype(np.uint64)

    def draw(i: int) -> np.ndarray:
        return _unit(_mix64(keys * np.uint64(16) + np.uint64(i)))

    silent = np.full(n, 3.0)
    if "tenure_band" in dims:
        silent = np.where(responders["tenure_band"].to_numpy(zero_copy_only=False) == SILENT_TENURE, 15.0, silent)
    if "channel" in dims:
        silent = silent + np.where(responders["channel"].to_numpy(zero_copy_only=False) == "sms", 1.0, 0.0)
    others = np.floor(silent + draw(0) - 0.5).clip(0).astype(np.int64)
    # Invited 1 hour to 3 days before answering; the silent ones at the same time.
    invited = responders["t"].to_numpy() - (3600 + draw(1) * 3 * 86400)
    import pyarrow.compute as pc

    silent_rows = np.repeat(np.arange(n), others)
    # The k-th silent customer beside a respondent is "S<key>-<k>".
    nth = np.arange(len(silent_rows)) - np.repeat(np.cumsum(others) - others, others) + 1
    rows = np.concatenate([np.arange(n), silent_rows])
    copy = np.concatenate([np.zeros(n, dtype=np.int64), nth])
    silent_ids = pc.binary_join_element_wise(
        "S", pa.array(keys[silent_rows]).cast(pa.string()), "-", pa.array(nth).cast(pa.string()), "")
    ids = pa.concat_arrays([responders["customer_id"].combine_chunks().cast(pa.string()), silent_ids])
    table = pa.table({
        "source": pa.array([SOURCE] * len(rows)),
        "customer_id": ids,
        "invited_at": pa.array(np.round((invited[rows] + copy * 60) * 1e6).astype(np.int64)).cast(pa.timestamp("us", tz="UTC")),
        "wave": responders["wave"].take(pa.array(rows)),
        **{f"seg_{d}": responders[d].take(pa.array(rows)) for d in dims},
    })
    with db.transaction(cur):
        from .invitations import add_segment_columns, follow_answers

        # Checked again inside the write: a list another session stored meanwhile stays the only one.
        if cur.execute("SELECT count(*) FROM invitation_holds WHERE upload_id = ?", [upload_id]).fetchall()[0][0]:
            return 0

        add_segment_columns(cur, dims)
        base = cur.execute("SELECT coalesce(max(invitation_id), 0) FROM invitations").fetchall()[0][0]
        cur.register("demo_invitations", table)
        try:
            cols = ", ".join(["source", "customer_id", "invited_at", "wave", *(dim_column(d) for d in dims)])
            cur.execute(f"""INSERT INTO invitations (invitation_id, upload_id, {cols})
                            SELECT ? + row_number() OVER (ORDER BY invited_at, customer_id), ?, {cols}
                            FROM demo_invitations""", [base, upload_id])
            cur.execute("INSERT INTO invitation_holds SELECT invitation_id, ? FROM invitations WHERE invitation_id > ?",
                        [upload_id, base])
            # Each invitation's first answer; the demo's list is usually the only one (then all of them).
            follow_answers(cur, None if not base else
                           "SELECT DISTINCT lower(source), customer_id FROM invitations WHERE invitation_id > ?",
                           [base] if base else None)
        finally:
            cur.unregister("demo_invitations")
    return table.num_rows
