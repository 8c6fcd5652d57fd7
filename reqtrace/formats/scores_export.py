"""The scoring record: every vendor's evidence and score per requirement, with the totals as live formulas.

Procurement audits the decision in Excel and tries other weights there: the
weights, the claim factor, the knock-out threshold and the probe cap are
cells the formulas read. Recalculated as delivered, the totals equal
`reqtrace score` (the tests recalculate it in LibreOffice).

Sheets: Summary (totals, must-have subtotals, knock-outs, ranks, a chart),
Scores (per requirement: weight, and per vendor D, claim value, failed probe,
nᵣ), By strategy (roll-ups), Trace (which requirement sits under which
strategy), Evidence (answers, evaluator means, consensus, probes), About.
"""

from __future__ import annotations

from typing import IO, Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from reqtrace.formats import Progress, report_rows
from reqtrace.formats.xlsx_writer import Formula, SheetColumn, SheetWriter, text_rows
from reqtrace.model import Project
from reqtrace.scoring.engine import ROUND_FOR_KNOCKOUT
from reqtrace.scoring.load import score_project
from reqtrace.scoring.engine import weights as weights_of
from reqtrace.trace.graph import hid_key, nogc
from reqtrace.vocab import PRIORITY

# Settings cells on the Summary sheet (the formulas refer to them).
CLAIM_FACTOR, THRESHOLD, PROBE_CAP = "Summary!$B$4", "Summary!$B$5", "Summary!$B$6"
SCORES_FIRST_ROW = 2
PER_VENDOR = 4  # D, claim value, probe failed, n


