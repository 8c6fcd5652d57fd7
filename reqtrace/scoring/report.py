"""The decision report for the steering committee: plain data, then Markdown or self-contained HTML.

One function gathers everything (`build_report`); the two renderers only lay
it out, so the Markdown, the HTML, the web page and `--json` always agree.
"""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

from sqlmodel import Session

from reqtrace.model import Project
from reqtrace.scoring.decision import STABILITY_SAMPLES, STABILITY_SEED, decision_checks, settled
from reqtrace.scoring.load import score_project
from reqtrace.services.evidence import evidence_warnings

BASIS_TEXT = {"demo": "demonstrated", "consensus": "consensus score", "claim": "questionnaire claim only",
              "probe cap": "capped by a failed probe", "none": "no evidence"}


def build_report(session: Session, project: Project, *, samples: int = STABILITY_SAMPLES,
                 seed: int = STABILITY_SEED) -> dict[str, Any]:
    data, results = score_project(session, project)
    graph = data.graph
    checks = decision_checks(data.requirements, results, samples=samples, seed=seed)
    counted = [r for r in data.requirements if results and results[0].requirements[r.hid].weight > 0]
    strategies = [{"id": node.hid, "title": node.title, "sponsor": node.attrs.get("sponsor") or "",
                   "kpi": node.attrs.get("kpi") or "", "perspective": node.attrs.get("perspective") or "",
                   "weight": (data.strategy_weights or {}).get(node.hid),
                   "requirements": sum(1 for r in counted if node.hid in r.strategies)}
                  for node in graph.active("strategy")]
    strategies = [s for s in strategies if s["requirements"]]
    return {
        **evidence_warnings(session, project, graph, [r.hid for r in counted]),
        "project": {"key": project.key, "name": project.name},
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scope": data.scope.label,
        "settings": dict(data.settings.__dict__),
        "strategy_weights": data.strategy_weights,
        "chain": {"strategies": len(graph.active("strategy")), "roles": len(graph.active("role")),
                  "processes": len(graph.active("process")), "requirements": len(data.requirements),
                  "counted": len(counted), "musts": sum(1 for r in counted if r.priority == "must")},
        "strategies": strategies,
        "ranking": [{**result.as_dict(), "imbalance": checks["imbalance"][result.vendor],
                     "first_place_share": checks["rank_stability"]["first_place_share"][result.vendor],
                     "value_per_million": checks["value_for_money"][result.vendor]} for result in results],
        "checks": checks,
        "evidence": [{"requirement": r.hid, "title": r.title, "priority": r.priority,
                      "weight": results[0].requirements[r.hid].weight, "strategies": list(r.strategies),
                      "vendors": {result.vendor: _evidence(result.requirements[r.hid])
                                  for result in results}}
                     for r in counted],
    }


def _evidence(score) -> dict[str, Any]:
    return {"n": score.n, "basis": score.basis, "demo": score.demo, "evaluators": score.evaluator_means,
            "consensus": score.consensus, "claim": score.claim, "failed_probes": score.failed_probes}


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _warnings(report: dict[str, Any]) -> list[tuple[str, str]]:
    """What makes the numbers less than final, as (title, text), for both renderers to put first."""
    found = []
    if report["still_scoring"]:
        found.append(("Not final: still scoring", f"{_still_scoring(report)}. Their entries count once they submit, "
                                                  "so these numbers can still change."))
    if report["rescore_needed"]:
        found.append(("Re-score needed", f"{_rescore(report)}: they cite requirements that changed after the "
                                         "script was issued, so their scores may be out of date."))
    if report["never_scripted"]:
        found.append(("Never demonstrated", f"{_never_scripted(report)}."))
    return found


