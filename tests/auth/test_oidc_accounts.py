"""Which account a provider identity signs in as, and what counts as its claims: pure rules
(services/auth/oidc/accounts.py, the claim handling of services/auth/oidc/client.py)."""

from __future__ import annotations

import pytest

from services.auth.oidc.accounts import Link, grants_admin, link_for
from services.auth.oidc.client import ProviderIdentity, SignInRejected, merged_claims
from services.kernel.errors import FailedPrecondition


def test_a_known_identity_signs_in_as_its_account_whatever_the_email() -> None:
    link = link_for(identity_known=True, email_taken=True, email_verified=False, provider="X")
    assert link is Link.KNOWN


def test_a_new_email_creates_an_account_verified_or_not() -> None:
    for verified in (True, False):
        link = link_for(
            identity_known=False, email_taken=False, email_verified=verified, provider="X"
        )
        assert link is Link.CREATE


def test_a_verified_email_links_to_the_account_that_has_it() -> None:
    link = link_for(identity_known=False, email_taken=True, email_verified=True, provider="X")
    assert link is Link.LINK_BY_EMAIL


def test_an_unverified_email_never_links_and_says_why() -> None:
    with pytest.raises(FailedPrecondition) as refused:
        link_for(identity_known=False, email_taken=True, email_verified=False, provider="Acme")
    assert refused.value.reason == "OIDC_EMAIL_NOT_VERIFIED"
    assert "Acme has not verified" in refused.value.message


@pytest.mark.parametrize(
    ("claims", "granted"),
    [
        ({"groups": ["staff", "speechflow-admins"]}, True),
        ({"groups": ["staff"]}, False),
        ({"groups": "speechflow-admins"}, True),
        ({"groups": "speechflow-admins-not"}, False),
        ({}, False),
        ({"groups": None}, False),
    ],
)
def test_the_admin_claim_is_the_value_or_a_list_holding_it(
    claims: dict[str, object], granted: bool
) -> None:
    assert grants_admin(claims, "groups", "speechflow-admins") is granted


def test_no_configured_admin_claim_grants_nothing() -> None:
    assert not grants_admin({"groups": ["speechflow-admins"]}, "", "")
    assert not grants_admin({"groups": [""]}, "groups", "")


def test_only_a_true_email_verified_counts_as_verified() -> None:
    def verified(value: object) -> bool:
        claims = {"sub": "1", "email": "a@example.com", "email_verified": value}
        return ProviderIdentity(issuer="https://idp", subject="1", claims=claims).email_verified

    assert verified(True)
    assert verified("true")  # some providers send it as a string
    assert not verified(False)
    assert not verified("false")
    assert not verified(None)
    assert not verified(1)


def test_userinfo_about_another_subject_is_not_merged_into_the_id_token() -> None:
    with pytest.raises(SignInRejected):
        merged_claims({"sub": "alice"}, {"sub": "mallory", "email": "alice@example.com"})
    merged = merged_claims({"sub": "alice", "email": "a@x.com"}, {"sub": "alice", "name": "A"})
    assert merged == {"sub": "alice", "email": "a@x.com", "name": "A"}
