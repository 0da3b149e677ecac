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
