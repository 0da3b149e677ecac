"""Failures of a transcription, split by whether trying again can help."""


class TranscriptionError(Exception):
    """A failure that may go away on retry (model, machine or remote service trouble)."""


class PermanentTranscriptionError(TranscriptionError):
    """The input itself is unusable; retrying or another transcriber cannot help.

    The message is written for the person who uploaded the file.
    """
