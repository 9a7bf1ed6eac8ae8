"""Command line: `python -m cxdata ingest|pyramid|demo ...` — the automation face of the library."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import queries, service
from .db import StorageError
from .stats import DECIMALS
from .model import ModelError
from .loop import LoopError
from .access import AccessError
from .model_versions import VersionError
from .view import QUEUES, ViewError, ViewState


_DB_HELP = "database file (default: $CX_DB or data/cx.duckdb)"
_MODEL_HELP = "pyramid model YAML (default: the one the database was loaded with)"


def _view_options(p: argparse.ArgumentParser, *, of: str = "") -> None:
    """The options every figure command shares: the database, the model, the period and filters."""
    p.add_argument("--db", help=_DB_HELP)
    p.add_argument("--model", help=_MODEL_HELP)
    p.add_argument("--from", dest="start", metavar="DATE", help=f"first day{of} (YYYY-MM-DD); with --to")
    p.add_argument("--to", dest="end", metavar="DATE", help="last day, inclusive")
    p.add_argument("--period", default=None, help="a preset instead of --from/--to (latest_quarter, last_12_months, ...)")
    p.add_argument("--where", action="append", default=[], metavar="DIM=VALUE", help="segment filter; repeat for more")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cxdata", description="CX Pyramid: load survey data and compute the measurement pyramid.")
    sub = parser.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", help="load survey files into the database")
    ing.add_argument("files", nargs="+", metavar="FILE")
    ing.add_argument("--db", help=_DB_HELP)
    ing.add_argument("--model", help="pyramid model YAML; remembered by the database for the app")
    ing.add_argument("--json", action="store_true", help="print the receipts as JSON")
    ing.add_argument("--dates", choices=["day-first", "month-first"],
                     help="the order of day and month when every date in a file could be read either way")
    ing.add_argument("--timezone", metavar="ZONE",
                     help="time zone of times written without an offset (e.g. Europe/Berlin; default: detected, else UTC)")
    ing.add_argument("--encoding", metavar="NAME",
                     help="text encoding of the files (e.g. cp1256), instead of detecting it")
    ing.add_argument("--source", metavar="NAME",
                     help="the survey source to store the responses under (lower-case letters, digits, _; default: "
                          "the saved mapping's, else the tool's name, or <tool>_2 for another survey of that tool)")
    ing.add_argument("--allow-losses", action="store_true",
                     help="load a file even where it would take from many stored responses their touchpoint, team, "
                          "answer time, answers or comment (a survey's re-export does not: such a file is refused, "
                          "as it is most likely read with another mapping than before)")
    ing.add_argument("--sheet", metavar="NAME",
                     help="the sheet of a workbook that holds the responses (default: the one whose header reads as survey answers, else the one with the most rows)")

    pyr = sub.add_parser("pyramid", help="print the pyramid for a period")
    _view_options(pyr)
    pyr.add_argument("--compare", default="previous", choices=["previous", "year", "none"])
    pyr.add_argument("--json", action="store_true", help="print JSON (default: a table)")

    dk = sub.add_parser("deck", help="write a view's slides (index, journey, touchpoint, team, comments) to a PDF or "
                                     "PowerPoint file")
    dk.add_argument("out", metavar="FILE", help="the file to write: .pdf or .pptx")
    _view_options(dk)
    dk.add_argument("--compare", default="previous", choices=["previous", "year", "none"])
    dk.add_argument("--journey", metavar="KEY", help="the story goes through this journey")
    dk.add_argument("--touchpoint", metavar="KEY", help="... down to this touchpoint")
    dk.add_argument("--team", metavar="KEY", help="... down to this team (and its touchpoint)")

    drv = sub.add_parser("drivers", help="print the key drivers of the index (or another measure)")
    _view_options(drv)
    drv.add_argument("--outcome", metavar="MEASURE", help="the measure to explain (default: the index's)")
    drv.add_argument("--by", metavar="DIM", help="also per value of this segment")
    drv.add_argument("--json", action="store_true", help="print JSON (default: a table)")

    lp = sub.add_parser("loop", help="print the cases of closing the loop: figures per owner and the list to follow up")
    _view_options(lp)
    owner = lp.add_mutually_exclusive_group()
    owner.add_argument("--team", metavar="KEY", help="the cases of one team")
    owner.add_argument("--touchpoint", metavar="KEY", help="the cases of a touchpoint and its teams")
    owner.add_argument("--unrouted", action="store_true", help="the cases no team or touchpoint owns")
    lp.add_argument("--cases", default="open", choices=list(QUEUES), help="which cases to list (default: open)")
    lp.add_argument("--limit", type=int, default=50, help="list at most this many cases (default 50)")
    lp.add_argument("--json", action="store_true", help="print JSON (default: a table)")

    case = sub.add_parser("case", help="set the status, team or note of cases (closing the loop)")
    case.add_argument("refs", nargs="+", metavar="SOURCE:RESPONSE_ID", help="the cases, by their survey source and response id")
    case.add_argument("--db", help=_DB_HELP)
    case.add_argument("--model", help=_MODEL_HELP)
    case.add_argument("--status", choices=["new", "contacted", "resolved"])
    route = case.add_mutually_exclusive_group()
    route.add_argument("--team", metavar="KEY", help="route the cases to this team")
    route.add_argument("--auto-route", action="store_true", help="give the cases back to the automatic routing")
    case.add_argument("--note", help="a note for the cases' history")
    case.add_argument("--by", help="who made the change (recorded in the history)")

    inv = sub.add_parser("invitations", help="load invitation lists (the customers surveys were sent to)")
    inv.add_argument("files", nargs="+", metavar="FILE")
    inv.add_argument("--db", help=_DB_HELP)
    inv.add_argument("--model", help=_MODEL_HELP)
    inv.add_argument("--source", metavar="NAME", help="the survey source of lists without a source column")
    inv.add_argument("--dates", choices=["day-first", "month-first"],
                     help="the order of day and month when every date in a file could be read either way")
    inv.add_argument("--timezone", metavar="ZONE", help="time zone of times written without an offset (default UTC)")
    inv.add_argument("--encoding", metavar="NAME", help="text encoding of the files, instead of detecting it")
    inv.add_argument("--sheet", metavar="NAME", help="the sheet of a workbook that holds the list")
    inv.add_argument("--json", action="store_true", help="print the receipts as JSON")

    rr = sub.add_parser("response-rates", help="print response rates of the invitations, by source, wave and segment")
    _view_options(rr, of=" of invitation")
    rr.add_argument("--json", action="store_true", help="print JSON (default: a table)")

    mdl = sub.add_parser("model", help="the model's versions edited in the app: list, print, save a new one")
    mdl.add_argument("--db", help=_DB_HELP)
    mdl.add_argument("--show", type=int, metavar="N", nargs="?", const=-1,
                     help="print the text of version N (without N: the version in use; 0: the file)")
    mdl.add_argument("--save", metavar="FILE", help="save this YAML file's text as the next version of the model in use")
    mdl.add_argument("--note", help="with --save: what changed, and why")
    mdl.add_argument("--by", help="with --save: who saves it")

    acc = sub.add_parser("access", help="check an access file (CX_ACCESS): who sees what")
    acc.add_argument("file", help="the access YAML file")
    acc.add_argument("--db", help="check it against the model this database uses (its newest version edited in "
                                  "the app), as the app will")
    acc.add_argument("--model", help="the pyramid model whose teams it names (default: $CX_MODEL, else the database's "
                                     "model with --db, else the demo model)")
    acc.add_argument("--who", action="append", default=[], metavar="NAME",
                     help="print what this signed-in address or name would see; repeat for more")

    demo = sub.add_parser("demo", help="fill a database with the deterministic demo data")
    demo.add_argument("--db", help=_DB_HELP)
    demo.add_argument("--rows", type=int, default=service.DEMO_RESPONSES, help="number of responses")
    return parser


# Text from uploaded files (a response id, a comment, a segment value) may hold control
# characters; printed as they are, a terminal runs them as escape sequences (colours, a cleared
# screen, a window title). They are written as \u001b instead: readable in the text output, and
# in JSON (which escapes C0 itself but not DEL and C1) the very escape JSON has for them.
_CONTROLS = {c: f"\\u{c:04x}" for c in (*range(0x00, 0x09), *range(0x0b, 0x20), 0x7f, *range(0x80, 0xa0))}


class _Visible:
    """A text stream that writes control characters (but newlines and tabs) as visible escapes."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(text.translate(_CONTROLS))

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Visible(sys.stdout), _Visible(sys.stderr)
    try:
        return _run(args)
    finally:
        sys.stdout, sys.stderr = streams


