"""Which pairs of a commune's active organisations are its cooperation opportunities
(reports.cooperation): the first pairs in report order taken within filière groups, found
without listing every pair (`top_pairs`), and the test of a pair already linked
(`PairSet`)."""

import heapq
from bisect import bisect_left
from collections.abc import Callable, Sequence

import numpy as np


class PairSet:
    """Membership test on undirected pair keys (low * n + high), sorted and distinct: a
    binary search over them as a list (a set of the 300k national pairs cost 0.1 s to
    build, for a few thousand tests)."""

    def __init__(self, keys: np.ndarray, n: int):
        self.keys, self.n = keys.tolist(), n

    def contains(self, a: int, b: int) -> bool:
        key = min(a, b) * self.n + max(a, b)
        at = bisect_left(self.keys, key)
        return at < len(self.keys) and self.keys[at] == key


def top_pairs(groups: list[list[int]], members: Sequence[int], ids: Sequence[int],
              linked: Callable[[int, int], bool], limit: int, *, heads_sorted: bool = False
              ) -> list[tuple[int, int]]:
    """The first `limit` distinct unlinked pairs taken within groups, in report order.

    Report order is combined members descending, then lower id, then higher id. Each group
    lists organisations (positions into `members` and `ids`) sorted by (-members, id); a
    pair may sit in several groups (organisations sharing several filières).
    `heads_sorted`: the groups of two or more come in the report order of their first pair
    (`_filiere_groups` sorts them over arrays); otherwise they are sorted here.

    Why it is exact without listing the O(n²) pairs: in a group g = [o0, o1, ...], take row
    i to be the pairs (oi, oj), j > i. Along a row the combined members never grow, and when
    they tie, oj's id grows, and so does the (lower id, higher id) key whatever oi's id: each
    row is sorted in report order. Row heads (oi, oi+1) are sorted too (m[i+2] <= m[i], and on
    a tie the ids grow). A heap holding, per group, the next pair of every row already
    started plus the head of the first row not yet started therefore always holds the
    smallest pair not yet popped among the groups started (every other pair is behind one of
    these in its row, or behind a head). Groups start in the order of their first pair, each
    when its first pair is smaller than the heap's smallest: a group not started has no pair
    smaller than its first, nor than the first pairs of the groups started before it. So
    popping k times yields the k smallest pairs of all groups merged, in order. Duplicates
    (same pair from another group) and linked pairs are skipped, so the result is exactly
    the first `limit` of the full ordered list of candidate pairs. Work:
    O((limit + skipped) log heap) plus the groups started, skipped being at most the linked
    pairs times their shared filières.
    """

    def entry(g: int, i: int, j: int) -> tuple:
        a, b = groups[g][i], groups[g][j]
        return (-(members[a] + members[b]), min(ids[a], ids[b]), max(ids[a], ids[b]), g, i, j)

    waiting = [g for g, group in enumerate(groups) if len(group) > 1]
    if not heads_sorted:
        waiting.sort(key=lambda g: entry(g, 0, 1))
    waiting.reverse()  # popped from the end: the smallest first pair last
    heap: list[tuple] = []
    seen: set[tuple[int, int]] = set()
    found: list[tuple[int, int]] = []
    while len(found) < limit:
        if waiting:
            head = entry(waiting[-1], 0, 1)
            if not heap or head < heap[0]:
                waiting.pop()
                heapq.heappush(heap, head)
        if not heap:
            break
        _, low_id, high_id, g, i, j = heapq.heappop(heap)
        size = len(groups[g])
        if j + 1 < size:
            heapq.heappush(heap, entry(g, i, j + 1))
        if j == i + 1 and j + 1 < size:
            heapq.heappush(heap, entry(g, j, j + 1))
        a, b = groups[g][i], groups[g][j]
        if (low_id, high_id) in seen:
            continue
        seen.add((low_id, high_id))
        if not linked(a, b):
            found.append((a, b) if ids[a] < ids[b] else (b, a))
    return found
