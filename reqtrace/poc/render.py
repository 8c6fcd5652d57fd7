"""The script as vendors receive it: Markdown, and print-friendly HTML (sanitised, self-contained)."""

from __future__ import annotations

from html import escape
from typing import Any

from reqtrace.richtext import render_markdown


def minutes_text(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def to_markdown(content: dict[str, Any], *, project_name: str, vendor_name: str | None = None) -> str:
    # A scenario with no steps asks nothing of the vendor (the checklist leaves it out too).
    content = {**content, "scenarios": [scenario for scenario in content["scenarios"] if scenario["steps"]]}
    source = f"baseline {content['baseline']}" if content["baseline"] else "the approved requirements"
    lines = [f"# {content['title']}", "",
             f"Version {content['version']} of the scripted demonstration for {project_name}"
             + (f", issued to **{vendor_name}**" if vendor_name else "")
             + f". Built from {source}. Total time: {minutes_text(content['minutes'])} in "
               f"{len(content['scenarios'])} scenarios.", "",
             "## How the demonstration runs", "", content["introduction"].strip(), "",
             "## Sample data to load beforehand", "", content["sample_data"].strip(), ""]
    for scenario in content["scenarios"]:
        lines += [f"## {scenario['key']}: {scenario['title']} ({minutes_text(scenario['minutes'])})", "",
                  scenario["narrative"].strip(), ""]
        for step in scenario["steps"]:
            cites = ", ".join(step["requirements"]) or "no requirement"
            lines += [f"### {step['hid']} — {minutes_text(step['timebox_minutes'])} — proves {cites}", "",
                      step["instruction"].strip(), "", "**What we expect to see**", "",
                      step["expected"].strip() or "—", ""]
    return "\n".join(lines).rstrip() + "\n"


def to_html(content: dict[str, Any], *, project_name: str, vendor_name: str | None = None) -> str:
    """One self-contained page that prints well: each scenario starts a page."""
    body = render_markdown(to_markdown(content, project_name=project_name, vendor_name=vendor_name))
    title = escape(f"{content['title']} — version {content['version']}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>
body {{ font-family: Georgia, "Times New Roman", serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #111; }}
pre {{ max-width: 100%; overflow-x: auto; }}
@media (max-width: 700px) {{ table {{ display: block; max-width: 100%; overflow-x: auto; }} }}
h1 {{ font-size: 1.7rem; }} h2 {{ font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #999; }}
h3 {{ font-size: 1.05rem; margin-top: 1.4rem; }}
@media print {{ body {{ margin: 0; max-width: none; }} h2 {{ break-before: page; }}
               h3, h3 + p {{ break-after: avoid; }} }}
</style></head><body>
{body}
</body></html>
"""
