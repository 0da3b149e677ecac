"""NATS_URL may list a cluster's nodes; NATS_STREAM_REPLICAS says how many copies a stream keeps."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.kernel.jetstream import server_urls
from services.kernel.settings import ServiceSettings


def test_one_nats_url_is_one_server() -> None:
    assert server_urls("nats://127.0.0.1:4222") == ["nats://127.0.0.1:4222"]


def test_comma_separated_nats_urls_are_the_nodes_of_a_cluster() -> None:
    servers = server_urls("nats://n1:4222, nats://n2:4222,,nats://n3:4222 ")
    assert servers == ["nats://n1:4222", "nats://n2:4222", "nats://n3:4222"]


def test_a_list_of_urls_is_taken_as_is() -> None:
    assert server_urls(["nats://n1:4222", "nats://n2:4222"]) == ["nats://n1:4222", "nats://n2:4222"]


def test_no_nats_url_is_refused() -> None:
    with pytest.raises(ValueError, match="no NATS server"):
        server_urls(" , ")


def test_streams_keep_one_copy_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NATS_STREAM_REPLICAS", raising=False)
    assert ServiceSettings(_env_file=None).nats_stream_replicas == 1  # type: ignore[call-arg]


def test_stream_replicas_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATS_STREAM_REPLICAS", "3")
    assert ServiceSettings(_env_file=None).nats_stream_replicas == 3  # type: ignore[call-arg]


def test_zero_stream_replicas_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATS_STREAM_REPLICAS", "0")
    with pytest.raises(ValidationError):
        ServiceSettings(_env_file=None)  # type: ignore[call-arg]
