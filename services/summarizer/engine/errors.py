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


class TranslationUnavailableError(ProviderError):
    """The summary must be in another language than the one spoken, and this provider cannot
    translate. When the last resort raises it, retrying will not help: the job fails for good."""

    def __init__(self, spoken: str, wanted: str) -> None:
        self.spoken = spoken
        self.wanted = wanted
        super().__init__(
            f"the summary was asked for in '{wanted}' but the recording is in '{spoken}', and no "
            "language model is available to translate (the offline summarizer only quotes the "
            f"recording); configure a language model or ask for the summary in '{spoken}'"
        )


class ContextOverflowError(ProviderError):
    """The model rejected a request as longer than its context window."""


class InvalidOutputError(ProviderError):
    """The model answered, but not with JSON that follows the summary schema."""
