"""`speechflow-admin init-storage`: the private buckets, and a lifecycle rule that empties
the temp bucket after a day (the `cleanup` command does the same for local disk)."""

from __future__ import annotations

from minio import Minio
from minio.commonconfig import ENABLED, Filter
from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule

from services.kernel.storage import (
    TEMP,
    S3ObjectStore,
    StorageSettings,
    parse_endpoint,
    store_from_settings,
)

TEMP_RULE_ID = "expire-temp-after-1-day"


def temp_lifecycle() -> LifecycleConfig:
    # S3 lifecycle rules count whole days: one day is the shortest expiry there is.
    return LifecycleConfig(
        [
            Rule(
                ENABLED,
                rule_filter=Filter(prefix=""),
                rule_id=TEMP_RULE_ID,
                expiration=Expiration(days=1),
            )
        ]
    )


def s3_client(settings: StorageSettings) -> Minio:
    host, secure = parse_endpoint(settings.s3_endpoint, settings.s3_secure)
    return Minio(
        host,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=secure,
        region=settings.s3_region,
    )


def init_storage(settings: StorageSettings) -> list[str]:
    """Creates the missing buckets (private: no bucket policy is set) and the temp rule;
    safe to run on every start. Returns the bucket names."""
    if settings.storage_backend != "s3":
        raise ValueError("init-storage prepares S3 buckets; STORAGE_BACKEND is not s3")
    store = store_from_settings(settings)
    assert isinstance(store, S3ObjectStore)  # STORAGE_BACKEND=s3, checked above
    store.ensure_buckets()
    s3_client(settings).set_bucket_lifecycle(settings.buckets[TEMP], temp_lifecycle())
    return sorted(settings.buckets.values())