@nogc
def export_scores(session: Session, project: Project, target: str | IO[bytes], *,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Score the project and write the record; `progress` hears of the rows written to each sheet."""
    data, results = score_project(session, project)
    requirements = data.requirements
    vendors = sorted(results, key=lambda result: result.vendor)  # columns in a stable order
    count = len(requirements)
    last = SCORES_FIRST_ROW + count - 1
    weight = weights_of(requirements, data.strategy_weights)
    base_columns = ["ID", "Title", "Priority", "Base weight", "Strategy factor", "Weight", "Must-have"]
    first_vendor_column = len(base_columns) + 1
    column_of = {}  # vendor -> its first column number
    for index, result in enumerate(vendors):
        column_of[result.vendor] = first_vendor_column + index * PER_VENDOR
    rng = lambda column: f"Scores!${column}${SCORES_FIRST_ROW}:${column}${last}"  # noqa: E731
    W, MUST = rng("F"), rng("G")

    workbook = Workbook(write_only=True)
    summary = SheetWriter(workbook, "Summary", [
        SheetColumn("Vendor", 14, locked=True), SheetColumn("Name", 28, locked=True),
        SheetColumn("Total", 10, locked=True), SheetColumn("Must-have subtotal", 12, locked=True),
        SheetColumn("Must-haves below threshold", 14, locked=True), SheetColumn("Other knock-outs", 12, locked=True),
        SheetColumn("Knocked out", 11, locked=True), SheetColumn("Rank here", 9, locked=True),
        SheetColumn("Rank in reqtrace", 10, locked=True), SheetColumn("5-year cost", 14, locked=True),
        SheetColumn("Total per million of cost", 14, locked=True), SheetColumn("Knock-out reasons", 90, locked=True,
                                                                               wrap=True)],
        protect=False, freeze=None, autofilter=False, header=False)
    summary.append([f"Scoring record — {project.name}", None, None, None, None, None, None, None, None, None, None,
                    None])
    summary.append([f"Scored on {data.scope.label}; {count} requirements. Change the weights on the Scores sheet "
                    "or the settings below and the totals follow."])
    summary.append(["Setting", "Value"])
    summary.append(["Claim factor", data.settings.claim_factor])
    summary.append(["Knock-out threshold", data.settings.knockout_threshold])
    summary.append(["Probe cap", data.settings.probe_cap])
    summary.append([])
    header_row = 8
    summary.append(["Vendor", "Name", "Total", "Must-have subtotal", "Must-haves below threshold", "Other knock-outs",
                    "Knocked out", "Rank here", "Rank in reqtrace", "5-year cost", "Total per million of cost",
                    "Knock-out reasons"])
    first_vendor_row = header_row + 1
    last_vendor_row = header_row + len(vendors)
    for offset, result in enumerate(vendors):
        row = first_vendor_row + offset
        n = rng(get_column_letter(column_of[result.vendor] + 3))
        threshold_reasons = sum(1 for reason in result.knockout_reasons if "below" in reason and "scored" in reason)
        others = len(result.knockout_reasons) - threshold_reasons
        summary.append([
            result.vendor, result.name,
            Formula(f"=IF(SUM({W})=0,0,100*SUMPRODUCT({W},{n})/SUM({W}))"),
            Formula(f"=IF(SUMPRODUCT({W},{MUST})=0,0,100*SUMPRODUCT({W},{n},{MUST})/SUMPRODUCT({W},{MUST}))"),
            Formula(f"=SUMPRODUCT(({MUST}=1)*({W}>0)*(ROUND({n},{ROUND_FOR_KNOCKOUT})<{THRESHOLD}))"),
            others,
            Formula(f'=IF(OR(E{row}>0,F{row}>0),"yes","no")'),
            Formula(f'=IF(G{row}="yes","-",COUNTIFS($G${first_vendor_row}:$G${last_vendor_row},"no",'
                    f'$C${first_vendor_row}:$C${last_vendor_row},">"&C{row})+1)'),
            result.rank, result.cost_5y,
            Formula(f'=IF(J{row}>0,C{row}/(J{row}/1000000),"")') if result.cost_5y else None,
            "\n".join(result.knockout_reasons) or None,
        ])
        report_rows(progress, "writing Summary", offset + 1, len(vendors))
    summary.finish()
    if vendors:
        chart = BarChart()
        chart.type, chart.title, chart.y_axis.title = "col", "Total per vendor", "Total (0–100)"
        chart.add_data(Reference(summary.sheet, min_col=3, min_row=header_row, max_row=last_vendor_row),
                       titles_from_data=True)
        chart.set_categories(Reference(summary.sheet, min_col=1, min_row=first_vendor_row, max_row=last_vendor_row))
        chart.height, chart.width = 8, 16
        summary.sheet.add_chart(chart, f"A{last_vendor_row + 3}")

    vendor_columns = []
    for result in vendors:
        for label in ("D (demo 0-5)", "Claim value", "Probe failed", "n"):
            vendor_columns.append(SheetColumn(f"{result.vendor}: {label}", 11, locked=label == "n"))
    scores = SheetWriter(workbook, "Scores", [
        SheetColumn("ID", 10, locked=True), SheetColumn("Title", 44, locked=True), SheetColumn("Priority", 9, locked=True),
        SheetColumn("Base weight", 9), SheetColumn("Strategy factor", 9), SheetColumn("Weight", 9, locked=True),
        SheetColumn("Must-have", 9, locked=True), *vendor_columns], freeze="C2", protect=False)
    for offset, requirement in enumerate(requirements):
        row = SCORES_FIRST_ROW + offset
        factor = weight[requirement.hid] / requirement.weight if requirement.weight else 1.0
        values: list[Any] = [requirement.hid, requirement.title, PRIORITY.label(requirement.priority),
                             requirement.weight, factor, Formula(f"=D{row}*E{row}"),
                             1 if requirement.priority == "must" else 0]
        for result in vendors:
            score = result.requirements[requirement.hid]
            first = column_of[result.vendor]
            d, c, p = (get_column_letter(first + i) for i in range(3))
            x = f'IF({d}{row}<>"",{d}{row}/5,IF({c}{row}<>"",{CLAIM_FACTOR}*{c}{row},0))'
            values += [score.demo, score.claim_value, 1 if score.failed_probes else 0,
                       Formula(f"=IF({p}{row}=1,MIN({PROBE_CAP},{x}),{x})")]
        scores.append(values)
        report_rows(progress, "writing Scores", offset + 1, count)
    scores.finish()

    strategies = sorted({s for r in requirements for s in r.strategies}, key=hid_key)
    trace = SheetWriter(workbook, "Trace", [SheetColumn("ID", 10, locked=True),
                                           *(SheetColumn(s, 8, locked=True) for s in strategies)],
                        freeze="B2", protect=False)
    for offset, requirement in enumerate(requirements):
        members = set(requirement.strategies)
        trace.append([requirement.hid, *(1 if s in members else 0 for s in strategies)])
        report_rows(progress, "writing Trace", offset + 1, count)
    trace.finish()

    by_strategy = SheetWriter(workbook, "By strategy", [SheetColumn("Strategy", 10, locked=True),
                                                        *(SheetColumn(v.vendor, 12, locked=True) for v in vendors)],
                              freeze="B2", protect=False)
    for index, strategy in enumerate(strategies):
        member = f"Trace!${get_column_letter(index + 2)}${SCORES_FIRST_ROW}:${get_column_letter(index + 2)}${last}"
        row = [strategy]
        for result in vendors:
            n = rng(get_column_letter(column_of[result.vendor] + 3))
            row.append(Formula(f"=IF(SUMPRODUCT({W},{member})=0,0,100*SUMPRODUCT({W},{n},{member})"
                               f"/SUMPRODUCT({W},{member}))"))
        by_strategy.append(row)
        report_rows(progress, "writing By strategy", index + 1, len(strategies))
    by_strategy.finish()

    evidence = SheetWriter(workbook, "Evidence", [
        SheetColumn("Vendor", 12), SheetColumn("ID", 10), SheetColumn("Answer", 16), SheetColumn("Evaluator means", 30),
        SheetColumn("Consensus", 10), SheetColumn("Failed probes", 16), SheetColumn("n", 8), SheetColumn("Basis", 12)],
        freeze="C2", protect=False)
    written = 0
    for result in vendors:
        for requirement in requirements:
            score = result.requirements[requirement.hid]
            evidence.append([result.vendor, requirement.hid, score.claim,
                             ", ".join(f"{e} {m:.2f}" for e, m in sorted(score.evaluator_means.items())) or None,
                             score.consensus, ", ".join(score.failed_probes) or None, score.n, score.basis])
            written += 1
            report_rows(progress, "writing Evidence", written, len(vendors) * count)
    evidence.finish()
    text_rows(workbook, "About", _about(), [110])
    workbook.save(target)
    return {"project": project.key, "vendors": len(vendors), "requirements": count, "scope": data.scope.label,
            "sheets": {"Summary": len(vendors), "Scores": count, "Trace": count, "By strategy": len(strategies),
                       "Evidence": len(vendors) * count}}


def _about() -> list[list[str]]:
    return [
        ["How the scores are computed (the same model as `reqtrace score`)"],
        ["Weight: the stored weight, else the priority's (must 5, should 3, could 1, won't 0), times the strategy "
         "factor when strategy weights are applied. A requirement of weight 0 counts nowhere."],
        ["D: per evaluator, the mean of their latest scores on the demo steps citing the requirement; D is the "
         "mean of those means. A consensus score recorded by the CRM lead replaces it."],
        ["n = D/5 when demonstrated; otherwise the claim factor times the claim value (fully supported 1, "
         "configuration 0.8, customisation 0.5, third party 0.5, roadmap 0.2, not supported 0); otherwise 0. "
         "A failed probe caps n at the probe cap."],
        ["Total = 100 × Σ(weight × n) / Σ weight. The must-have subtotal is the same over must-haves only."],
        ["Knock-outs: a must-have with n (rounded to 6 decimals) below the threshold, a failed probe on a "
         "must-have, the vendor's deployment model excluded by a must-have, or a contract demanded before the "
         "proof of concept. 'Other knock-outs' counts the reasons that are not the threshold."],
        ["Rank here follows the totals in this workbook among vendors not knocked out; 'Rank in reqtrace' also "
         "breaks ties by the must-have subtotal, then by vendor."],
    ]
