"""`generate_organisation` writes to S3 through the client it is handed."""

from __future__ import annotations

import gzip
import json
from typing import Any

from trailguard.pipeline.synth.generate import generate_organisation


def test_synth_to_s3_writes_the_cloudtrail_layout_under_the_prefix(s3_bucket: Any) -> None:
    client, bucket = s3_bucket
    summary = generate_organisation(
        f"s3://{bucket}/trail",
        days=2,
        accounts=1,
        principals=6,
        seed=2,
        intensity=0.02,
        attacks=["aws.defense-evasion.cloudtrail-delete"],
        s3_client=client,
    )
    keys = [
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    ]
    logs = [k for k in keys if "/CloudTrail/" in k]
    assert all(k.startswith("trail/AWSLogs/") for k in logs) and len(logs) == summary.objects
    labels = json.loads(client.get_object(Bucket=bucket, Key="trail/labels.json")["Body"].read())
    assert labels["scenarios"][0]["technique"] == "aws.defense-evasion.cloudtrail-delete"
    body = client.get_object(Bucket=bucket, Key=logs[0])["Body"].read()
    assert json.loads(gzip.decompress(body))["Records"]
