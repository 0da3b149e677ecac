"""The pipeline catalogue is consistent with itself and with the contracts: every subject
follows the naming rule and lives in its producer's stream, durable names are unique, and the
orchestrated flow gives each stage exactly one input, the library's command."""

from __future__ import annotations

import re

from services.kernel import catalogue
from speechflow.library.v1 import library_pb2

SUBJECT = re.compile(r"^speechflow\.(?P<producer>[a-z]+)\.v1\.[a-z]+\.[a-z_]+$")


def test_every_subject_is_named_after_its_producer_and_listed_once() -> None:
    subjects = [event.subject for event in catalogue.EVENTS]
    assert len(subjects) == len(set(subjects))
    for event in catalogue.EVENTS:
        match = SUBJECT.match(event.subject)
        assert match is not None, event.subject
        assert match["producer"] == event.producer


def test_durable_names_are_unique() -> None:
    everything = [*catalogue.consumers(), *catalogue.WORK_QUEUE_CONSUMERS]
    durables = [(c.stream, c.durable) for c in everything]
    assert len(durables) == len(set(durables))


def test_each_stage_reads_only_its_command() -> None:
    for step in catalogue.STAGES:
        (only,) = catalogue.stage_inputs(step.service)
        assert only.producer == catalogue.LIBRARY
        assert only.subjects == (step.command,)


def test_only_the_library_reads_stage_results() -> None:
    for step in catalogue.STAGES:
        for subject in (step.completed, step.failed):
            assert catalogue.readers_of(subject) == [catalogue.LIBRARY]


def test_every_consumed_subject_is_published_by_someone() -> None:
    published = {event.subject for event in catalogue.EVENTS}
    for consumer in (*catalogue.consumers(), *catalogue.WORK_QUEUE_CONSUMERS):
        for subject in consumer.subjects:
            if not subject.endswith(">"):
                assert subject in published, subject


def test_stages_are_in_pipeline_order_and_their_progress_spans_join_up() -> None:
    assert [step.stage for step in catalogue.STAGES] == [
        library_pb2.STAGE_TRANSCRIPTION,
        library_pb2.STAGE_SUMMARIZATION,
        library_pb2.STAGE_RENDERING,
        library_pb2.STAGE_NOTIFICATION,
    ]
    assert catalogue.STAGES[0].start_progress == catalogue.QUEUED_PROGRESS
    for earlier, later in zip(catalogue.STAGES, catalogue.STAGES[1:], strict=False):
        assert earlier.end_progress == later.start_progress
    assert catalogue.STAGES[-1].end_progress == catalogue.DONE_PROGRESS


def test_subject_wildcards_match_as_nats_does() -> None:
    library = catalogue.LIBRARY_STAGE_CONSUMERS[0]
    assert catalogue.readers_of(catalogue.TRANSCRIPTION_PROGRESSED) == [library.service]
    assert catalogue.readers_of(catalogue.USER_REGISTERED) == []
