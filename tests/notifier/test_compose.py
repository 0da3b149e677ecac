"""Completion and failure emails: language, subject, links, escaping, both parts."""

from __future__ import annotations

import pytest

from services.notifier.email import ActionItem, FailedStep, completion_email, failure_email
from tests.notifier.email_contexts import DOCUMENT_URL, PDF_URL, email_context
from tests.notifier.html_links import links_in, tags_in, visible_text

NBSP = "\u00a0"


def test_english_completion_email_has_subject_links_and_expiry_in_both_parts() -> None:
    email = completion_email(email_context())

    assert email.subject == "Your summary is ready: Weekly planning"
    assert email.to == "Ada Lovelace <ada@example.com>"
    assert links_in(email.html) == [DOCUMENT_URL, PDF_URL]
    for body in (email.text, visible_text(email.html)):
        assert "Hi Ada Lovelace," in body
        assert "“Weekly planning”" in body
        assert f"12{NBSP}min 34{NBSP}s" in body
        assert "The team agreed to ship the beta on Friday." in body
        assert "expires in 1 hour" in body
    assert DOCUMENT_URL in email.text
    assert PDF_URL in email.text
    assert '<html lang="en">' in email.html


def test_french_completion_email_is_written_in_french() -> None:
    email = completion_email(email_context(language="fr", to_name="Marie"))

    assert email.subject == f"Votre résumé est prêt{NBSP}: Weekly planning"
    assert links_in(email.html) == [DOCUMENT_URL, PDF_URL]
    for body in (email.text, visible_text(email.html)):
        assert "Bonjour Marie," in body
        assert f"«{NBSP}Weekly planning{NBSP}»" in body
        assert "Télécharger le PDF" in body
        assert "expire dans 1 heure" in body
        assert "Hi " not in body
    assert '<html lang="fr">' in email.html
    assert email.headers["Content-Language"] == "fr"


@pytest.mark.parametrize("code", ["fr-CA", "FR", "fr_BE"])
def test_regional_french_codes_get_the_french_email(code: str) -> None:
    assert completion_email(email_context(language=code)).subject.startswith("Votre résumé")


@pytest.mark.parametrize("code", ["", "de", "english", "es-FR"])
def test_other_languages_fall_back_to_english(code: str) -> None:
    email = completion_email(email_context(language=code))

    assert email.subject.startswith("Your summary is ready")
    assert email.headers["Content-Language"] == "en"


def test_without_pdf_link_the_email_neither_links_nor_mentions_a_pdf_download() -> None:
    email = completion_email(email_context(pdf_url=""))

    assert links_in(email.html) == [DOCUMENT_URL]
    assert "expires" not in email.text
    assert "Download the PDF" not in email.text


def test_without_excerpt_or_duration_the_email_leaves_them_out() -> None:
    email = completion_email(email_context(summary_excerpt="  ", duration_seconds=0))

    for body in (email.text, visible_text(email.html)):
        assert "Summary" not in body
        assert "“Weekly planning” has been transcribed" in body


def test_long_excerpt_is_cut_at_a_word_with_an_ellipsis() -> None:
    email = completion_email(email_context(summary_excerpt="word " * 400))

    excerpt_line = next(line for line in email.text.splitlines() if line.startswith("> "))
    assert excerpt_line.endswith("word…")
    assert len(excerpt_line) < 700


def test_user_content_is_escaped_in_html_and_kept_verbatim_in_text() -> None:
    hostile = '<script>alert("x")</script> & <b>bold</b>'
    email = completion_email(
        email_context(document_title=hostile, to_name="<img src=x>", summary_excerpt=hostile)
    )

    assert "<script" not in email.html
    assert "<b>" not in email.html
    assert "<img" not in email.html
    assert "&lt;script&gt;" in email.html
    assert "script" not in tags_in(email.html)
    assert hostile in visible_text(email.html)
    assert hostile in email.text
    assert email.subject == f"Your summary is ready: {hostile}"


def test_title_with_line_breaks_becomes_a_single_line_subject() -> None:
    email = completion_email(email_context(document_title="Board\r\nBcc: victim@example.com"))

    assert "\n" not in email.subject
    assert "\r" not in email.subject
    assert email.subject == "Your summary is ready: Board Bcc: victim@example.com"