def _run(args) -> int:
    try:
        return {"ingest": _ingest, "pyramid": _pyramid, "deck": _deck, "drivers": _drivers, "loop": _loop, "case": _case,
                "invitations": _invitations, "response-rates": _response_rates, "access": _access, "model": _model, "demo": _demo}[args.command](args)
    except (ModelError, StorageError, ViewError, service.ServiceError, LoopError, AccessError, VersionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # A reader that stopped early (`| head`) wants no traceback: what is left goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _ingest(args) -> int:
    db = service.open_db(args.db)
    model = service.load_model_for(db, args.model)
    if args.model:
        service.remember_model(db, args.model)
    failed = 0
    receipts = []
    for path in args.files:
        result = service.ingest_file(db, model, Path(path), encoding=args.encoding, sheet=args.sheet,
                                     dayfirst=None if args.dates is None else args.dates == "day-first",
                                     timezone=args.timezone, source=args.source, allow_losses=args.allow_losses)
        receipts.append(result)
        if result["status"] != "loaded":
            failed += 1
        if not args.json:
            print(_receipt_line(result), file=sys.stderr if result["status"] != "loaded" else sys.stdout)
    if args.json:
        print(json.dumps(receipts, ensure_ascii=False, indent=2, default=str))
    return 1 if failed else 0


# What the command line offers for a refusal the Upload page settles with a question.
_CLI_HINTS = {
    "ambiguous_dates": " (use --dates day-first or --dates month-first)",
    "bad_timezone": " (--timezone takes an IANA name)",
    "bad_encoding": " (leave out --encoding to detect it)",
    "losses": " (nothing was loaded; if the file is right, load it with --allow-losses)",
}


def _receipt_line(r: dict) -> str:
    if r["status"] != "loaded":
        hint = _CLI_HINTS.get(r.get("code"), "")
        return f"{r['file']}: REFUSED — {r['error']}{hint}"
    line = (f"{r['file']}: {r['rows_read']} rows read; responses {r['added']} added, {r['updated']} updated, "
            f"{r['unchanged']} unchanged; {r['rejected_count']} rows rejected, {r['excluded_count']} excluded"
            + (f", {r['skipped_count']} empty skipped" if r.get("skipped_count") else ""))
    return "\n".join([line, *(f"  warning: {w}" for w in r.get("warnings") or ())])


def _view_of(args, model) -> ViewState:
    """The view the arguments ask for (--from/--to or --period, --where, --compare)."""
    params: dict[str, str | list[str]] = {"compare": getattr(args, "compare", "previous")}
    if args.start or args.end:
        if not (args.start and args.end):
            raise ViewError(["--from and --to go together"])
        params.update({"period": "custom", "from": args.start, "to": args.end})
    elif args.period:
        params["period"] = args.period
    for item in args.where:
        dim, sep, value = item.partition("=")
        if not sep or not dim:
            raise ViewError([f"--where {item!r}: use DIM=VALUE"])
        existing = params.get(dim.strip(), [])
        params[dim.strip()] = [*([existing] if isinstance(existing, str) else existing), value]
    for param, name in (("journey", "journey"), ("tp", "touchpoint"), ("team", "team")):
        if getattr(args, name, None):
            params[param] = getattr(args, name)
    view, _ = ViewState.from_query_params(params, model, strict=True)
    return view


def _checked(db, model, view, extra=None):
    cat = queries.catalog(db.cursor(), model)  # read once, for the filter check and the figures
    view, unknown = service.check_filter_values(db, model, view, cat, strict=True, extra=extra)
    if unknown:
        raise ViewError(unknown)
    return view, cat


def _pyramid(args) -> int:
    db = service.open_db(args.db, read_only=True)
    model = service.load_model_for(db, args.model)
    view, cat = _checked(db, model, _view_of(args, model))
    result = service.pyramid_json(db, model, view, cat)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(_table(result))
    return 0


def _deck(args) -> int:
    """The slides the app's Slides and PDF buttons give for the same view: for a review's deck
    made on a schedule (a weekly PDF of the pyramid, say) without opening the app."""
    from . import deck, drill, pyramid
    from .formats import deck_title

    out = Path(args.out)
    kind = out.suffix.lower()
    if kind not in (".pdf", ".pptx"):
        raise service.ServiceError(f"{args.out}: the deck's file name ends in .pdf or .pptx")
    db = service.open_db(args.db, read_only=True)
    model = service.load_model_for(db, args.model)
    view, cat = _checked(db, model, _view_of(args, model))
    cur = db.cursor()
    p = pyramid.build(cur, model, cat, view)
    slides = deck.story_slides(cur, model, cat, view, p, demo=service.is_demo(db, cur))
    named = deck.named_after(view, model, p, lambda dim, kpis: drill.split(cur, model, cat, view, dim, kpis=kpis))
    title = deck_title(view, model, p.period.label(), named[1])
    if kind == ".pdf":
        from . import deck_pdf

        data = deck_pdf.pdf(slides, footer=model.name, title=title)
    else:
        data = deck.pptx(slides, footer=model.name, title=title)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise service.ServiceError(f"Cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"{out}: {len(slides)} slides ({', '.join(s.title for s in slides)})")
    return 0


def _drivers(args) -> int:
    db = service.open_db(args.db, read_only=True)
    model = service.load_model_for(db, args.model)
    view, cat = _checked(db, model, _view_of(args, model))
    result = service.drivers_json(db, model, view, args.outcome, args.by, cat)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    lines = [f"{result['model']} — drivers of {result['outcome']['name']}, {result['period']['label']}"]
    for part in [result["all"], *result["segments"]]:
        head = part["segment"] or "All responses"
        if part["status"] in ("hidden", "no_data", "flat") or not part["drivers"]:
            why = {"no_data": "no responses", "flat": "every response gave the same answer"}.get(
                part["status"], "hidden (too few responses)")
            lines.append(f"{head}: {why}")
            continue
        r2 = "—" if part["r_squared"] is None else f"{part['r_squared']:.3f}"
        lines.append(f"{head}: n={part['responses']}, R²={r2}")
        if part["status"] == "low_n":
            lines.append("  note: few responses: a first sign, not a finding")
        lines.extend(f"  note: {note}" for note in part["notes"])
        width = max((len(d["name"]) for d in part["drivers"]), default=0)
        for d in part["drivers"]:
            if d["status"] == "hidden":
                lines.append(f"  {d['name']:<{width}}  hidden")
                continue
            r = "—" if d["r"] is None else f"{d['r']:.3f}"
            perf = "" if d["performance"] is None else f"  perf={d['performance']:.1f}"
            n = "" if d["n"] is None else f"  n={d['n']}"
            lines.append(f"  {d['name']:<{width}}  {d['importance']:5.1f}%  [{d['importance_low']:.1f}, "
                         f"{d['importance_high']:.1f}]  r={r}{perf}  {d['quadrant_name'] or ''}{n}")
    print("\n".join(lines))
    return 0


def _loop(args) -> int:
    db = service.open_db(args.db, read_only=True)
    model = service.load_model_for(db, args.model)
    view, cat = _checked(db, model, _view_of(args, model))
    if args.team:
        team = model.team(args.team)
        if team is None:
            raise ViewError([f"Unknown team {args.team!r}: the model's teams are {', '.join(t.key for t in model.teams)}."])
        view = view.drill(team.touchpoint, team.key)
    elif args.touchpoint:
        if model.touchpoint(args.touchpoint) is None:
            raise ViewError([f"Unknown touchpoint {args.touchpoint!r}: the model's touchpoints are "
                             f"{', '.join(t.key for t in model.touchpoints)}."])
        view = view.drill(args.touchpoint)
    if not 0 <= args.limit <= 100_000:
        raise ViewError(["--limit must be from 0 to 100000"])
    result = service.loop_json(db, model, view, which=args.cases, unrouted=args.unrouted, limit=args.limit, cat=cat)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    lines = [f"{result['model']} — closing the loop, {result['period']['label']}"]
    rows = [result["all"], *result["owners"]]
    width = max(len(r["name"]) for r in rows)
    lines.append(f"{'':<{width}}  {'cases':>7}  {'open':>7}  {'overdue':>7}  {'closure rate':>12}  95% CI")
    for r in rows:
        rate = ("hidden" if r["suppressed"] else "—" if r["closure_rate"] is None else
                f"{r['closure_rate']:.1f}%" + (" *" if r["low_n"] else ""))
        ci = "" if not r["closure_rate_ci"] else f"{r['closure_rate_ci'][0]:.1f} – {r['closure_rate_ci'][1]:.1f}"
        cases = "—" if r["cases"] is None else f"{r['cases']:,}"
        lines.append(f"{r['name']:<{width}}  {cases:>7}  {r['open']:>7,}  {r['overdue']:>7,}  {rate:>12}  {ci}")
    if any(r["suppressed"] for r in rows):
        lines.append("hidden: too few cases to show (privacy threshold), or hidden with such an owner beside it")
    listed = result["cases"]
    total = listed["total"]
    if total is None:  # (the resolved or all cases of a hidden owner: their count would give its rate)
        lines.append(f"{args.cases.capitalize()} cases" + (":" if listed["rows"] else ": none"))
    else:
        lines.append(f"{total:,} {args.cases} case{'' if total == 1 else 's'}"
                     + ("" if not listed["rows"] else
                        f", the first {len(listed['rows'])}:" if total > len(listed["rows"]) else ":"))
    for c in listed["rows"]:
        lines.append(f"  {c['source']}:{c['response_id']}  {c['responded_at'][:16].replace('T', ' ')}  "
                     f"{c['measure']}={c['value']:g}  {c['status']}{' (overdue)' if c['overdue'] else ''}  "
                     f"{c['owner'] or 'not routed'}")
    print("\n".join(lines))
    return 0


def _model(args) -> int:
    from . import model_versions
    from .db import db_path

    if not db_path(args.db).exists():  # a typo must not leave a new, empty database behind
        raise StorageError(f"There is no database at {db_path(args.db)}.")
    if service.model_pinned():
        raise service.ServiceError("CX_MODEL names a model file: versions apply to the model the database uses; "
                                   "unset CX_MODEL to list or save them.")
    db = service.open_db(args.db)
    cur = db.cursor()
    base = service.model_path_for(db, cur=cur)
    if args.save:
        try:
            text = Path(args.save).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise VersionError(f"Cannot read {args.save}: {exc}") from None
        number = model_versions.save(db, base, text, by=args.by, note=args.note, check_model=_fits_access)
        print(f"saved version {number} of {base}")
        return 0
    if args.show is not None:
        version = model_versions.current(cur, base) if args.show == -1 else model_versions.get(cur, base, args.show)
        if version is None:
            raise VersionError(f"No version {args.show} of {base}.")
        sys.stdout.write(version.text)
        return 0
    in_use = model_versions.current(cur, base)
    print(f"{base}: version {in_use.version} in use" + ("" if in_use.version else " (the file; none saved in the app)"))
    for v in model_versions.history(cur, base):
        print(f"  {v.version:>4}  {v.saved_at:%Y-%m-%d %H:%M} UTC  {v.saved_by or '-'}  {v.note or ''}".rstrip())
    return 0


def _fits_access(model) -> None:
    """A model version that the access file (CX_ACCESS) no longer fits would close the app."""
    from . import access

    path = access.policy_path()
    if path is not None:
        access.load_policy(path, model)  # its AccessError names the entries the model would break


def _access(args) -> int:
    from . import access
    from .model import load_model

    if args.db:
        from .db import db_path

        if not db_path(args.db).exists():  # a typo must not leave a new, empty database behind
            raise StorageError(f"There is no database at {db_path(args.db)}.")
        model = service.load_model_for(service.open_db(args.db), args.model)
    else:
        model = load_model(service.chosen_model_path(None, args.model))
    policy = access.load_policy(args.file, model)
    for line in access.grants_text(policy, model):
        print(line)
    for who in args.who:
        print(f"{who} would see {policy.grant_for(who).describe(model)}")
    return 0


def _case(args) -> int:
    from . import loop

    from .db import db_path

    if not db_path(args.db).exists():  # a typo must not leave a new, empty database behind
        raise StorageError(f"There is no database at {db_path(args.db)}.")
    db = service.open_db(args.db)
    model = service.load_model_for(db, args.model)
    sources = dict(db.cursor().execute("SELECT name, source_id FROM sources").fetchall())
    refs = []
    for ref in args.refs:
        # A source's name may hold ':' itself: the longest stored name the reference starts with.
        source = max((name for name in sources if ref.startswith(name + ":")), key=len, default=None)
        if source is None:
            head, sep, rid = ref.partition(":")
            if not sep or not rid:
                raise LoopError(f"{ref!r}: write a case as SOURCE:RESPONSE_ID (e.g. ivr:ivr-00012345)")
            raise LoopError(f"Unknown survey source {head!r}: the database has {', '.join(sorted(sources)) or 'none'}.")
        rid = ref[len(source) + 1:]
        if not rid:
            raise LoopError(f"{ref!r}: the response id is missing after the source")
        refs.append((sources[source], rid))
    team = None if args.auto_route else args.team if args.team else loop.KEEP
    n = loop.update(db, model, refs, status=args.status, team=team, note=args.note, by=args.by)
    print(f"{n} case{'' if n == 1 else 's'} changed")
    return 0


def _invitations(args) -> int:
    db = service.open_db(args.db)
    model = service.load_model_for(db, args.model)
    failed, receipts = 0, []
    for path in args.files:
        r = service.load_invitations(db, model, Path(path), source=args.source, encoding=args.encoding, sheet=args.sheet,
                                     dayfirst=None if args.dates is None else args.dates == "day-first",
                                     timezone=args.timezone)
        receipts.append(r)
        if r["status"] != "loaded":
            failed += 1
            if not args.json:
                print(f"{r['file']}: REFUSED — {r['error']}", file=sys.stderr)
        elif not args.json:
            print(f"{r['file']}: {r['rows_read']} rows read; invitations {r['added']} added, {r['updated']} updated, "
                  f"{r['unchanged']} unchanged; {r['rejected_count']} rows rejected")
            for row, why in r["rejected"][:10]:
                print(f"  row {row}: {why}")
            print("".join(f"  warning: {w}\n" for w in r["warnings"]), end="")
    if args.json:
        print(json.dumps(receipts, ensure_ascii=False, indent=2, default=str))
    return 1 if failed else 0


def _response_rates(args) -> int:
    from . import invitations

    db = service.open_db(args.db, read_only=True)
    model = service.load_model_for(db, args.model)
    # A segment value only the invitation list has (how a customer was invited) filters it too.
    view, cat = _checked(db, model, _view_of(args, model), extra=invitations.values_by_segment(db.cursor(), model))
    result = service.rates_json(db, model, view, cat)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0

    def line(name: str, r: dict) -> str:
        if r["invited"] == 0:
            return f"  {name:<24}  no invitations"
        if r["suppressed"]:
            return f"  {name:<24}  hidden (too few invitations)"
        rate = "—" if r["rate"] is None else f"{r['rate']:.1f}%" + (" *" if r["low_n"] else "")
        vs = "" if r["rest_rate"] is None else f"  rest {r['rest_rate']:.1f}%{' (significant)' if r['significant'] else ''}"
        return f"  {name:<24}  {rate:>8}  {r['responded']:>7,} of {r['invited']:>7,}{vs}"

    lines = [f"{result['model']} — response rates of the invitations sent in {result['period']['label']}",
             line("All invitations", result["all"])]
    for dim, rows in result["by"].items():
        lines.append(result["dimensions"][dim])
        lines.extend(line(str(r["value"]), r) for r in rows)
    if result["silent"]:
        lines.append("Answering least, against the rest of the list: " + ", ".join(
            f"{r['dimension']}={r['value']} ({r['rate']:.1f}% vs {r['rest_rate']:.1f}%)" for r in result["silent"][:5]))
    print("\n".join(lines))
    return 0


def _table(result: dict) -> str:
    lines = [f"{result['model']} — {result['period']['label']}"
             + (f" vs {result['comparison']['label']}" if result.get("comparison") else "")]
    if result.get("comparison_note"):  # why the comparison asked for is not made
        lines.append(result["comparison_note"])
    if result["empty"]:
        lines.append("No responses in this period for these filters.")
    # Journeys head their touchpoints, each with its teams; without journeys the touchpoints come
    # first, then the teams, as before journeys were.
    journeys = result.get("journeys", [])
    nodes = [result["index"]]
    if not journeys:
        nodes += [*result["touchpoints"], *result["teams"]]
    for j in [*dict.fromkeys(r["key"] for r in journeys), None] if journeys else ():  # then those in none
        nodes += [r for r in journeys if j is not None and r["key"] == j]
        for tp in dict.fromkeys(r["key"] for r in result["touchpoints"] if r["parent"] == j):
            nodes += [r for r in result["touchpoints"] if r["key"] == tp]
            nodes += [r for r in result["teams"] if r["parent"] == tp]
    deep = "  " if journeys else ""
    indent = {"index": "", "journey": "  ", "touchpoint": "  " + deep, "team": "    " + deep}
    # Columns as wide as their longest entry: a fixed width broke the alignment at the first long KPI name.
    name_w = max((len(indent[n["level"]] + n["name"]) for n in nodes), default=0)
    kpi_w = max((len(n["kpi_name"]) for n in nodes), default=0)
    for node in nodes:
        # As many decimals as the page shows ("81.0", not "81").
        d = DECIMALS.get(node["stat"], 2)
        value = "hidden" if node["suppressed"] else ("—" if node["value"] is None else f"{node['value']:.{d}f}")
        # The deltas are rounded: -0 and +0 are no change, as on the page.
        change = "" if node["delta"] is None else ("±0" if node["delta"] == 0 else f"{node['delta']:+.{d}f}")
        delta = f"  Δ {change}{' *' if node['significant'] else ''}" if change else ""
        name = indent[node["level"]] + node["name"]
        lines.append(f"{name:<{name_w}}  {node['kpi_name']:<{kpi_w}}  {value:>8}  "
                     f"n={node['n'] if node['n'] is not None else '-'}{delta}")
    return "\n".join(lines)


def _demo(args) -> int:
    db = service.open_db(args.db)
    if not db.is_new():
        # Fictional responses among real ones would pass for them in every figure (found by a new
        # user's walk: the demo's 2026 quarter became the real data's latest).
        print(f"{db.path} already holds data: the demo goes only into a new database (another --db).", file=sys.stderr)
        return 2
    n = service.load_demo(db, args.rows)
    print(f"demo data: {n} responses in {db.path}")
    return 0
