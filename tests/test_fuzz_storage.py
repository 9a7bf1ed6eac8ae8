"""A few short runs of the randomised differential tester of storage, rollups and queries
(tests/fuzz_storage.py): uploads, re-exports with edits, identical re-uploads and removals in a
random order, each step checked against the raw answers and against a replay of the uploads."""

import argparse

import pytest

from tests import fuzz_storage as fz


@pytest.mark.parametrize("seed", [3, 7])
def test_storage_rollups_and_queries_stay_true_to_a_replay_of_the_uploads(seed, tmp_path):
    args = argparse.Namespace(exotic=False, ingest=0.2, dup_rows=0.05, heavy_every=4, verbose=False,
                              lenient={"note", "attrs"})
    ops, failures = fz.execute(seed, None, 12, args, fz.fuzz_model(str(tmp_path)), quiet=True)
    assert len(ops) == 12
    assert not failures, failures[0]
