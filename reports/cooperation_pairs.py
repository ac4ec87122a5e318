"""Which pairs of a commune's active organisations are its cooperation opportunities
(reports.cooperation): the first pairs in report order taken within filière groups, found
over arrays for every commune at once, without listing every pair (`first_pairs`)."""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

# The first round lists the pairs among each group's first organisations (by members).
FIRST_ROUND = 4


@dataclass(frozen=True)
class FiliereGroups:
    """Organisations grouped by (place, filière), as positions into the organisation arrays.

    `org`: the rows, group after group, each group by members descending then position;
    `start`, `size`: each group's first row and length; `place`, `filiere`: its place (a
    commune's position) and filière position. Positions must be in id order, so that a
    lower position is a lower id."""

    org: np.ndarray
    start: np.ndarray
    size: np.ndarray
    place: np.ndarray
    filiere: np.ndarray

    @cached_property
    def row_group(self) -> np.ndarray:
        """Each row's group."""
        return np.repeat(np.arange(len(self.start)), self.size)


def first_pairs(groups: FiliereGroups, members: np.ndarray, linked: np.ndarray, places: int,
                limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each place's first `limit` distinct pairs taken within its groups and not in `linked`
    (sorted keys low * n + high of positions, n = len(members)), in report order: combined
    members descending, then lower id, then higher id. Returns (place, low, high) arrays,
    by place then report order.

    Why it is exact without listing every pair, in two rounds. Round one lists the pairs
    among each group's first FIRST_ROUND rows. A pair of a group left out holds a row at
    FIRST_ROUND or later, so its combined members are at most the group's first row's plus
    its row FIRST_ROUND's (rows are sorted by members): a place whose `limit`-th pair found
    has more combined members than that bound for each of its cut groups, or that has no
    cut group, has its first pairs. For any other place, the `limit`-th pair found is a
    floor: each of its true first `limit` pairs has at least as many combined members (it
    ranks at least as high). Round two lists, in each group of those places, every pair
    reaching the floor: for a row, the partners after it with members >= floor - its
    members, a run of rows found by one binary search. Work: the pairs listed, about
    `limit` per place plus the pairs tied at the floor and the linked ones skipped."""
    ranked = _Ranked(groups, members, linked, places)
    if not len(groups.org):
        return ranked.empty()
    row_group, org, start, size = groups.row_group, groups.org, groups.start, groups.size
    at = np.arange(len(org)) - np.repeat(start, size)  # each row's rank in its group
    first = np.flatnonzero(at < FIRST_ROUND)
    room = np.minimum(size, FIRST_ROUND)[row_group[first]] - at[first]
    one = ranked(np.concatenate([first[room > d] for d in range(1, FIRST_ROUND)]),
                 np.concatenate([first[room > d] + d for d in range(1, FIRST_ROUND)]))
    cut = np.flatnonzero(size > FIRST_ROUND)
    bound = np.full(places, -1, dtype=np.int64)
    np.maximum.at(bound, groups.place[cut],
                  members[org[start[cut]]] + members[org[start[cut] + FIRST_ROUND]])
    floor = np.zeros(places, dtype=np.int64)
    last = one["rank"] == limit - 1
    floor[one["place"][last]] = one["combined"][last]
    settled = (bound < 0) | (floor > bound)
    # Round two: the rows of the unsettled places, each with the run of partners after it.
    rows = np.flatnonzero(~settled[groups.place[row_group]])
    top = np.int64(members.max(initial=0))
    key = row_group * (top + 1) + (top - members[org])  # non-decreasing along the rows
    need = floor[groups.place[row_group[rows]]] - members[org[rows]]
    end = np.searchsorted(key, row_group[rows] * (top + 1) + np.minimum(top - need, top),
                          side="right")
    count = np.maximum(end - rows - 1, 0)
    a = np.repeat(rows, count)
    two = ranked(a, a + 1 + np.arange(len(a)) - np.repeat(np.cumsum(count) - count, count))
    keep_one = settled[one["place"]] & (one["rank"] < limit)
    keep_two = two["rank"] < limit
    place, low, high = (np.concatenate([one[name][keep_one], two[name][keep_two]])
                        for name in ("place", "low", "high"))
    order = np.argsort(place, kind="stable")  # each place's pairs come from one round
    return place[order], low[order], high[order]


class _Ranked:
    """Candidate pairs (two rows of the groups) ranked per place in report order: linked
    pairs dropped, a pair found in several groups kept once, each pair's `rank`."""

    def __init__(self, groups: FiliereGroups, members: np.ndarray, linked: np.ndarray,
                 places: int):
        self.org, self.members, self.linked = groups.org, members, linked
        self.place = groups.place[groups.row_group]  # each row's place
        self.n = np.int64(len(members))
        self.span = np.int64(2 * members.max(initial=0) + 1)  # combined members: 0..span-1
        # One int64 sort key (place, members descending, low, high) when it fits.
        self.fits = int(places) * int(self.span) * int(self.n) ** 2 < 2 ** 62

    def empty(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.zeros(0, dtype=np.int64),) * 3

    def __call__(self, row_a: np.ndarray, row_b: np.ndarray) -> dict:
        a, b = self.org[row_a], self.org[row_b]
        low, high = np.minimum(a, b), np.maximum(a, b)
        if len(self.linked):
            pair = low * self.n + high
            at = np.minimum(np.searchsorted(self.linked, pair), len(self.linked) - 1)
            unlinked = self.linked[at] != pair
            row_a, low, high = row_a[unlinked], low[unlinked], high[unlinked]
        place, combined = self.place[row_a], self.members[low] + self.members[high]
        if self.fits:
            order = np.argsort(((place * self.span + (self.span - 1 - combined)) * self.n
                                + low) * self.n + high)
        else:
            order = np.lexsort((high, low, -combined, place))
        place, combined, low, high = place[order], combined[order], low[order], high[order]
        fresh = np.ones(len(place), dtype=bool)  # a pair from a second group: once
        fresh[1:] = (place[1:] != place[:-1]) | (low[1:] != low[:-1]) | (high[1:] != high[:-1])
        place, combined, low, high = place[fresh], combined[fresh], low[fresh], high[fresh]
        starts = np.flatnonzero(np.diff(place, prepend=-1))
        rank = np.arange(len(place)) - np.repeat(starts, np.diff(np.append(starts, len(place))))
        return {"place": place, "combined": combined, "low": low, "high": high, "rank": rank}
