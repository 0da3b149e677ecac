"""`speechflow webhooks`: create (secret shown once), list, rotate, deliveries, delete; bad targets
answered clearly."""

from __future__ import annotations

from services.cli.errors import ExitCode
from tests.cli.conftest import Cli

# A public address given literally: accepted without DNS, never called (nothing completes
# for this user).
PUBLIC_TARGET = "http://8.8.8.8/speechflow-hook"


def test_a_webhook_is_created_listed_and_deleted(signed_in: Cli) -> None:
    created = signed_in(
        "webhooks", "create", PUBLIC_TARGET, "--events", "document.failed", "--json"
    )
    assert created.code == 0, created.err
    webhook = created.json()
    assert webhook["secret"].startswith("whsec_")
    assert webhook["events"] == ["document.failed"]

    listed = signed_in("webhooks", "list")
    assert listed.code == 0, listed.err
    assert "8.8.8.8" in listed.out
    assert "failed" in listed.out
    assert "completed" not in listed.out
    assert webhook["secret"] not in listed.out

    deliveries = signed_in("webhooks", "deliveries", webhook["id"])
    assert deliveries.code == 0, deliveries.err
    assert "No deliveries" in deliveries.out

    assert signed_in("webhooks", "delete", webhook["id"]).code == 0
    assert signed_in("webhooks", "list", "--json").json() == {"webhooks": []}


def test_create_shows_the_secret_once_in_plain_output(signed_in: Cli) -> None:
    created = signed_in("webhooks", "create", PUBLIC_TARGET)
    assert created.code == 0, created.err
    assert "whsec_" in created.out
    assert "only this once" in created.out


def test_a_loopback_target_is_refused_with_the_reason(signed_in: Cli) -> None:
    refused = signed_in("webhooks", "create", "http://127.0.0.1:9000/hook")
    assert refused.code != 0
    assert "loopback, private or link-local" in refused.err


def test_deleting_an_unknown_webhook_is_not_found(signed_in: Cli) -> None:
    assert signed_in("webhooks", "delete", "no-such-webhook").code == ExitCode.NOT_FOUND


def test_rotate_gives_a_new_secret_shown_once(signed_in: Cli) -> None:
    webhook = signed_in("webhooks", "create", PUBLIC_TARGET, "--json").json()
    rotated = signed_in("webhooks", "rotate", webhook["id"])
    assert rotated.code == 0, rotated.err
    assert "new signing secret" in rotated.out
    new_secret = rotated.out.split("whsec_", 1)[1].split()[0]
    assert f"whsec_{new_secret}" != webhook["secret"]
    assert signed_in("webhooks", "rotate", "no-such-webhook").code == ExitCode.NOT_FOUND
