"""`speechflow share`: create (URL shown once), list without the URL, revoke ends access."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from services.cli.commands.share import ttl
from services.cli.errors import ExitCode
from tests import media
from tests.cli.conftest import Cli


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.synthesize_speech(
        "We shared the plan with the whole team.", tmp_path_factory.mktemp("cli") / "plan.wav"
    )


def uploaded(signed_in: Cli, speech: Path) -> str:
    result = signed_in("upload", str(speech), "--title", "Shared plan", "--json")
    assert result.code == 0, result.err
    document_id: str = result.json()["documents"][0]["id"]
    return document_id


def test_a_share_link_is_created_listed_used_without_sign_in_and_revoked(
    signed_in: Cli, speech: Path
) -> None:
    document_id = uploaded(signed_in, speech)

    created = signed_in("share", "create", document_id, "--ttl", "2d", "--json")
    assert created.code == 0, created.err
    link = created.json()
    token = httpx.URL(link["url"]).path.removeprefix("/s/")
    shown = httpx.get(f"{signed_in.server}/api/v1/shared/{token}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["document"]["title"] == "Shared plan"

    listed = signed_in("share", "list", document_id)
    assert listed.code == 0, listed.err
    assert link["id"] in listed.out
    assert "active" in listed.out
    assert token not in listed.out

    revoked = signed_in("share", "revoke", link["id"])
    assert revoked.code == 0, revoked.err
    assert httpx.get(f"{signed_in.server}/api/v1/shared/{token}").status_code == 404
    [after] = signed_in("share", "list", document_id, "--json").json()["share_links"]
    assert after["revoked"] is True


def test_plain_output_shows_the_url_once_with_the_export_hint(signed_in: Cli, speech: Path) -> None:
    created = signed_in("share", "create", uploaded(signed_in, speech))
    assert created.code == 0, created.err
    assert "/s/" in created.out
    assert "?format=txt" in created.out


def test_a_ttl_beyond_ninety_days_is_refused_clearly(signed_in: Cli, speech: Path) -> None:
    result = signed_in("share", "create", uploaded(signed_in, speech), "--ttl", "91d")
    assert result.code == ExitCode.USAGE
    assert "90 days" in result.err


def test_sharing_an_unknown_document_is_not_found(signed_in: Cli) -> None:
    result = signed_in("share", "create", "00000000-0000-0000-0000-000000000000")
    assert result.code == ExitCode.NOT_FOUND


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)), ("7D", timedelta(days=7))],
)
def test_a_ttl_is_a_number_and_a_unit(text: str, expected: timedelta) -> None:
    assert ttl(text) == expected


@pytest.mark.parametrize("text", ["7", "d", "1.5d", "-1d", "7 years"])
def test_a_ttl_without_a_known_unit_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        ttl(text)
