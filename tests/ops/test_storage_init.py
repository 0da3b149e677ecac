"""speechflow-admin init-storage: private buckets and a one-day expiry on temp."""

from __future__ import annotations

import pytest

from services.admin.storage_init import TEMP_RULE_ID, init_storage, s3_client
from services.kernel.storage import StorageSettings
from services.mesh.s3_server import SeaweedS3
from tests.ops.deployment_harness import fresh_s3_settings


def test_init_storage_creates_the_buckets_and_expires_temp_after_a_day(
    s3_server: SeaweedS3,
) -> None:
    settings = fresh_s3_settings(s3_server)
    assert init_storage(settings) == sorted(settings.buckets.values())
    client = s3_client(settings)
    assert all(client.bucket_exists(bucket) for bucket in settings.buckets.values())
    lifecycle = client.get_bucket_lifecycle(settings.s3_bucket_temp)
    assert lifecycle is not None
    (rule,) = lifecycle.rules
    assert rule.rule_id == TEMP_RULE_ID
    assert rule.expiration is not None
    assert rule.expiration.days == 1
    for bucket in (settings.s3_bucket_uploads, settings.s3_bucket_pdfs):
        assert client.get_bucket_lifecycle(bucket) is None


def test_init_storage_can_run_again(s3_server: SeaweedS3) -> None:
    settings = fresh_s3_settings(s3_server)
    init_storage(settings)
    assert init_storage(settings) == sorted(settings.buckets.values())


def test_init_storage_needs_the_s3_backend() -> None:
    with pytest.raises(ValueError, match="s3"):
        init_storage(StorageSettings(storage_backend="local"))