def _never_scripted(report: dict[str, Any]) -> str:
    missing = report["never_scripted"]
    one = len(missing) == 1
    listed = ", ".join(f"{hid} ({', '.join(vendors)})" for hid, vendors in missing.items())
    return (f"{len(missing)} counted requirement{'' if one else 's'} {'was' if one else 'were'} never put to some "
            f"vendors in a script, so no demonstration of theirs scored {'it' if one else 'them'}: {listed}; at most "
            "the questionnaire's claim counts")


def _rescore(report: dict[str, Any]) -> str:
    return "; ".join(f"{count} step{'' if count == 1 else 's'} of {slug}'s script"
                     for slug, count in report["rescore_needed"].items())


def _still_scoring(report: dict[str, Any]) -> str:
    return "; ".join(f"{slug} ({', '.join(people)})" for slug, people in report["still_scoring"].items())


def _reasons(vendor: dict[str, Any]) -> list[str]:
    return vendor["knockout_reasons"]


def to_markdown(report: dict[str, Any]) -> str:
    lines = [f"# Decision report: {_cell(report['project']['name'])}", "",
             f"Scored on {report['scope']}; generated {report['generated_at']}. Model: docs/scoring.md "
             f"(claim factor {report['settings']['claim_factor']}, knock-out below "
             f"{report['settings']['knockout_threshold']}, failed-probe cap {report['settings']['probe_cap']}).", "",
             *(line for title, text in _warnings(report) for line in (f"**{title}** — {text}", "")),
             "## The chain", "",
             f"{report['chain']['strategies']} strategies → {report['chain']['roles']} roles → "
             f"{report['chain']['processes']} processes → {report['chain']['requirements']} requirements "
             f"({report['chain']['counted']} counted, {report['chain']['musts']} must-haves).", "",
             "| Strategy | Sponsor | KPI | Requirements | Weight |", "|---|---|---|---|---|"]
    for s in report["strategies"]:
        lines.append(f"| {s['id']} {_cell(s['title'])} | {_cell(s['sponsor'])} | {_cell(s['kpi'])} | "
                     f"{s['requirements']} | {_number(s['weight'], 3) if s['weight'] is not None else 'equal'} |")
    lines += ["", "## Ranking", "", "| Rank | Vendor | Total | Must-haves | First in (Monte Carlo) | Imbalance | "
              "Total per 1M (5 years) | Status |", "|---|---|---|---|---|---|---|---|"]
    for v in report["ranking"]:
        lines.append(f"| {v['rank']} | {_cell(v['name'])} | {v['total']:.1f} | {v['must_subtotal']:.1f} | "
                     f"{v['first_place_share']:.0%} | {v['imbalance']:.2f} | {_number(v['value_per_million'])} | "
                     f"{'knocked out' if v['knocked_out'] else 'in'} |")
    lines += ["", "## Knock-outs", ""]
    knocked = [v for v in report["ranking"] if v["knocked_out"]]
    if not knocked:
        lines.append("No vendor is knocked out.")
    for v in knocked:
        count = len(v["knockout_reasons"])
        lines.append(f"**{_cell(v['name'])}** is knocked out ({count} reason{'' if count == 1 else 's'}):")
        lines.append("")
        lines += [f"- {_cell(reason)}" for reason in _reasons(v)]
        lines.append("")
    lines += ["", "## Scores per strategy", "", "| Strategy | " + " | ".join(v["vendor"] for v in report["ranking"])
              + " |", "|---|" + "---|" * len(report["ranking"])]
    for s in report["strategies"]:
        lines.append(f"| {s['id']} {_cell(s['title'])} | " + " | ".join(
            _number(v["by_strategy"].get(s["id"])) for v in report["ranking"]) + " |")
    checks = report["checks"]
    lines += ["", "## Decision checks", "",
              f"- Rank stability: {checks['rank_stability']['samples']} runs with every weight × U(0.8, 1.2), "
              f"seed {checks['rank_stability']['seed']}: " + ", ".join(
                  f"{vendor} first in {share:.0%}" for vendor, share in
                  checks["rank_stability"]["first_place_share"].items()) + ".",
              f"- Evaluator spread of 2 or more: {len(checks['evaluator_spread'])} requirement scores "
              f"(listed below; {settled(checks['evaluator_spread'])} settled by a consensus score).",
              f"- Claims the demo did not back: {len(checks['claims_not_backed'])}.", ""]
    if checks["evaluator_spread"]:
        lines += ["| Vendor | Requirement | Spread | Evaluator means | Consensus |", "|---|---|---|---|---|"]
        lines += [f"| {s['vendor']} | {s['requirement']} | {s['spread']:.1f} | " + ", ".join(
            f"{name} {value:.1f}" for name, value in sorted(s["evaluator_means"].items())) + " | "
            f"{_number(s['consensus'])} |" for s in checks["evaluator_spread"]]
        lines.append("")
    if checks["claims_not_backed"]:
        lines += ["| Vendor | Requirement | Claimed | Demo score |", "|---|---|---|---|"]
        lines += [f"| {c['vendor']} | {c['requirement']} | {c['claim']} | {c['demo']:.1f} |"
                  for c in checks["claims_not_backed"]]
        lines.append("")
    lines += ["## The evidence behind each number", "",
              "nᵣ per vendor (0–1) and where it came from: D = demo score of 5, C = consensus, "
              "claim = questionnaire answer × claim factor, probe = capped by a failed probe.", "",
              "| Requirement | Priority | Weight | " + " | ".join(v["vendor"] for v in report["ranking"]) + " |",
              "|---|---|---|" + "---|" * len(report["ranking"])]
    for row in report["evidence"]:
        lines.append(f"| {row['requirement']} {_cell(row['title'])} | {row['priority']} | {row['weight']:g} | "
                     + " | ".join(_evidence_text(row["vendors"][v["vendor"]]) for v in report["ranking"]) + " |")
    return "\n".join(lines) + "\n"


