"""Vendors competing in a project."""

from __future__ import annotations

import click

from reqtrace.cli.base import command, emit_json, json_option, main, obj
from reqtrace.db import session_scope
from reqtrace.schemas import MAX_ID
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
@click.option("--notes", default="", help="Anything else worth knowing about the vendor.")
@json_option
def vendor_add(slug: str, project_key: str, name: str, deployment: str, product: str, cost: str | None,
               sandbox_url: str, flags: tuple[str, ...], notes: str, as_json: bool) -> None:
    """Add a vendor to a project.

    Example: reqtrace vendor add atlas --project crm --name "Atlas Field Systems" --deployment hybrid-offline --cost 1450000
    """
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        project = get_project(session, project_key)
        vendor = vendor_service.add_vendor(session, project, slug=slug, name=name, deployment=deployment,
                                           product=product, sandbox_url=sandbox_url, flags=list(flags),
                                           cost_5y=cost, notes=notes, actor=context.actor)
        result = vendor_service.snapshot(vendor)
    emit_json(result) if as_json else click.echo(f"Added vendor {slug} ({DEPLOYMENT.label(vendor.deployment)}).")


@command(vendor_group, "edit")
@click.argument("slug")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--name", default=None, help="The vendor's company name.")
@click.option("--deployment", default=None, help=f"Deployment model: {', '.join(DEPLOYMENT.slugs)}.")
@click.option("--product", default=None, help="The product offered.")
@click.option("--cost", "cost", default=None, help='Five-year cost of ownership; --cost "" clears it.')
@click.option("--sandbox-url", default=None, help="URL of the vendor's sandbox, for probes.")
@click.option("--flag", "flags", multiple=True,
              help=f"Repeatable; the vendor's flags become exactly these: {', '.join(VENDOR_FLAG.slugs)}.")
@click.option("--no-flags", is_flag=True, help="Clear every flag.")
@click.option("--notes", default=None, help="Anything else worth knowing about the vendor.")
@click.option("--version", "expected_version", type=click.IntRange(1, MAX_ID), default=None,
              help="Refuse the edit unless the vendor is still at this version (see `vendor list --json`).")
@json_option
def vendor_edit(slug: str, project_key: str, name: str | None, deployment: str | None, product: str | None,
                cost: str | None, sandbox_url: str | None, flags: tuple[str, ...], no_flags: bool,
                notes: str | None, expected_version: int | None, as_json: bool) -> None:
    """Change a vendor's details; only the options given change (the slug never does).

    Example: reqtrace vendor edit atlas --project crm --cost 1520000 --flag contract-before-poc
    """
    if flags and no_flags:
        raise click.UsageError("give --flag or --no-flags, not both")
    changes = {name_: value for name_, value in (("name", name), ("deployment", deployment), ("product", product),
                                                 ("cost_5y", cost), ("sandbox_url", sandbox_url), ("notes", notes))
               if value is not None}
    if flags or no_flags:
        changes["flags"] = list(flags)
    if not changes:
        raise click.UsageError("nothing to change: give at least one of --name, --deployment, --product, --cost, "
                               "--sandbox-url, --flag, --no-flags, --notes")
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        project = get_project(session, project_key)
        try:
            vendor, changed = vendor_service.update_vendor(session, project, slug, changes, actor=context.actor,
                                                           expected_version=expected_version)
        except vendor_service.VendorUnchanged:
            vendor, changed = vendor_service.get_vendor(session, project, slug), []
        result = vendor_service.snapshot(vendor)
    if as_json:
        emit_json({**result, "changed": changed})
    elif changed:
        click.echo(f"Vendor {slug} is now version {result['version']}: changed {', '.join(changed)}.")
    else:
        click.echo(f"Vendor {slug} already had these values: nothing changed (still version {result['version']}).")


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
