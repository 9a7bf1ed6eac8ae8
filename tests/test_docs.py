"""The README and docs/ stay true: their links resolve, and the commands, make targets and
options they show exist (a review found a documented reproduce command that could not work)."""

import argparse
import re

import pytest

from cxdata import bench, cli
from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _options(parser: argparse.ArgumentParser) -> set[str]:
    out = {s for a in parser._actions for s in a.option_strings}
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            for sub in a.choices.values():
                out |= _options(sub)
    return out


def _code(text: str) -> list[str]:
    """Code spans and the lines of code blocks, backslash continuations joined."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S)
    lines = [line for block in blocks for line in block.replace("\\\n", " ").splitlines()]
    return re.findall(r"`([^`\n]+)`", text) + lines


def _commands(text: str) -> list[str]:
    """Code that runs the CLI or the benchmark."""
    return [line for line in _code(text) if re.search(r"python -m cxdata|cxdata\.bench", line)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_resolve(doc):
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (doc.parent / target).exists(), f"{doc.name} links to {target}, which does not exist"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_make_targets_exist(doc):
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))
    for target in re.findall(r"\bmake ([a-z][a-z-]*)", "\n".join(_code(doc.read_text(encoding="utf-8")))):
        assert target in targets, f"{doc.name} shows `make {target}`; the Makefile has {sorted(targets)}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_command_options_exist(doc):
    bench_opts, cli_opts = _options(bench.build_parser()), _options(cli.build_parser())
    for line in _commands(doc.read_text(encoding="utf-8")):
        opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line))
        allowed = bench_opts if "cxdata.bench" in line else cli_opts
        assert opts <= allowed, f"{doc.name}: {line.strip()!r} uses {sorted(opts - allowed)}"


def test_the_docs_show_commands_with_options():
    # The option check above must have something to check.
    for doc in ("README.md", "docs/PERFORMANCE.md"):
        assert any("--" in line for line in _commands((ROOT / doc).read_text(encoding="utf-8"))), doc
