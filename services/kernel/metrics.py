"""Prometheus metrics every service exposes on `/metrics` (METRICS_PORT; 0 turns it off)."""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger("speechflow.metrics")

RPC_REQUESTS = Counter(
    "speechflow_rpc_requests_total", "RPCs served, by method and status", ["method", "code"]
)
RPC_DURATION = Histogram(
    "speechflow_rpc_duration_seconds",
    "RPC latency (streams: until the stream ends)",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
STAGE_JOBS = Counter(
    "speechflow_stage_jobs_total",
    "Pipeline jobs handled, by stage and outcome (completed, retried, failed)",
    ["stage", "outcome"],
)


def _consumer_gauge(messages: str, documentation: str) -> Gauge:
    """`speechflow_consumer_<messages>_messages`: a count of one durable consumer's messages,
    from JetStream's consumer info (services/kernel/jetstream.py keeps it current)."""
    return Gauge(f"speechflow_consumer_{messages}_messages", documentation, ["stream", "consumer"])


CONSUMER_PENDING = _consumer_gauge(
    "pending", "JetStream messages not yet delivered to a durable consumer (its lag)"
)
CONSUMER_ACK_PENDING = _consumer_gauge(
    "ack_pending", "JetStream messages delivered but not yet acknowledged (in progress)"
)
CONSUMER_REDELIVERED = _consumer_gauge(
    "redelivered", "JetStream messages currently being redelivered"
)
TRANSCRIPTION_REALTIME_FACTOR = Histogram(
    "speechflow_transcription_realtime_factor",
    "Seconds of audio transcribed per second of work",
    ["model"],
    buckets=(0.5, 1, 2, 4, 8, 12, 16, 24, 32, 48, 64),
)


def serve_metrics(host: str, port: int) -> None:
    """Starts the `/metrics` HTTP endpoint (a daemon thread) unless `port` is 0."""
    if port:
        start_http_server(port, addr=host)
        log.info("metrics served", extra={"port": port})
