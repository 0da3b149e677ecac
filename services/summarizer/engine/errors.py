"""Errors raised by summary providers."""


class ProviderError(Exception):
    """A provider could not produce a summary; the chain moves on to the next provider.

    Raised for timeouts, rate limits (429), server errors (5xx), network failures, rejected
    credentials and output that is not valid JSON or does not follow the summary schema.
    """


class AllProvidersFailedError(ProviderError):
    """Every provider of a chain failed."""

    def __init__(self, failures: list[tuple[str, ProviderError]]) -> None:
        self.failures = failures
        details = "; ".join(f"{name}: {error}" for name, error in failures)
        super().__init__(f"all summary providers failed ({details})")
