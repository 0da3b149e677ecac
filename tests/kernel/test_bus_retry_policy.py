"""The bus's retry policy on one delivered event, in process (no NATS): the handler's outcome
decides ack, nak with backoff, or give-up (`on_gave_up` once, then term)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from services.kernel.jetstream import (
    PermanentError,
    ReceivedEvent,
    RetryPolicy,
    TransientError,
    deliver,
)

POLICY = RetryPolicy(max_attempts=4, base_delay_seconds=2.0, max_delay_seconds=5.0)


@dataclass
class FakeDelivery:
    """A delivered message that records how it was settled, in order, next to the handler's
    effects (one shared journal)."""

    journal: list[str]
    naks: list[float | None] = field(default_factory=list)

    async def ack_sync(self, timeout: float = 1.0) -> object:  # noqa: ASYNC109 (Msg's own)
        self.journal.append("ack")
        return self

    async def nak(self, delay: float | None = None) -> None:
        self.naks.append(delay)
        self.journal.append("nak")

    async def term(self) -> None:
        self.journal.append("term")

    async def in_progress(self) -> None:
        self.journal.append("in_progress")


@dataclass
class GaveUpCalls:
    journal: list[str]
    calls: list[tuple[str, Exception, bool]] = field(default_factory=list)

    async def __call__(self, event: ReceivedEvent, error: Exception, permanent: bool) -> None:
        self.calls.append((event.event_id, error, permanent))
        self.journal.append("gave_up")


def event(attempt: int) -> ReceivedEvent:
    return ReceivedEvent(
        subject="speechflow.test.v1.thing.happened",
        data=b"",
        headers={},
        attempt=attempt,
        event_id="event-1",
    )


async def settle(
    attempt: int, error: Exception | None
) -> tuple[list[str], FakeDelivery, GaveUpCalls]:
    journal: list[str] = []
    delivery = FakeDelivery(journal)
    gave_up = GaveUpCalls(journal)

    async def handler(_event: ReceivedEvent) -> None:
        journal.append("handled")
        if error is not None:
            raise error

    await deliver(
        event(attempt),
        delivery,
        handler,
        ack_wait_seconds=30.0,
        retry=POLICY,
        on_gave_up=gave_up,
    )
    return journal, delivery, gave_up


async def test_an_event_is_acked_only_after_its_handler_returned() -> None:
    journal, _, gave_up = await settle(attempt=1, error=None)

    assert journal == ["handled", "ack"]
    assert gave_up.calls == []


async def test_a_failed_handler_is_never_acked_but_naked_for_a_retry() -> None:
    journal, delivery, gave_up = await settle(attempt=1, error=TransientError("busy"))

    assert journal == ["handled", "nak"]
    assert delivery.naks == [2.0]
    assert gave_up.calls == []


@pytest.mark.parametrize(("attempt", "delay"), [(1, 2.0), (2, 4.0), (3, 5.0)])
async def test_retries_back_off_exponentially_up_to_the_cap(attempt: int, delay: float) -> None:
    _, delivery, _ = await settle(attempt=attempt, error=TransientError("busy"))

    assert delivery.naks == [delay]


async def test_an_unexpected_error_is_retried_like_a_transient_one() -> None:
    journal, _, gave_up = await settle(attempt=1, error=RuntimeError("bug"))

    assert journal == ["handled", "nak"]
    assert gave_up.calls == []


async def test_the_last_attempt_gives_up_once_then_terminates() -> None:
    error = TransientError("still busy")
    journal, delivery, gave_up = await settle(attempt=POLICY.max_attempts, error=error)

    assert journal == ["handled", "gave_up", "term"]
    assert gave_up.calls == [("event-1", error, False)]
    assert delivery.naks == []


async def test_a_permanent_error_gives_up_on_the_first_attempt() -> None:
    error = PermanentError("corrupt media")
    journal, delivery, gave_up = await settle(attempt=1, error=error)

    assert journal == ["handled", "gave_up", "term"]
    assert gave_up.calls == [("event-1", error, True)]
    assert delivery.naks == []


async def test_a_message_is_terminated_only_after_on_gave_up_finished() -> None:
    # A failing `on_gave_up` (its `processing.failed` could not be published) must leave
    # the message unsettled, so JetStream redelivers it and the give-up runs again.
    journal: list[str] = []
    delivery = FakeDelivery(journal)

    async def handler(_event: ReceivedEvent) -> None:
        raise PermanentError("corrupt media")

    async def failing_gave_up(_event: ReceivedEvent, _error: Exception, _permanent: bool) -> None:
        raise TransientError("bus down")

    with pytest.raises(TransientError):
        await deliver(
            event(1),
            delivery,
            handler,
            ack_wait_seconds=30.0,
            retry=POLICY,
            on_gave_up=failing_gave_up,
        )
    assert "term" not in journal
    assert "ack" not in journal


async def test_without_on_gave_up_an_exhausted_event_is_terminated() -> None:
    journal: list[str] = []
    delivery = FakeDelivery(journal)

    async def handler(_event: ReceivedEvent) -> None:
        raise TransientError("busy")

    await deliver(
        event(POLICY.max_attempts),
        delivery,
        handler,
        ack_wait_seconds=30.0,
        retry=POLICY,
        on_gave_up=None,
    )
    assert journal == ["term"]
