"""The S3 ingest and export tests again, against SeaweedFS instead of moto.

They are the same test functions (imported, so pytest collects them here too); this folder's
`conftest.py` makes `s3_server` a SeaweedFS server. Only tests that need S3 are taken: the others
would run twice for nothing. The fault and crash scenarios run on SeaweedFS in
`bench/reliability.py --seaweedfs` (they take minutes, and their S3 calls are the same).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_export_ndjson import (  # noqa: F401
    test_a_missing_bucket_is_refused_clearly_and_the_cursor_stays,
    test_s3_objects_are_dated_and_hold_every_finding_once,
)
from tests.integration.test_ingest_s3 import (  # noqa: F401
    test_a_second_run_reads_nothing_and_a_redelivered_object_adds_nothing,
    test_damaged_objects_are_quarantined_and_nothing_valid_is_lost,
    test_strict_mode_fails_a_run_that_quarantined_anything,
    test_the_cli_ingests_and_queries_with_bind_parameters,
    test_the_real_samples_ingest_from_s3_with_every_event_exactly_once,
)

pytestmark = pytest.mark.slow


def test_seaweedfs_checks_signatures(s3_bucket: tuple[Any, str], s3_server: str) -> None:
    """This is a real gateway: a wrong secret is refused (moto would accept anything)."""
    import boto3
    from botocore.exceptions import ClientError

    _, bucket = s3_bucket
    wrong = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="trailguardtest",
        aws_secret_access_key="not-the-secret",
        region_name="us-east-1",
    )
    with pytest.raises(ClientError, match=r"SignatureDoesNotMatch|AccessDenied"):
        wrong.list_objects_v2(Bucket=bucket)
