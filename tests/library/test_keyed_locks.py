"""Per-key locks exclude each other and are forgotten once nobody holds or waits for them."""

from __future__ import annotations

import asyncio

from services.library.keyed_locks import KeyedLocks


async def test_holders_of_one_key_take_turns_and_the_entry_goes_with_the_last() -> None:
    locks = KeyedLocks()
    inside: list[str] = []
    overlap = False

    async def hold(name: str) -> None:
        nonlocal overlap
        async with locks.hold("upload-1"):
            overlap = overlap or bool(inside)
            inside.append(name)
            await asyncio.sleep(0.01)
            inside.remove(name)

    await asyncio.gather(*(hold(f"call-{i}") for i in range(5)))
    assert not overlap
    assert len(locks) == 0


async def test_a_failing_holder_releases_and_forgets_the_key() -> None:
    locks = KeyedLocks()
    try:
        async with locks.hold("upload-2"):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert len(locks) == 0
    async with locks.hold("upload-2"):
        assert len(locks) == 1


async def test_a_newcomer_after_a_release_waits_for_those_already_waiting() -> None:
    """Issue 15 bug (c): dropping the entry once the lock is released, while others still
    wait on it, let a newcomer take a fresh lock: three holders at once."""
    locks = KeyedLocks()
    holders = 0
    most = 0
    first_inside = asyncio.Event()
    release_first = asyncio.Event()

    async def hold(wait_for: asyncio.Event | None = None) -> None:
        nonlocal holders, most
        async with locks.hold("document-1"):
            holders += 1
            most = max(most, holders)
            first_inside.set()
            if wait_for is not None:
                await wait_for.wait()
            await asyncio.sleep(0)
            holders -= 1

    first = asyncio.create_task(hold(release_first))
    await first_inside.wait()
    waiting = [asyncio.create_task(hold()) for _ in range(2)]
    await asyncio.sleep(0)  # both are now queued on the lock
    release_first.set()
    await first
    # The first holder is gone and the next one has not run yet: a newcomer arrives now.
    newcomer = asyncio.create_task(hold())
    await asyncio.gather(*waiting, newcomer)
    assert most == 1
    assert len(locks) == 0
