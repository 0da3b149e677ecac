"""`webhooks create|list|delete|deliveries`: signed callbacks when documents complete or fail."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from rich.markup import escape
from rich.table import Table

from services.cli.commands import Commands
from services.cli.context import Context
from services.cli.errors import ExitCode
from services.cli.paging import every_item
from services.cli.views import ID_WIDTH, plain_table, when
from speechflow.notifier.v1 import notifier_pb2 as pb

EVENTS = ("document.completed", "document.failed")
STATUS_WORDS = {
    pb.WEBHOOK_DELIVERY_STATUS_PENDING: "pending",
    pb.WEBHOOK_DELIVERY_STATUS_SUCCEEDED: "succeeded",
    pb.WEBHOOK_DELIVERY_STATUS_FAILED: "failed",
}


def add_commands(commands: Commands) -> None:
    webhooks = commands.group(
        "webhooks",
        help="signed HTTP callbacks when your documents complete or fail",
    )
    create = webhooks.add(
        "create", create_command, help="register a webhook (its signing secret is shown once)"
    )
    create.add_argument("url", metavar="URL", help="http:// or https:// endpoint to POST to")
    create.add_argument(
        "--events",
        nargs="+",
        choices=EVENTS,
        default=[],
        metavar="EVENT",
        help=f"events to deliver: {', '.join(EVENTS)} (default: both)",
    )
    create.add_argument("--description", default="", help="a note for yourself")
    webhooks.add("list", list_command, help="list webhooks", aliases=["ls"])
    # These three act on one webhook, named by its id.
    for one_webhook in (
        webhooks.add(
            "delete", delete_command, help="delete a webhook and its history", aliases=["rm"]
        ),
        webhooks.add(
            "rotate",
            rotate_command,
            help="give a webhook a new signing secret (shown once; the old one stops at once)",
        ),
        webhooks.add(
            "deliveries", deliveries_command, help="recent deliveries of a webhook, newest first"
        ),
    ):
        one_webhook.add_argument("webhook", metavar="ID", help="the webhook's id")


def webhooks_table(webhooks: Iterable[pb.Webhook]) -> Table:
    table = plain_table()
    # Narrow terminals fold the id and the URL; the events are short words.
    table.add_column("URL", overflow="fold", min_width=20, ratio=2)
    table.add_column("Events", no_wrap=True)
    table.add_column("ID", overflow="fold", max_width=ID_WIDTH, ratio=1)
    table.add_column("Description", overflow="fold", ratio=1)
    for webhook in webhooks:
        table.add_row(
            escape(webhook.url),
            " ".join(e.removeprefix("document.") for e in webhook.events),
            webhook.id,
            escape(webhook.description),
        )
    return table


def deliveries_table(deliveries: Iterable[pb.WebhookDelivery]) -> Table:
    table = plain_table()
    table.add_column("Event")
    table.add_column("Document", overflow="fold", max_width=ID_WIDTH)
    table.add_column("Status")
    table.add_column("Attempts", justify="right")
    table.add_column("Code", justify="right")
    table.add_column("Last attempt")
    table.add_column("Error", overflow="fold")
    for delivery in deliveries:
        last = when(delivery.last_attempt_time) if delivery.HasField("last_attempt_time") else "—"
        table.add_row(
            delivery.event_type,
            delivery.document_id,
            STATUS_WORDS.get(delivery.status, "unknown"),
            str(delivery.attempts),
            str(delivery.response_code or "—"),
            last,
            escape(delivery.error),
        )
    return table


def create_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    request = pb.CreateWebhookRequest(
        webhook=pb.Webhook(url=args.url, events=args.events, description=args.description)
    )
    webhook = session.unary(session.notifier.CreateWebhook, request).webhook
    context.output.message(
        webhook,
        f"Created webhook {webhook.id} for {escape(webhook.url)} "
        f"({', '.join(webhook.events)}).\n"
        "Its signing secret, shown only this once (verify each delivery's `webhook-signature` "
        "with it, e.g. with the `standardwebhooks` library):\n\n"
        f"  {escape(webhook.secret)}\n",
    )
    return ExitCode.OK


def list_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    webhooks = every_item(
        lambda token: session.unary(
            session.notifier.ListWebhooks, pb.ListWebhooksRequest(page_token=token)
        ),
        lambda page: page.webhooks,
    )
    context.output.listing(
        "webhooks",
        webhooks,
        webhooks_table,
        "No webhooks yet; `speechflow webhooks create URL` makes one.",
    )
    return ExitCode.OK


def delete_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    session.unary(session.notifier.DeleteWebhook, pb.DeleteWebhookRequest(webhook_id=args.webhook))
    context.output.result({"deleted_webhook_id": args.webhook}, f"Deleted webhook {args.webhook}")
    return ExitCode.OK


def rotate_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    request = pb.RotateWebhookSecretRequest(webhook_id=args.webhook)
    webhook = session.unary(session.notifier.RotateWebhookSecret, request).webhook
    context.output.message(
        webhook,
        f"Webhook {webhook.id} has a new signing secret, shown only this once "
        "(deliveries are signed with it from now on):\n\n"
        f"  {escape(webhook.secret)}\n",
    )
    return ExitCode.OK


def deliveries_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    request = pb.ListWebhookDeliveriesRequest(webhook_id=args.webhook)
    deliveries = session.unary(session.notifier.ListWebhookDeliveries, request).deliveries
    empty = "No deliveries to this webhook yet."
    context.output.listing("deliveries", deliveries, deliveries_table, empty)
    return ExitCode.OK