def _evidence_text(e: dict[str, Any]) -> str:
    if e["basis"] == "consensus":
        source = f"C {e['consensus']:.1f}"
    elif e["basis"] == "demo":
        source = f"D {e['demo']:.1f}"
    elif e["basis"] == "claim":
        source = f"claim {e['claim']}"
    elif e["basis"] == "probe cap":
        source = f"probe {', '.join(e['failed_probes'])} failed"
    else:
        source = "no evidence"
    return f"{e['n']:.2f} ({source})"


def _cell(text: str) -> str:
    """Text from users as Markdown shows it literally: no raw HTML, no link, no table break, on one line."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("[", "\\[").replace("]", "\\]").replace("|", "\\|").replace("\n", " ")


STYLE = """
body{font:15px/1.45 system-ui,sans-serif;color:#1b2330;max-width:1100px;margin:2em auto;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:2px solid #d8dee8;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;width:100%}th,td{border:1px solid #d8dee8;padding:.3em .5em;
text-align:left;vertical-align:top}th{background:#f1f4f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
.out{color:#a01c1c;font-weight:600}.in{color:#17613a;font-weight:600}.muted{color:#5c6675}
.chart text{font-size:12px}details{margin:.5em 0}@media print{details{display:block}body{margin:0}}
@media (max-width:1000px){table{display:block;overflow-x:auto}}
@media (max-width:700px){.chart{min-width:560px}.chart-box{overflow-x:auto}}
"""
COLOURS = ("#1f4e79", "#c0632b", "#3c8d4f", "#7b4ea3", "#9a8a22", "#2b8c9a", "#a3405f", "#5d6b7a")


def strategy_chart(report: dict[str, Any]) -> str:
    """Grouped horizontal bars, one group per strategy: an SVG the committee reads at a glance."""
    vendors = [v for v in report["ranking"]]
    bar, gap, label_width, width = 14, 12, 300, 720
    height = len(report["strategies"]) * (len(vendors) * bar + gap) + 40
    parts = [f'<svg class="chart" role="img" aria-label="Scores per strategy" viewBox="0 0 {width} {height}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg">']
    y = 10
    for s in report["strategies"]:
        parts.append(f'<text x="0" y="{y + len(vendors) * bar / 2 + 4}">{escape(s["id"])} '
                     f'{escape(s["title"][:38])}</text>')
        for index, v in enumerate(vendors):
            value = v["by_strategy"].get(s["id"]) or 0.0
            length = (width - label_width - 60) * value / 100
            parts.append(f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar - 2}" '
                         f'fill="{COLOURS[index % len(COLOURS)]}"><title>{escape(v["name"])}: {value:.1f}</title>'
                         f'</rect><text x="{label_width + length + 4:.1f}" y="{y + bar - 4}">{value:.0f}</text>')
            y += bar
        y += gap
    legend_x = 0
    for index, v in enumerate(vendors):
        parts.append(f'<rect x="{legend_x}" y="{y + 6}" width="12" height="12" '
                     f'fill="{COLOURS[index % len(COLOURS)]}"/><text x="{legend_x + 16}" y="{y + 16}">'
                     f'{escape(v["name"])}{" (knocked out)" if v["knocked_out"] else ""}</text>')
        legend_x += 230
    parts.append("</svg>")
    return "".join(parts)


def to_html(report: dict[str, Any]) -> str:
    """One file, no external resources: it opens from an e-mail attachment or a shared drive."""
    h = escape
    out = [f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
           '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Decision report: '
           f'{h(report["project"]["name"])}</title><style>{STYLE}</style></head><body>',
           f'<h1>Decision report: {h(report["project"]["name"])}</h1>',
           f'<p class="muted">Scored on {h(report["scope"])}; generated {h(report["generated_at"])}. Claim factor '
           f'{report["settings"]["claim_factor"]}, knock-out below {report["settings"]["knockout_threshold"]}, '
           f'failed-probe cap {report["settings"]["probe_cap"]}. Every number follows the documented scoring '
           f'model and can be checked by hand against the evidence table at the end.</p>',
           *(f'<p class="out">{h(title)} — {h(text)}</p>' for title, text in _warnings(report)),
           "<h2>Ranking</h2><table><thead><tr><th>Rank</th><th>Vendor</th><th>Total</th><th>Must-haves</th>"
           "<th>First in (Monte Carlo)</th><th>Imbalance</th><th>Total per 1M (5 years)</th><th>Status</th></tr>"
           "</thead><tbody>"]
    for v in report["ranking"]:
        out.append(f'<tr><td class="num">{v["rank"]}</td><td>{h(v["name"])}</td><td class="num">{v["total"]:.1f}'
                   f'</td><td class="num">{v["must_subtotal"]:.1f}</td><td class="num">{v["first_place_share"]:.0%}'
                   f'</td><td class="num">{v["imbalance"]:.2f}</td><td class="num">'
                   f'{_number(v["value_per_million"])}</td><td class="{"out" if v["knocked_out"] else "in"}">'
                   f'{"knocked out" if v["knocked_out"] else "in"}</td></tr>')
    out.append('</tbody></table><h2>Scores per strategy</h2><div class="chart-box">' + strategy_chart(report) + "</div>")
    out.append("<h2>Knock-outs</h2>")
    knocked = [v for v in report["ranking"] if v["knocked_out"]]
    if not knocked:
        out.append("<p>No vendor is knocked out.</p>")
    for v in knocked:
        out.append(f'<p><strong>{h(v["name"])}</strong> is knocked out, whatever its total, for these reasons:</p>'
                   "<ul>" + "".join(f"<li>{h(reason)}</li>" for reason in v["knockout_reasons"]) + "</ul>")
    c = report["chain"]
    out.append(f"<h2>The chain</h2><p>{c['strategies']} strategies → {c['roles']} roles → {c['processes']} "
               f"processes → {c['requirements']} requirements ({c['counted']} counted, {c['musts']} must-haves)."
               "</p><table><thead><tr><th>Strategy</th><th>Sponsor</th><th>KPI</th><th>Requirements</th>"
               "<th>Weight</th>" + "".join(f"<th>{h(v['vendor'])}</th>" for v in report["ranking"])
               + "</tr></thead><tbody>")
    for s in report["strategies"]:
        out.append(f'<tr><td>{h(s["id"])} {h(s["title"])}</td><td>{h(s["sponsor"])}</td><td>{h(s["kpi"])}</td>'
                   f'<td class="num">{s["requirements"]}</td><td class="num">'
                   f'{_number(s["weight"], 3) if s["weight"] is not None else "equal"}</td>'
                   + "".join(f'<td class="num">{_number(v["by_strategy"].get(s["id"]))}</td>'
                             for v in report["ranking"]) + "</tr>")
    out.append("</tbody></table>")
    checks = report["checks"]
    stability = checks["rank_stability"]
    out.append(f"<h2>Decision checks</h2><p>Rank stability: {stability['samples']} runs with every weight "
               f"multiplied by U(0.8, 1.2), seed {stability['seed']}: " + ", ".join(
                   f"{h(vendor)} first in {share:.0%}" for vendor, share in stability["first_place_share"].items())
               + ".</p>")
    out.append(f"<details><summary>Evaluator spread of 2 or more: {len(checks['evaluator_spread'])} "
               f"({settled(checks['evaluator_spread'])} settled by a consensus score)</summary>"
               "<table><thead><tr><th>Vendor</th><th>Requirement</th><th>Spread</th><th>Evaluator means</th>"
               "<th>Consensus</th></tr></thead><tbody>" + "".join(
                   f"<tr><td>{h(s['vendor'])}</td><td>{h(s['requirement'])}</td><td class='num'>{s['spread']:.1f}"
                   "</td><td>" + h(", ".join(f"{n} {m:.1f}" for n, m in sorted(s["evaluator_means"].items())))
                   + f"</td><td class='num'>{_number(s['consensus'])}</td></tr>" for s in checks["evaluator_spread"])
               + "</tbody></table></details>")
    out.append(f"<details><summary>Claims the demo did not back: {len(checks['claims_not_backed'])}</summary>"
               "<table><thead><tr><th>Vendor</th><th>Requirement</th><th>Claimed</th><th>Demo score</th></tr>"
               "</thead><tbody>" + "".join(
                   f"<tr><td>{h(x['vendor'])}</td><td>{h(x['requirement'])}</td><td>{h(x['claim'])}</td>"
                   f"<td class='num'>{x['demo']:.1f}</td></tr>" for x in checks["claims_not_backed"])
               + "</tbody></table></details>")
    out.append("<h2>The evidence behind each number</h2><p>nᵣ per vendor (0–1) and where it came from: D = demo "
               "score of 5, C = consensus, claim = questionnaire answer × claim factor, probe = capped by a failed "
               "probe.</p><details open><summary>Every counted requirement</summary><table><thead><tr>"
               "<th>Requirement</th><th>Priority</th><th>Weight</th>"
               + "".join(f"<th>{h(v['vendor'])}</th>" for v in report["ranking"]) + "</tr></thead><tbody>")
    for row in report["evidence"]:
        out.append(f'<tr><td>{h(row["requirement"])} {h(row["title"])}</td><td>{h(row["priority"])}</td>'
                   f'<td class="num">{row["weight"]:g}</td>' + "".join(
                       f'<td>{h(_evidence_text(row["vendors"][v["vendor"]]))}</td>' for v in report["ranking"])
                   + "</tr>")
    out.append("</tbody></table></details></body></html>")
    return "\n".join(out)


def write_report(report: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    text = to_markdown(report) if path.suffix.lower() in (".md", ".markdown") else to_html(report)
    path.write_text(text, encoding="utf-8")
    return path
