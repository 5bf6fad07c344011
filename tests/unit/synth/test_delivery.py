"""Objects are laid out, batched, compressed and digested as CloudTrail delivers them."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import random
import re
from datetime import UTC, datetime

from tests.unit.synth.conftest import Generated
from trailguard.pipeline.synth.delivery import Deliverer, MemorySink, log_key

LOG_KEY = re.compile(
    r"^AWSLogs/(?P<acct>\d{12})/CloudTrail/(?P<region>[a-z]{2}-[a-z]+-\d)/"
    r"(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/(?P=acct)_CloudTrail_(?P=region)_"
    r"(?P<stamp>\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$"
)
DIGEST_KEY = re.compile(
    r"^AWSLogs/\d{12}/CloudTrail-Digest/[a-z]{2}-[a-z]+-\d/\d{4}/\d\d/\d\d/"
    r"\d{12}_CloudTrail-Digest_[a-z0-9-]+_[a-z0-9-]+_[a-z]{2}-[a-z]+-\d_\d{8}T\d{6}Z\.json\.gz$"
)


def _ts(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def test_every_log_object_is_named_like_cloudtrail_names_it(small_org: Generated) -> None:
    keys = small_org.log_keys()
    assert keys
    bad = [k for k in keys if not LOG_KEY.match(k)]
    assert bad == []


def test_an_object_holds_one_account_and_region_for_about_five_minutes(
    small_org: Generated,
) -> None:
    for key in small_org.log_keys():
        m = LOG_KEY.match(key)
        assert m is not None
        records = small_org.objects[key]["Records"]
        assert {r["recipientAccountId"] for r in records} == {m["acct"]}
        assert {r["awsRegion"] for r in records} == {m["region"]}
        delivered = datetime.strptime(m["stamp"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC).timestamp()
        times = [_ts(r["eventTime"]) for r in records]
        # delivered a few minutes after its window; a late record is at most one window older
        assert delivered - 900 <= min(times) and max(times) <= delivered


def test_folder_date_is_the_delivery_date(small_org: Generated) -> None:
    for key in small_org.log_keys():
        m = LOG_KEY.match(key)
        assert m is not None
        assert m["stamp"].startswith(m["y"] + m["m"] + m["d"])


def test_digests_list_each_log_object_with_the_hash_of_its_content(small_org: Generated) -> None:
    digests = {k: v for k, v in small_org.objects.items() if "CloudTrail-Digest" in k}
    assert digests and all(DIGEST_KEY.match(k) for k in digests)
    listed = {f["s3Object"]: f for d in digests.values() for f in d["logFiles"]}
    assert set(listed) == set(small_org.log_keys())
    sample = sorted(listed)[:: max(1, len(listed) // 20)]
    for key in sample:
        body = gzip.decompress(small_org.raw[key])
        assert listed[key]["hashValue"] == hashlib.sha256(body).hexdigest()
    assert all("Records" not in d for d in digests.values())


def test_digests_chain_to_the_previous_digest_of_their_region(small_org: Generated) -> None:
    by_region: dict[tuple[str, str], list[str]] = {}
    for key in sorted(k for k in small_org.objects if "CloudTrail-Digest" in k):
        parts = key.split("/")
        by_region.setdefault((parts[1], parts[3]), []).append(key)
    for keys in by_region.values():
        keys.sort(key=lambda k: k.rsplit("_", 1)[1])
        for previous, current in itertools.pairwise(keys):
            assert small_org.objects[current]["previousDigestS3Object"] == previous


def test_a_late_record_lands_in_the_next_window() -> None:
    sink = MemorySink()
    deliverer = Deliverer("111122223333", sink, random.Random(0))
    record = {"awsRegion": "eu-west-1", "eventTime": "2026-10-01T23:51:00Z"}
    t = _ts(record["eventTime"])
    for _ in range(300):
        deliverer.add([(t, dict(record))])
    days = {key.split("/")[6] for key in sink.objects}
    assert days == {"01", "02"}  # on time: before midnight; one window late: the next day
    assert deliverer.events == 300


def test_log_key_uses_delivery_minute() -> None:
    key = log_key("111122223333", "us-east-1", _ts("2026-10-01T10:07:31Z"), "A" * 16)
    assert key == (
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/01/"
        "111122223333_CloudTrail_us-east-1_20261001T1007Z_AAAAAAAAAAAAAAAA.json.gz"
    )


def test_duplicates_are_global_events_delivered_again_in_another_region() -> None:
    sink = MemorySink()
    deliverer = Deliverer(
        "111122223333", sink, random.Random(1), duplicates=0.5, echo_region="eu-west-1"
    )
    iam = {
        "awsRegion": "us-east-1",
        "eventSource": "iam.amazonaws.com",
        "eventTime": "2026-10-01T10:00:00Z",
    }
    ec2 = {**iam, "eventSource": "ec2.amazonaws.com"}
    t = _ts(iam["eventTime"])
    deliverer.add(
        [(t, {**iam, "eventID": f"iam-{i}"}) for i in range(200)]
        + [(t, {**ec2, "eventID": f"ec2-{i}"}) for i in range(200)]
    )
    regions: dict[str, list[str]] = {}
    for key, body in sink.objects.items():
        for rec in json.loads(gzip.decompress(body))["Records"]:
            regions.setdefault(rec["eventID"], []).append(key.split("/")[3])
    twice = {e: r for e, r in regions.items() if len(r) == 2}
    assert 60 < len(twice) < 140 and all(e.startswith("iam-") for e in twice)
    assert all(sorted(r) == ["eu-west-1", "us-east-1"] for r in twice.values())
    assert (deliverer.events, deliverer.records) == (400, 400 + len(twice))
