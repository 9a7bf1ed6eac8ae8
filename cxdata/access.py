"""Who may see what: an optional access file (``CX_ACCESS``) turned into one grant per person.

Without the file the dashboard is open to whoever reaches it, as a local tool is. With it, every
page asks who is signed in first (Streamlit's own login, or a trusted proxy's header) and shows
only what that person's grant allows:

- ``admin``: everything, and the writes that change what everyone sees (uploads, removals,
  invitation lists, cases, the model);
- ``viewer``: every figure and page, read only;
- ``team`` (an entry with ``teams:``): the rows of those teams and nothing computed from other
  rows: their tiles, their team views, their cases (which they work). The index, the touchpoints
  (their figures include other teams' customers), the segments heatmap, the key drivers and the
  response rates (computed over every customer) are not theirs to see, nor the Model page.

The file fails closed: a file that cannot be read or names a team the model lacks keeps every
page shut (its problems go to the server's log), never opens the dashboard to all.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
import yaml

from .model import Model

ROLES = ("admin", "viewer", "team")
SIGN_INS = ("streamlit", "proxy")
# The pages of the app by their URL path ("" is the pyramid) and the roles that open them.
PAGES = {
    "pyramid": ROLES,
    "team": ROLES,
    "loop": ROLES,
    "segments": ("admin", "viewer"),
    "drivers": ("admin", "viewer"),
    "rates": ("admin", "viewer"),
    "present": ("admin", "viewer"),
    "model": ("admin", "viewer"),
    "upload": ("admin",),
}
ENV = "CX_ACCESS"
# An address, or any name a proxy may send (a login name): one token, no spaces or controls.
_WHO_RE = re.compile(r"^[^\s\x00-\x1f\x7f*]{1,254}$")
_DOMAIN_RE = re.compile(r"^\*@([A-Za-z0-9.-]+\.[A-Za-z]{2,63})$")
_HEADER_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class AccessError(ValueError):
    """An access file that cannot be used; `problems` lists 'key.path: what is wrong'."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class Grant:
    """What one person may see and do. `teams`: team keys, for the role 'team'."""

    who: str | None
    role: str  # 'admin' | 'viewer' | 'team' | 'none'
    teams: tuple[str, ...] = ()

    @property
    def sees_all(self) -> bool:
        return self.role in ("admin", "viewer")

    @property
    def may_write(self) -> bool:
        """Uploads, removals, invitation lists: what changes everyone's figures."""
        return self.role == "admin"

    def may_open(self, page: str) -> bool:
        return self.role in PAGES.get(page, ())

    def sees_team(self, key: str | None) -> bool:
        return self.sees_all or (key is not None and key in self.teams)

    @property
    def may_work_cases(self) -> bool:
        """Set a case's status, route it, add a note (a team member: on the cases routed to them)."""
        return self.role in ("admin", "team")

    def describe(self, model: Model | None = None) -> str:
        if self.role == "team":
            names = [model.team(k).name if model and model.team(k) else k for k in self.teams]
            return "the rows of " + ", ".join(names)
        return {"admin": "everything (and uploads)", "viewer": "every figure, read only",
                "none": "nothing"}[self.role]


OPEN = Grant(None, "admin")  # no access file: the dashboard of a single user or a trusted network


@dataclass(frozen=True)
class Person:
    who: str  # as written: an address or name, or '*@domain'
    role: str
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    sign_in: str  # 'streamlit' | 'proxy'
    header: str | None  # the proxy's header naming the user
    provider: str | None  # Streamlit's named login provider ([auth.<name>] in secrets.toml), if several
    people: tuple[Person, ...]
    anyone_else: str  # 'none' | 'viewer'
    source: str = "<text>"

    def grant_for(self, who: str | None) -> Grant:
        """The grant of a signed-in person: their own entry, else their domain's, else anyone
        else's. Addresses compare without the case of their ASCII letters (mail servers treat them
        so in practice); a name that is not one clean address or sign-in name gets nothing."""
        name = identity(who)
        if name is None:
            return Grant(None, "none")
        folded = _fold(name)
        exact = {_fold(p.who): p for p in self.people if not p.who.startswith("*@")}
        person = exact.get(folded)
        if person is None and "@" in folded:
            domain = "*@" + folded.rsplit("@", 1)[1]
            person = next((p for p in self.people if _fold(p.who) == domain), None)
        if person is None:
            return Grant(name, self.anyone_else)
        return Grant(name, person.role, person.teams)


def identity(value: str | None) -> str | None:
    """A signed-in name as a login provider or proxy gave it, if it is one clean address or sign-in
    name: no spaces, commas or control characters (two names joined by a proxy), at most one '@',
    no wildcard. Anything else names nobody."""
    if not isinstance(value, str):
        return None
    name = value.strip()
    if not _WHO_RE.match(name) or "," in name or name.count("@") > 1 or name.startswith("@") or name.endswith("@"):
        return None
    return name


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _fold(name: str) -> str:
    # ASCII letters only: Unicode case folding makes 'ß' of 'ss' and the Kelvin sign of 'K', so
    # another account's name could fold onto a listed one (found by an audit).
    return name.translate(_ASCII_LOWER)


