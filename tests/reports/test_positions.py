"""reports.cooperation_rows.positions: a lookup table for dense ids, a search for sparse ones,
the same answers either way."""

import numpy as np
import pytest

from reports.cooperation_rows import positions


def searched(sorted_ids, wanted):
    pos = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == wanted, pos, -1)


@pytest.mark.parametrize("ids", [
    [1, 2, 3, 5, 8, 13, 21],                    # dense: the lookup table
    [0, 7, 9],                                  # an id 0
    [3, 10_000_000, 10_000_001],                # sparse: the search
    [42],
])
def test_it_finds_each_id_or_answers_minus_one(ids):
    sorted_ids = np.array(ids, dtype=np.int64)
    wanted = np.array([-1, 0, 1, 2, 3, 4, 5, 9, 13, 21, 22, 42, 10_000_000, 10_000_002],
                      dtype=np.int64)
    found = positions(sorted_ids, wanted)
    assert found.tolist() == searched(sorted_ids, wanted).tolist()
    assert all(sorted_ids[p] == w for p, w in zip(found, wanted, strict=True) if p >= 0)


def test_no_ids_answer_minus_one_everywhere():
    assert positions(np.array([], dtype=np.int64), np.array([1, 2])).tolist() == [-1, -1]


def test_a_large_random_case_agrees_with_the_search():
    rng = np.random.default_rng(3)
    sorted_ids = np.unique(rng.integers(1, 300_000, 200_000))
    wanted = rng.integers(-5, 310_000, 100_000)
    assert (positions(sorted_ids, wanted) == searched(sorted_ids, wanted)).all()
