"""One module per benchmark case; each exposes `async def run(context) -> list[CaseResult]`."""
