"""The trace rules: technology-driven requirements, unsupported strategies, suspect links, impact.

Retired items take no part: they neither support nor need support, and links
into or out of them are ignored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from reqtrace.trace.graph import BELOW, LEVELS, TraceGraph, hid_key, nogc

PLURALS = {"strategy": "strategies", "role": "roles", "process": "processes", "requirement": "requirements"}
CAPABILITIES = ("technology", "people", "process", "knowledge-insight")
# A plan whose requirements are mostly technology has let the tools lead.
TECHNOLOGY_HEAVY_SHARE = 0.6


@dataclass
class Closure:
    """For each active item, what lies above it (strategies, roles, processes)."""

    role_strategies: dict[str, set[str]]
    process_roles: dict[str, set[str]]
    process_strategies: dict[str, set[str]]
    requirement_processes: dict[str, set[str]]
    requirement_roles: dict[str, set[str]]
    requirement_strategies: dict[str, set[str]]
    suspect_above: dict[str, bool]  # a suspect link on some path above the item


@dataclass
class TraceReport:
    technology_driven: list[str]
    unsupported_strategies: list[str]
    suspect_links: list[str]
    strategies_without_sponsor: list[str]
    strategies_without_kpi: list[str]
    roles_without_strategy: list[str]
    roles_without_process: list[str]
    processes_without_role: list[str]
    processes_without_requirement: list[str]
    capability_balance: dict[str, Any]
    counts: dict[str, int]
    reasons: dict[str, str] = field(default_factory=dict)  # why each unsupported strategy is so

    @property
    def violations(self) -> bool:
        """The findings that fail `trace check` (exit 1)."""
        return bool(self.technology_driven or self.unsupported_strategies or self.suspect_links)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = not self.violations
        return data


@nogc
def closure(graph: TraceGraph) -> Closure:
    suspect_into: dict[str, bool] = {}
    role_strategies = _above(graph, "strategy", suspect_into)
    process_roles = _above(graph, "role", suspect_into)
    requirement_processes = _above(graph, "process", suspect_into)
    empty: set[str] = set()
    process_strategies: dict[str, set[str]] = {}
    for process, roles in process_roles.items():
        strategies = process_strategies[process] = set()
        for role in roles:
            strategies |= role_strategies.get(role, empty)
    requirement_roles: dict[str, set[str]] = {}
    requirement_strategies: dict[str, set[str]] = {}
    for requirement, processes in requirement_processes.items():
        if len(processes) == 1:
            # Most requirements support one process: share its sets (never mutated) instead of copying.
            (process,) = processes
            requirement_roles[requirement] = process_roles.get(process, empty)
            requirement_strategies[requirement] = process_strategies.get(process, empty)
            continue
        roles, strategies = requirement_roles[requirement], requirement_strategies[requirement] = set(), set()
        for process in processes:
            roles |= process_roles.get(process, empty)
            strategies |= process_strategies.get(process, empty)

    suspect_above: dict[str, bool] = {}
    for role in role_strategies:
        suspect_above[role] = suspect_into.get(role, False)
    for process, roles in process_roles.items():
        suspect_above[process] = suspect_into.get(process, False) or any(
            suspect_above.get(role, False) for role in roles)
    for requirement, processes in requirement_processes.items():
        suspect_above[requirement] = suspect_into.get(requirement, False) or any(
            suspect_above.get(process, False) for process in processes)
    return Closure(role_strategies, process_roles, process_strategies, requirement_processes,
                   requirement_roles, requirement_strategies, suspect_above)


def _above(graph: TraceGraph, upstream_kind: str, suspect_into: dict[str, bool]) -> dict[str, set[str]]:
    """For each active node below `upstream_kind`, the active nodes directly above it; notes suspect links."""
    upper = graph.nodes[upstream_kind]
    result: dict[str, set[str]] = {}
    for edge in graph.active_edges(upstream_kind):
        above = result.get(edge.downstream)
        if above is None:
            result[edge.downstream] = {edge.upstream}
        else:
            above.add(edge.upstream)
        if edge.reviewed_fingerprint != upper[edge.upstream].fingerprint:
            suspect_into[edge.downstream] = True
    return result


def technology_driven(graph: TraceGraph, links: Closure | None = None) -> list[str]:
    """Active requirements that reach no strategy through the chain."""
    links = links or closure(graph)
    return [node.hid for node in graph.active("requirement") if not links.requirement_strategies.get(node.hid)]


def unsupported_strategies(graph: TraceGraph) -> dict[str, str]:
    """Active strategies with no role, process or requirement beneath them, with the reason."""
    roles_of, processes_of, requirements_of = graph.down("strategy"), graph.down("role"), graph.down("process")
    reasons: dict[str, str] = {}
    for strategy in graph.active("strategy"):
        roles = roles_of.get(strategy.hid, [])
        processes = {p for role in roles for p in processes_of.get(role, [])}
        requirements = {r for p in processes for r in requirements_of.get(p, [])}
        if not roles:
            reasons[strategy.hid] = "no role is redefined for it"
        elif not processes:
            reasons[strategy.hid] = "its roles run no re-engineered process"
        elif not requirements:
            reasons[strategy.hid] = "its processes have no requirement"
    return reasons


def suspect_links(graph: TraceGraph) -> list[str]:
    """Links whose upstream item changed since the link was last reviewed, as "FROM->TO"."""
    found = []
    for level, upstream_kind in enumerate(BELOW):
        upper = graph.nodes[upstream_kind]
        for edge in graph.active_edges(upstream_kind):
            if edge.reviewed_fingerprint != upper[edge.upstream].fingerprint:
                found.append((level, (hid_key(edge.upstream), hid_key(edge.downstream)), edge.id))
    # Top-down: strategy->role links first, then role->process, then process->requirement.
    return [link for _level, _key, link in sorted(found)]


def capability_balance(graph: TraceGraph) -> dict[str, Any]:
    """Share of active requirements per capability, with a warning when technology dominates."""
    counts = {capability: 0 for capability in CAPABILITIES}
    for node in graph.active("requirement"):
        capability = node.attrs.get("capability", "technology")
        counts[capability] = counts.get(capability, 0) + 1
    total = sum(counts.values())
    shares = {capability: (count / total if total else 0.0) for capability, count in counts.items()}
    warnings = []
    if total and shares.get("technology", 0) >= TECHNOLOGY_HEAVY_SHARE:
        warnings.append(f"{shares['technology']:.0%} of the requirements are technology: balance them with "
                        "people, process and knowledge & insight capabilities.")
    missing = [capability for capability in CAPABILITIES if total and counts[capability] == 0]
    if missing:
        warnings.append("No requirement builds these capabilities: " + ", ".join(missing) + ".")
    return {"counts": counts, "shares": shares, "total": total,
            "technology_heavy": bool(total and shares.get("technology", 0) >= TECHNOLOGY_HEAVY_SHARE),
            "warnings": warnings}


@nogc
def check(graph: TraceGraph) -> TraceReport:
    """Every trace rule at once."""
    links = closure(graph)
    roles_down, processes_down = graph.down("role"), graph.down("process")
    reasons = unsupported_strategies(graph)
    strategies = graph.active("strategy")
    return TraceReport(
        technology_driven=technology_driven(graph, links),
        unsupported_strategies=list(reasons),
        suspect_links=suspect_links(graph),
        strategies_without_sponsor=[s.hid for s in strategies if not (s.attrs.get("sponsor") or "").strip()],
        strategies_without_kpi=[s.hid for s in strategies if not (s.attrs.get("kpi") or "").strip()],
        roles_without_strategy=[r.hid for r in graph.active("role") if not links.role_strategies.get(r.hid)],
        roles_without_process=[r.hid for r in graph.active("role") if not roles_down.get(r.hid)],
        processes_without_role=[p.hid for p in graph.active("process") if not links.process_roles.get(p.hid)],
        processes_without_requirement=[p.hid for p in graph.active("process") if not processes_down.get(p.hid)],
        capability_balance=capability_balance(graph),
        counts={kind: len(graph.active(kind)) for kind in LEVELS},
        reasons=reasons,
    )


@nogc
def trace_matrix(graph: TraceGraph, links: Closure | None = None) -> list[dict[str, Any]]:
    """One row per active requirement with everything above it."""
    links = links or closure(graph)
    # Rank each level's IDs once instead of parsing them once per requirement that reaches them.
    process_key, role_key, strategy_key = (
        {hid: position for position, hid in enumerate(sorted(graph.nodes[kind], key=hid_key))}.__getitem__
        for kind in ("process", "role", "strategy"))
    empty: frozenset[str] = frozenset()
    sorted_lists: dict[int, list[str]] = {}  # id(set) -> its sorted list; sets are shared between rows

    def ordered(ids, key) -> list[str]:
        found = sorted_lists.get(id(ids))
        if found is None:
            found = sorted_lists[id(ids)] = sorted(ids, key=key)
        return found

    rows = []
    for node in graph.active("requirement"):
        hid = node.hid
        strategies = links.requirement_strategies.get(hid, empty)
        rows.append({
            "id": hid,
            "title": node.title,
            "status": node.status,
            "priority": node.attrs.get("priority"),
            "capability": node.attrs.get("capability"),
            "tags": node.attrs.get("tags", []),
            "processes": sorted(links.requirement_processes.get(hid, empty), key=process_key),
            "roles": ordered(links.requirement_roles.get(hid, empty), role_key),
            "strategies": ordered(strategies, strategy_key),
            "technology_driven": not strategies,
            "suspect": links.suspect_above.get(hid, False),
        })
    return rows


def impact(graph: TraceGraph, hid: str) -> dict[str, Any]:
    """Everything downstream of an item, level by level, and the links on the way."""
    kind = graph.kind_of(hid)
    if kind is None:
        raise KeyError(hid)
    reached: dict[str, list[str]] = {level: [] for level in LEVELS[LEVELS.index(kind) + 1:]}
    frontier, links = [hid], []
    level = kind
    while level in BELOW:
        below = graph.down(level)
        nxt: list[str] = []
        for item in frontier:
            for child in below.get(item, []):
                links.append(f"{item}->{child}")
                if child not in nxt:
                    nxt.append(child)
        level = BELOW[level]
        reached[level] = sorted(nxt, key=hid_key)
        frontier = nxt
    return {"id": hid, "kind": kind, **{PLURALS[lvl]: ids for lvl, ids in reached.items()}, "links": links}
