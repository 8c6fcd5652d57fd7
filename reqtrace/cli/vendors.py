"""Vendors competing in a project."""

from __future__ import annotations

import click

from reqtrace.cli.base import command, emit_json, json_option, main, obj
from reqtrace.db import session_scope
from reqtrace.services import vendors as vendor_service
from reqtrace.services.projects import get_project
from reqtrace.vocab import DEPLOYMENT, VENDOR_FLAG


@main.group("vendor")
def vendor_group() -> None:
    """Vendors competing for the contract.

    Example: reqtrace vendor list --project crm
    """


@command(vendor_group, "add")
@click.argument("slug")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--name", required=True, help="The vendor's company name.")
@click.option("--deployment", required=True, help=f"Deployment model: {', '.join(DEPLOYMENT.slugs)}.")
@click.option("--product", default="", help="The product offered.")
@click.option("--cost", "cost", default=None, help="Five-year cost of ownership.")
@click.option("--sandbox-url", default="", help="URL of the vendor's sandbox, for probes.")
@click.option("--flag", "flags", multiple=True, help=f"Repeatable: {', '.join(VENDOR_FLAG.slugs)}.")
@json_option
def vendor_add(slug: str, project_key: str, name: str, deployment: str, product: str, cost: str | None,
               sandbox_url: str, flags: tuple[str, ...], as_json: bool) -> None:
    """Add a vendor to a project.

    Example: reqtrace vendor add atlas --project crm --name "Atlas Field Systems" --deployment hybrid-offline --cost 1450000
    """
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        project = get_project(session, project_key)
        vendor = vendor_service.add_vendor(session, project, slug=slug, name=name, deployment=deployment,
                                           product=product, sandbox_url=sandbox_url, flags=list(flags),
                                           cost_5y=cost, actor=context.actor)
        result = vendor_service.snapshot(vendor)
    emit_json(result) if as_json else click.echo(f"Added vendor {slug} ({DEPLOYMENT.label(vendor.deployment)}).")


@command(vendor_group, "list")
@click.option("--project", "project_key", required=True, help="Project key.")
@json_option
def vendor_list(project_key: str, as_json: bool) -> None:
    """List a project's vendors.

    Example: reqtrace vendor list --project crm --json
    """
    with session_scope(obj().engine()) as session:
        project = get_project(session, project_key)
        rows = [vendor_service.snapshot(vendor) for vendor in vendor_service.list_vendors(session, project)]
    if as_json:
        emit_json({"project": project_key, "vendors": rows})
        return
    for row in rows:
        cost = f"{row['cost_5y']:,.0f}" if row["cost_5y"] is not None else "-"
        flags = f" [{', '.join(row['flags'])}]" if row["flags"] else ""
        click.echo(f"{row['slug']:<12} {row['name']:<30} {DEPLOYMENT.label(row['deployment']):<26} {cost:>12}{flags}")