def policy_path() -> Path | None:
    """The access file CX_ACCESS names; None when it is not set. Set but blank (a deployment's
    `CX_ACCESS=${ACCESS_FILE}` with the variable missing) is an error, not an open dashboard."""
    value = os.environ.get(ENV)
    if value is None:
        return None
    if not value.strip():
        raise AccessError(ENV, [f"{ENV} is set but empty: name the access file, or unset it to run without access "
                                "control"])
    return Path(value.strip())


def read_policy_text(path: str | Path) -> str:
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccessError(str(path), ["file: not found"]) from None
    except IsADirectoryError:
        raise AccessError(str(path), ["file: is a folder, not a file"]) from None
    except UnicodeDecodeError:
        raise AccessError(str(path), ["file: not UTF-8 text"]) from None
    except OSError as exc:
        raise AccessError(str(path), [f"file: cannot be read ({exc.strerror or exc})"]) from None


def load_policy(path: str | Path, model: Model) -> Policy:
    return parse_policy(read_policy_text(path), model, source=str(path))


def parse_policy(text: str, model: Model, source: str = "<text>") -> Policy:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        raise AccessError(source, [f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    problems: list[str] = []

    def fail(path: str, msg: str) -> None:
        problems.append(f"{path}: {msg}")

    if not isinstance(raw, dict):
        raise AccessError(source, ["(top level): must be a mapping with 'sign_in' and 'people'"])
    for k in raw:
        if k not in ("sign_in", "header", "provider", "people", "anyone_else"):
            fail(str(k), "unknown key (allowed: anyone_else, header, people, provider, sign_in)")
    sign_in = raw.get("sign_in", "streamlit")
    if sign_in not in SIGN_INS:
        fail("sign_in", f"must be one of {', '.join(SIGN_INS)}, not {sign_in!r}")
    header = raw.get("header")
    if sign_in == "proxy":
        if not isinstance(header, str) or not _HEADER_RE.match(header):
            fail("header", "must name the HTTP header the proxy sets (for example X-Forwarded-Email)")
    elif header is not None:
        fail("header", "is read only with sign_in: proxy")
    provider = raw.get("provider")
    if provider is not None and (sign_in != "streamlit" or not isinstance(provider, str)
                                 or not _HEADER_RE.match(provider.replace("_", "-"))):
        fail("provider", "must name a login provider of .streamlit/secrets.toml ([auth.<name>]), with sign_in: "
                         "streamlit")
    anyone_else = raw.get("anyone_else", "none")
    if anyone_else not in ("none", "viewer"):
        fail("anyone_else", f"must be none or viewer, not {anyone_else!r}")
    people_raw = raw.get("people")
    if not isinstance(people_raw, list) or not people_raw:
        fail("people", "must be a list of entries like {who: name@example.com, role: admin}")
        people_raw = []
    people: list[Person] = []
    seen: dict[str, int] = {}
    known_teams = {t.key for t in model.teams}
    for i, entry in enumerate(people_raw):
        path = f"people[{i}]"
        if not isinstance(entry, dict):
            fail(path, "must be a mapping with 'who' and 'role' (or 'teams')")
            continue
        for k in entry:
            if k not in ("who", "role", "teams"):
                fail(f"{path}.{k}", "unknown key (allowed: role, teams, who)")
        who = entry.get("who")
        if not isinstance(who, str) or not (identity(who) or _DOMAIN_RE.match(who.strip())):
            fail(f"{path}.who", "must be an address or sign-in name, or '*@domain' for everyone of a domain")
            continue
        who = who.strip()
        if _fold(who) in seen:
            fail(f"{path}.who", f"{who} already has an entry (people[{seen[_fold(who)]}])")
            continue
        seen[_fold(who)] = i
        teams_raw = entry.get("teams")
        role = entry.get("role", "team" if teams_raw is not None else None)
        if role not in ROLES:
            fail(f"{path}.role", f"must be one of {', '.join(ROLES)}" + ("" if role is None else f", not {role!r}"))
            continue
        teams: tuple[str, ...] = ()
        if role == "team":
            if not isinstance(teams_raw, list) or not teams_raw or not all(isinstance(t, str) for t in teams_raw):
                fail(f"{path}.teams", "must list the keys of the person's teams")
                continue
            unknown = [t for t in teams_raw if t not in known_teams]
            if unknown:
                fail(f"{path}.teams", f"no team {', '.join(map(repr, unknown))} in the model "
                                      f"(its teams: {', '.join(sorted(known_teams)) or 'none'})")
                continue
            teams = tuple(dict.fromkeys(teams_raw))
        elif teams_raw is not None:
            fail(f"{path}.teams", f"is read only with role: team (an {role} sees every team)")
            continue
        people.append(Person(who, role, teams))
    if problems:
        raise AccessError(source, problems)
    return Policy(sign_in, header if sign_in == "proxy" else None, provider, tuple(people), anyone_else, source)


def grants_text(policy: Policy, model: Model) -> list[str]:
    """One line per entry, for the command line's check of a file."""
    lines = [f"sign-in: {policy.sign_in}" + (f" (header {policy.header})" if policy.header else "")]
    for p in policy.people:
        lines.append(f"{p.who}: {Grant(p.who, p.role, p.teams).describe(model)}")
    lines.append(f"anyone else signed in: {Grant(None, policy.anyone_else).describe(model)}")
    return lines
