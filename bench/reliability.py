"""Reliability report: crash points tried and survived, faults injected and survived, fuzz cases.

Run by hand (not a test): `python bench/reliability.py [--quick] [--seaweedfs]`.

It drives the same harness as `tests/reliability/` over a wider matrix than the test suite runs:
- crash: `trailguard ingest` SIGKILLed at every crash point (`pipeline/faults.py`) at several
  passes, with and without worker processes, then `trailguard detect` and `trailguard export`
  killed inside their functions; each rerun is compared with an uninterrupted run;
- faults: ingest through the fault-injecting proxy (503 SlowDown, resets, 500s, truncated bodies
  on the listing and on objects), on moto and, with `--seaweedfs`, on SeaweedFS;
- fuzz: the hypothesis properties of `tests/reliability/test_fuzz_records.py` with more examples.
It prints one line per scenario and the totals; "events lost" counts eventIDs of the corpus that
are missing from a lake after its rerun, plus duplicates found in it.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `tests` holds the harness
if __name__ == "__main__":  # read when the fuzz module is imported below
    _examples = (
        sys.argv[sys.argv.index("--fuzz-examples") + 1] if "--fuzz-examples" in sys.argv else "500"
    )
    os.environ["TRAILGUARD_FUZZ_EXAMPLES"] = _examples


from tests.reliability import test_crash_stages as stages
from tests.reliability import test_fuzz_records as fuzz
from tests.reliability.faultproxy import ERROR, RESET, SLOWDOWN, TRUNCATE, FaultProxy
from tests.reliability.harness import (
    Corpus,
    Snapshot,
    build_corpus,
    leftovers,
    run_trailguard,
    snapshot,
)

INGEST_POINTS = {
    "list": (1, 10, 25),
    "fetch": (1, 4, 12, 25),
    "parquet_tmp": (1, 3, 7),
    "parquet_done": (1, 5, 9),
    "state_update": (1, 2, 3),
    "state_commit": (1, 2, 3),
    "compact_journal": (1, 2),
    "compact_swap": (1, 2),
}
DETECT_POINTS = ("upsert_findings:1", "_params:1", "_params:4", "_store:1")
EXPORT_POINTS = (
    "send:1",
    "send:2",
    "os.replace:2",  # NDJSON: a batch's temporary file written, not renamed
    "_advance:1",
    "_advance:2",
    "load_findings:3",
)


@dataclass
class Tally:
    """What was tried and what survived, for the closing figures."""

    crash_tried: int = 0
    crash_survived: int = 0
    crash_not_reached: list[str] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    fault_runs: int = 0
    fault_runs_survived: int = 0
    fuzz_cases: int = 0
    events_lost: int = 0
    failures: list[str] = field(default_factory=list)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every scenario and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the first pass of each point only")
    parser.add_argument("--seaweedfs", action="store_true", help="faults on SeaweedFS too")
    parser.add_argument("--fuzz-examples", type=int, default=500, help="per property")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # retries and quarantines are expected here
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tg-reliability-") as tmp:
        root = Path(tmp)
        crash_ingest(root / "ingest", tally, quick=args.quick)
        crash_stages(root / "stages", tally)
        with s3_servers(root / "s3", args.seaweedfs) as servers:
            for name, endpoint in servers:
                inject_faults(name, endpoint, tally)
        run_fuzz(tally)
    report(tally, time.monotonic() - started)
    return 1 if tally.failures or tally.events_lost else 0


def crash_ingest(root: Path, tally: Tally, *, quick: bool) -> None:
    corpus = build_corpus()
    source = corpus.write(root / "trail")
    baseline = root / "unbroken"
    assert run_trailguard(args_for(source, baseline, "1")).returncode == 0
    unbroken = snapshot(baseline)
    for point, passes in INGEST_POINTS.items():
        for n in passes[:1] if quick else passes:
            for workers in ("1", "2") if point == "fetch" else ("1",):
                lake = root / f"{point}-{n}-{workers}"
                crashed = run_trailguard(args_for(source, lake, workers), crash_at=f"{point}:{n}")
                label = f"ingest {point}:{n} workers={workers}"
                if not crashed.killed:
                    tally.crash_not_reached.append(label)
                    continue
                rerun = run_trailguard(args_for(source, lake, workers))
                ok = rerun.returncode == 0 and _same(snapshot(lake), unbroken, corpus, tally)
                ok = ok and not leftovers(lake)
                _count_crash(tally, label, ok)
                shutil.rmtree(lake)


def args_for(source: Path, lake: Path, workers: str) -> list[str]:
    return ["ingest", "--source", str(source), "--lake", str(lake), "--workers", workers]


def _same(got: Snapshot, want: Snapshot, corpus: Corpus, tally: Tally) -> bool:
    ids = Counter(got.event_ids)
    lost = len(corpus.ids - set(ids)) + sum(c - 1 for c in ids.values())
    tally.events_lost += lost
    return lost == 0 and got == want


def _count_crash(tally: Tally, label: str, ok: bool) -> None:
    tally.crash_tried += 1
    tally.crash_survived += ok
    print(f"  crash   {label:<44} {'survived' if ok else 'FAILED'}")
    if not ok:
        tally.failures.append(label)


def crash_stages(root: Path, tally: Tally) -> None:
    from trailguard.pipeline.ingest.ingest import ingest

    root.mkdir(parents=True)
    ingested = root / "ingested"
    ingest(str(Path(__file__).resolve().parents[1] / "tests/data/cloudtrail"), ingested, workers=1)
    detected = stages.copy_lake(ingested, _mk(root / "detected"))
    assert run_trailguard(["detect", "--lake", str(detected)]).returncode == 0
    want_findings = stages.findings(detected)
    for point in DETECT_POINTS:
        lake = stages.copy_lake(ingested, _mk(root / f"detect-{point}"))
        args = ["detect", "--lake", str(lake)]
        if not run_trailguard(args, crash_call=point).killed:
            tally.crash_not_reached.append(f"detect {point}")
            continue
        ok = run_trailguard(args).returncode == 0 and stages.findings(lake) == want_findings
        _count_crash(tally, f"detect {point}", ok)
    unbroken = stages.copy_lake(detected, _mk(root / "exported"))
    assert run_trailguard(stages.export_args(unbroken, root / "out")).returncode == 0
    want_delivery = stages.delivered(root / "out")
    for point in EXPORT_POINTS:
        lake, out = stages.copy_lake(detected, _mk(root / f"export-{point}")), root / f"o-{point}"
        if not run_trailguard(stages.export_args(lake, out), crash_call=point).killed:
            tally.crash_not_reached.append(f"export {point}")
            continue
        ok = run_trailguard(stages.export_args(lake, out)).returncode == 0
        ok = ok and stages.delivered(out) == want_delivery
        ok = ok and stages.cursor(lake) == stages.cursor(unbroken)
        ok = ok and not list(out.rglob(".*"))  # no temporary file left in the destination
        _count_crash(tally, f"export {point}", ok)


def _mk(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


@contextmanager
def s3_servers(root: Path, seaweedfs: bool) -> Iterator[list[tuple[str, str]]]:
    """moto (and SeaweedFS) on loopback: [(name, endpoint)]."""
    from moto.server import ThreadedMotoServer

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    servers = [("moto", f"http://{host}:{port}")]
    weed = None
    if seaweedfs:
        from tests.reliability.seaweed import SeaweedFS

        weed = SeaweedFS(_mk(root)).start()
        servers.append(("seaweedfs", weed.endpoint))
    try:
        yield servers
    finally:
        moto.stop()
        if weed:
            weed.stop()


def inject_faults(name: str, endpoint: str, tally: Tally) -> None:
    from trailguard.pipeline.ingest.ingest import ingest
    from trailguard.pipeline.ingest.sources.s3 import s3_client

    if name == "seaweedfs":
        from tests.reliability.seaweed import ACCESS_KEY, SECRET_KEY

        os.environ.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY)
    plans: dict[str, Callable[[FaultProxy, Corpus], None]] = {
        "throttled listing and objects": lambda p, c: _each(
            p, c, [SLOWDOWN], every=3, list_too=True
        ),
        "resets on objects": lambda p, c: _each(p, c, [RESET, RESET], every=3),
        "500s on objects": lambda p, c: _each(p, c, [ERROR], every=2),
        "truncated bodies": lambda p, c: _each(p, c, [TRUNCATE, TRUNCATE, TRUNCATE], every=2),
        "all kinds mixed": lambda p, c: _each(p, c, [SLOWDOWN, RESET, ERROR, TRUNCATE], every=1),
    }
    for number, (label, plan) in enumerate(plans.items()):
        bucket = f"faults-{name}-{number}"
        client = s3_client(endpoint)
        client.create_bucket(Bucket=bucket)
        corpus = build_corpus(objects=24, seed=100 + number)
        corpus.upload(client, bucket)
        proxy = FaultProxy(endpoint).start()
        try:
            plan(proxy, corpus)
            with tempfile.TemporaryDirectory() as tmp:
                summary = ingest(f"s3://{bucket}", Path(tmp) / "lake", endpoint_url=proxy.url)
                lost = len(corpus.ids - set(snapshot(Path(tmp) / "lake").event_ids))
        finally:
            proxy.stop()
        ok = not summary.failed and lost == 0
        tally.faults.update(proxy.injected)
        tally.fault_runs += 1
        tally.fault_runs_survived += ok
        tally.events_lost += lost
        injected = sum(proxy.injected.values())
        status = "survived" if ok else "FAILED"
        print(f"  faults  {name:<10} {label:<32} {injected:>4} injected  {status}")
        if not ok:
            tally.failures.append(f"faults {name} {label}")


def _each(
    proxy: FaultProxy, corpus: Corpus, faults: list[str], every: int, list_too: bool = False
) -> None:
    if list_too:
        proxy.inject(*faults, operation="list")
    for i, key in enumerate(corpus.objects):
        if i % every == 0:
            proxy.inject(*faults, key_contains=key)


def run_fuzz(tally: Tally) -> None:
    counted = Counter[str]()
    real_ingest, real_decode = fuzz.ingest_object, getattr(fuzz, "decode_object")  # noqa: B009

    def counting_ingest(body: bytes) -> Any:
        counted["objects"] += 1
        return real_ingest(body)

    def counting_decode(data: bytes) -> Any:
        counted["objects"] += 1
        return real_decode(data)

    setattr(fuzz, "ingest_object", counting_ingest)  # noqa: B010  (count the cases run)
    setattr(fuzz, "decode_object", counting_decode)  # noqa: B010
    try:
        for test in (
            fuzz.test_every_record_becomes_a_row_or_a_quarantine_entry_with_a_reason,
            fuzz.test_every_valid_record_is_kept_whatever_its_other_fields_hold,
            fuzz.test_arbitrary_bytes_never_crash_the_decoder,
            fuzz.test_a_truncated_object_keeps_what_precedes_the_cut,
        ):
            before = counted["objects"]
            label = test.__name__.removeprefix("test_")
            try:
                test()
                status = "passed"
            except Exception as exc:  # a falsified property: report it, keep going
                status = f"FAILED: {type(exc).__name__}"
                tally.failures.append(f"fuzz {label}: {exc}"[:4000])  # the falsifying example
            print(f"  fuzz    {label:<70} {counted['objects'] - before:>5} cases  {status}")
    finally:
        setattr(fuzz, "ingest_object", real_ingest)  # noqa: B010
        setattr(fuzz, "decode_object", real_decode)  # noqa: B010
    tally.fuzz_cases += counted["objects"]


def report(t: Tally, seconds: float) -> None:
    print()
    print(f"crash points tried      {t.crash_tried:>6}   survived {t.crash_survived}")
    if t.crash_not_reached:
        print(f"  (not reached, not counted: {', '.join(t.crash_not_reached)})")
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(t.faults.items()))
    print(f"faults injected         {sum(t.faults.values()):>6}   ({kinds})")
    print(f"fault runs              {t.fault_runs:>6}   survived {t.fault_runs_survived}")
    print(f"fuzz cases run          {t.fuzz_cases:>6}")
    print(f"events lost             {t.events_lost:>6}")
    print(f"seconds                 {seconds:>6.0f}")
    for failure in t.failures:
        print(f"FAILED: {failure}")


if __name__ == "__main__":
    raise SystemExit(main())