def test_untitled_document_is_named_after_its_file() -> None:
    email = completion_email(email_context(document_title=" "))

    assert email.subject == "Your summary is ready: planning.m4a"


def test_document_without_title_or_file_name_gets_a_generic_name() -> None:
    email = completion_email(email_context(document_title="", original_file_name="", language="fr"))

    assert email.subject == f"Votre résumé est prêt{NBSP}: Enregistrement sans titre"


def test_very_long_title_is_shortened_in_the_subject_only() -> None:
    title = "Quarterly review " * 20
    email = completion_email(email_context(document_title=title))

    assert email.subject.endswith("…")
    assert len(email.subject) < 140
    assert title.strip() in email.text


def test_english_failure_email_says_what_failed_why_and_where_to_retry() -> None:
    email = failure_email(
        email_context(), "The recording has no audio track.", step=FailedStep.TRANSCRIPTION
    )

    assert email.subject == "Processing failed: Weekly planning"
    assert links_in(email.html) == [DOCUMENT_URL]
    for body in (email.text, visible_text(email.html)):
        assert "We could not transcribe your recording “Weekly planning”." in body
        assert "What went wrong: The recording has no audio track." in body
        assert "You can retry from the document page." in body
        assert "PDF" not in body
    assert DOCUMENT_URL in email.text


def test_french_failure_email_is_written_in_french() -> None:
    email = failure_email(
        email_context(language="fr"), "Le fichier est vide.", step=FailedStep.RENDERING
    )

    assert email.subject == f"Échec du traitement{NBSP}: Weekly planning"
    for body in (email.text, visible_text(email.html)):
        assert "Nous n’avons pas pu créer le rapport PDF" in body
        assert f"Cause{NBSP}: Le fichier est vide." in body
        assert "relancer le traitement depuis la page du document" in body


def test_failure_email_without_step_or_reason_still_explains_and_offers_retry() -> None:
    email = failure_email(email_context(), "  ")

    assert "We could not finish processing your recording" in email.text
    assert "What went wrong" not in email.text
    assert "You can retry from the document page." in email.text


def test_failure_reason_is_escaped_in_html() -> None:
    email = failure_email(email_context(), "<a href='https://evil.example'>click</a>")

    assert links_in(email.html) == [DOCUMENT_URL]
    assert "&lt;a href=" in email.html


def test_every_step_has_its_own_explanation_in_both_languages() -> None:
    for language in ("en", "fr"):
        explanations = {
            failure_email(email_context(language=language), "", step=step).text
            for step in FailedStep
        }
        assert len(explanations) == len(FailedStep)


def test_emails_are_marked_as_automatic_so_autoresponders_stay_quiet() -> None:
    assert completion_email(email_context()).headers["Auto-Submitted"] == "auto-generated"
    assert failure_email(email_context(), "x").headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize(
    "overrides",
    [
        {"document_url": "javascript:alert(1)"},
        {"document_url": ""},
        {"pdf_url": "data:text/html,<script>alert(1)</script>"},
        {"to_address": "not-an-address"},
        {"to_address": "a@example.com\r\nBcc: b@example.com"},
    ],
)
def test_context_refuses_links_and_addresses_that_are_not_safe(overrides: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=r"."):
        email_context(**overrides)


def test_action_items_and_decisions_are_listed_and_escaped_in_html() -> None:
    email = completion_email(
        email_context(
            decisions=("Ship <b>now</b>",),
            action_items=(ActionItem("Send the plan", owner="<img src=x>", due="2026-12-04"),),
        )
    )

    assert "<img" not in email.html
    assert "<b>" not in email.html
    assert "<li>Send the plan — &lt;img src=x&gt; (due 4 December 2026)</li>" in email.html
    assert "Decisions\n- Ship <b>now</b>" in email.text


def test_an_email_lists_a_bounded_number_of_items() -> None:
    items = tuple(ActionItem(f"Task {n}") for n in range(40))
    email = completion_email(email_context(action_items=items))

    listed = [line for line in email.text.splitlines() if line.startswith("- ")]
    assert listed[-1] == "- …"
    assert len(listed) == 16


def test_without_action_items_or_decisions_the_email_has_no_empty_lists() -> None:
    email = completion_email(email_context())

    assert "Action items" not in email.text
    assert "Decisions" not in email.text
