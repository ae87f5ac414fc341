"""``vertex-openai endpoints``: list a region's self-deployed endpoints (a table, or --json)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..endpoints import describe_endpoint, list_endpoints
from ._common import EMULATOR_LOCATION, EXIT_OK, EXIT_USAGE, CliError, add_target_args, connect

if TYPE_CHECKING:
    from ._common import Commands


def add_parser(commands: Commands) -> None:
    """Register ``endpoints``."""
    parser = commands.add_parser(
        "endpoints",
        help="list self-deployed endpoints in a region (like `gcloud ai endpoints list`)",
        description="List the Vertex AI endpoints of a project in one region, with the "
        "parameters to reach each one through vertex-openai.",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list for scripts")
    add_target_args(parser, endpoint_id=False)
    parser.set_defaults(run=run)


def endpoint_location(args: argparse.Namespace) -> str:
    """The region to list: --location, GOOGLE_CLOUD_LOCATION, or the emulator's."""
    location = args.location or os.environ.get("GOOGLE_CLOUD_LOCATION") or None
    if location is None and args.emulator:
        location = EMULATOR_LOCATION
    if location is None:
        raise CliError(
            "endpoints are regional: pass --location REGION (e.g. us-central1) or set "
            "GOOGLE_CLOUD_LOCATION",
            EXIT_USAGE,
        )
    if location == "global":
        raise CliError(
            "location 'global' has no self-deployed endpoints (they are regional): pass "
            "--location REGION, e.g. --location us-central1",
            EXIT_USAGE,
        )
    return location


def table(headers: Sequence[str], rows: Sequence[tuple[Sequence[str], str]]) -> str:
    """Aligned columns; each row is followed by its indented ``use:`` line."""
    widths = [max(len(h), *(len(r[0][i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    lines = [line(headers)]
    for cells, use in rows:
        lines += [line(cells), f"    use: {use}"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """``endpoints``: the table (or JSON list) of the region's endpoints."""
    location = endpoint_location(args)
    with contextlib.ExitStack() as stack:
        session = connect(args, stack, location=location)
        target = session.connection.target
        raw = list_endpoints(session.connection)
    shown_endpoint = None if args.emulator else args.api_endpoint
    rows = [describe_endpoint(item, target, shown_endpoint) for item in raw]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    where = f"project {target.project}, location {target.location}"
    if not rows:
        print(f"No endpoints in {where}.")
        return EXIT_OK
    print(f"{len(rows)} endpoint{'s' if len(rows) != 1 else ''} in {where}:\n")
    table_rows = []
    for row in rows:
        models = ", ".join(
            str(m["display_name"] or m["id"] or m["model"] or "?") for m in row["deployed_models"]
        )
        params = ", ".join(f"{k}={json.dumps(v)}" for k, v in row["parameters"].items())
        cells = [
            row["endpoint_id"],
            str(row["display_name"] or ""),
            models or "(none deployed)",
            row["dedicated_endpoint_dns"] or "-",
        ]
        table_rows.append((cells, params))
    headers = ["ENDPOINT_ID", "DISPLAY_NAME", "DEPLOYED_MODELS", "DEDICATED_DNS"]
    print(table(headers, table_rows))
    print(
        "\n`use:` are the parameters for ChatVertexOpenAI / VertexOpenAIEmbeddings / "
        "VertexOpenAILike / vertex_openai.openai_client (CLI: --endpoint-id, --location, "
        "--api-endpoint)."
    )
    return EXIT_OK
