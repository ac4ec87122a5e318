"""P4's baseline (`baseline_sql`) against the platform's stored runs: every value it
computes, turned into the runs' shape after the clock has stopped and compared."""

from .baseline_reports import (
    CONVERGENCE_FIGURES,
    COOPERATION_FIGURES,
    KINDS,
    STATES,
    fraction,
)


def compare(baseline: dict, stored: dict, limit: int = 20) -> dict:
    """Every value the baseline computes against the runs' results. `stored`: "convergence"
    and "cooperation" (P-code -> a commune run's result), "national_convergence" and
    "national_cooperation" (the national runs' results, or None).

    Returns {"checked": n values, "mismatches": count, "examples": first `limit`}."""
    mismatches: list[str] = []
    checked = 0

    def check(where: str, expected, found) -> None:
        nonlocal checked
        checked += 1
        if expected != found:
            mismatches.append(f"{where}: baseline {expected!r}, platform {found!r}")

    def check_list(where: str, expected: list, found: list) -> None:
        check(f"{where} length", len(expected), len(found))
        for i, (one, other) in enumerate(zip(expected, found, strict=False)):
            check(f"{where} [{i}]", one, other)

    ref = _Reference(baseline["reference"])
    convergence = baseline["convergence"]
    figures, states = convergence["figures"], convergence["states"]
    unmet = _unmet_lists(convergence["unmet"], ref)
    for cid, pcode in ref.communes.items():
        result = stored["convergence"].get(pcode)
        if result is None:
            mismatches.append(f"convergence {pcode}: no platform run")
            continue
        for m, acronym in ref.ministries:
            found = result["ministries"].get(acronym, {})
            for f, name in enumerate(CONVERGENCE_FIGURES):
                check(f"convergence {pcode} {acronym} {name}", int(figures[f, cid, m]),
                      found.get(name))
            check(f"convergence {pcode} {acronym} state", STATES[states[cid, m]],
                  found.get("state"))
        row = [states[cid, m] for m, _ in ref.ministries]
        counts = {state: row.count(i) for i, state in enumerate(STATES)}
        check(f"convergence {pcode} states", counts, result.get("states"))
        check(f"convergence {pcode} score", fraction(
            counts["converging"], counts["converging"] + counts["unmet"] + counts["unsupported"]),
            result.get("score"))
        check_list(f"convergence {pcode} unmet_needs", unmet.get(cid, []), [
            (u["entry"], u["sector"], u["ministry"], u["priority_rank"],
             [(n["commune"], n["distance_km"], n["organisations"]) for n in u["nearest"]])
            for u in result.get("unmet_needs", [])])
    national = stored.get("national_convergence")
    if national is not None:
        for level, totals in convergence["totals"].items():
            for place, expected in _totals_dicts(totals, ref).items():
                found = national[level] if level == "country" else national[level].get(place)
                check(f"convergence {level} {place}", expected, found)
    cooperation = baseline["cooperation"]
    figures = cooperation["communes"]
    opportunities = _opportunity_lists(cooperation["opportunities"], ref)
    outside = _outside_dicts(cooperation["outside_unions"], ref)
    for cid, pcode in ref.communes.items():
        result = stored["cooperation"].get(pcode)
        active = int(figures["active_organisations"][cid])
        if result is None:
            if active or figures["links"][cid]:
                mismatches.append(f"cooperation {pcode}: no platform run")
            continue
        for name in COOPERATION_FIGURES:
            check(f"cooperation {pcode} {name}", int(figures[name][cid]), result.get(name))
        check(f"cooperation {pcode} links_by_kind",
              dict(zip(KINDS, figures["links_by_kind"][cid].tolist(), strict=True)),
              result.get("links_by_kind"))
        check(f"cooperation {pcode} linked_share",
              fraction(int(figures["linked_organisations"][cid]), active),
              result.get("linked_share"))
        check(f"cooperation {pcode} density",
              fraction(int(figures["pairs"][cid]), active * (active - 1) // 2),
              result.get("density"))
        check_list(f"cooperation {pcode} opportunities", opportunities.get(cid, []), [
            (*o["organisations"], o["members"], o["filieres"])
            for o in result.get("opportunities", [])])
        mine, theirs = outside.get(cid, {}), result.get("outside_unions", {})
        check(f"cooperation {pcode} outside_unions filières", sorted(mine), sorted(theirs))
        for code, expected in mine.items():
            check(f"cooperation {pcode} outside_unions {code}", expected, theirs.get(code))
    national = stored.get("national_cooperation")
    if national is not None:
        for name, value in cooperation["national"].items():
            check(f"cooperation national {name}", value, national.get(name))
    return {"checked": checked, "mismatches": len(mismatches), "examples": mismatches[:limit]}


class _Reference:
    """The small reference rows read by the baseline, as look-ups."""

    def __init__(self, small: dict):
        self.communes = {row[0]: row[1] for row in small["communes"]}
        self.ministries = sorted(small["ministries"], key=lambda row: row[1])
        self.acronyms = dict(small["ministries"])
        self.sectors = {row[0]: (row[1], row[2]) for row in small["sectors"]}
        # Codes by filière position, as `_Data` numbers them (id order).
        self.filieres = [code for _, code in sorted(small["filiere_codes"])]
        self.n_filieres = len(self.filieres)


def _unmet_lists(unmet: dict, ref: _Reference) -> dict[int, list[tuple]]:
    lists: dict[int, list[tuple]] = {}
    for entry, nearest, km, counts in zip(unmet["entries"].tolist(), unmet["nearest"].tolist(),
                                         unmet["km"].tolist(), unmet["counts"].tolist(),
                                         strict=True):
        entry_id, commune, rank, sector = entry
        code, ministry = ref.sectors[sector]
        lists.setdefault(commune, []).append((
            entry_id, code, ref.acronyms[ministry], rank,
            [(ref.communes[c], round(d, 1), n)
             for c, d, n in zip(nearest, km, counts, strict=True) if c >= 0]))
    return lists


def _totals_dicts(totals: dict, ref: _Reference) -> dict[str, dict]:
    """The totals of one level in the national run's shape, by P-code ("" for the country)."""
    dicts = {}
    for g, place in enumerate(totals["places"]):
        ministries = {}
        for m, acronym in ref.ministries:
            row = dict(zip(CONVERGENCE_FIGURES, totals["sums"][:, g, m].tolist(), strict=True))
            row["states"] = dict(zip(STATES, totals["by_state"][g, m].tolist(), strict=True))
            ministries[acronym] = row
        converging, with_needs = (int(part[g]) for part in totals["score"])
        dicts[place] = {
            "communes": int(totals["communes"][g]), "ministries": ministries,
            "states": dict(zip(STATES, totals["states"][g].tolist(), strict=True)),
            "score": fraction(converging, with_needs),
            "unmet_needs": int(totals["unmet_needs"][g]),
        }
    return dicts


def _opportunity_lists(found: dict, ref: _Reference) -> dict[int, list[tuple]]:
    lists: dict[int, list[tuple]] = {}
    for commune, low, high, members, shared in zip(
            found["commune"].tolist(), found["low"].tolist(), found["high"].tolist(),
            found["members"].tolist(), found["shared"].tolist(), strict=True):
        codes = sorted(ref.filieres[word * 64 + bit] for word, bits in enumerate(shared)
                       for bit in range(64) if bits >> bit & 1)
        lists.setdefault(commune, []).append((low, high, members, codes))
    return lists


def _outside_dicts(outside: dict, ref: _Reference) -> dict[int, dict]:
    dicts: dict[int, dict] = {}
    ids, at = outside["ids"].tolist(), 0
    for key, count in zip(outside["key"].tolist(), outside["count"].tolist(), strict=True):
        commune, filiere = divmod(key, ref.n_filieres)
        dicts.setdefault(commune, {})[ref.filieres[filiere]] = {
            "count": count, "organisations": ids[at:at + count]}
        at += count
    return dicts
