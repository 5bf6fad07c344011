"""Ingest benchmark: `trailguard ingest` against two baselines measured in the same run.

Run by hand (not a test): `python bench/ingest.py [--events 500000] [--s3]`.

For each size it generates a synthetic organisation (CloudTrail-sized objects, real layout), then
prints events/s and peak memory (RSS of the whole process tree) for:
  (a) DuckDB alone: `read_json` over the files, unnest `Records`, `COPY` to Parquet;
  (b) the decompress-and-parse floor: gzip + orjson over every object, no writing;
  trailguard: `trailguard ingest` into a fresh lake;
and the ratios trailguard/(a) (target >= 3) and trailguard/(b) (target >= 0.5), each with the CPU
seconds (user + sys, every process of its tree) it spent: other work on the machine skews wall
time, much less CPU time. The floor and trailguard run `--rounds` times alternately; the ratio
to the floor is the median of the rounds' ratios (all of them printed).
With `--s3` the same tree is served by a local S3 server (moto, over HTTP) and ingest is timed
against a boto3 GET + gzip + orjson floor with the same concurrency. trailguard runs as
`python -m trailguard.pipeline.cli.main` with this interpreter, so it measures the checked-out code.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import median

import orjson

from trailguard.pipeline.synth.generate import generate_organisation

# The checked-out code (this interpreter's `pipeline`), not what the `trailguard` script imports.
TRAILGUARD = [sys.executable, "-m", "trailguard.pipeline.cli.main"]
# Events a day of the benchmark organisation produces, to size its tree.
EVENTS_PER_DAY_GUESS = 27_000  # 6 accounts, 120 principals


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500_000, help="target size (largest run)")
    parser.add_argument("--s3", action="store_true", help="also serve the tree from local S3")
    parser.add_argument("--rounds", type=int, default=3, help="floor/trailguard pairs per size")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as scratch:
        for events in (args.events // 2, args.events):
            run_size(Path(scratch), events, with_s3=args.s3, repeat=args.rounds)
    return 0


def run_size(scratch: Path, events: int, *, with_s3: bool, repeat: int = 3) -> None:
    """Generate a tree of about `events` events and time every contender on it (the floor and
    trailguard `repeat` times, alternately: a shared machine's speed drifts over minutes, and a
    ratio of two runs made side by side survives that drift better than one of distant runs)."""
    tree = scratch / f"tree-{events}"
    days = max(1, round(events / EVENTS_PER_DAY_GUESS))
    summary = generate_organisation(
        str(tree), days=days, accounts=6, principals=120, seed=7, attacks=[]
    )
    files = sorted(tree.rglob("*.json.gz"))
    files = [f for f in files if "CloudTrail-Digest" not in f.as_posix()]
    print(f"\n== {summary.events:,} events in {len(files):,} objects ({days} days, 6 accounts)")
    duck = timed_process([sys.executable, "-c", DUCKDB_BASELINE, str(tree), str(scratch / "d")])
    lake = scratch / f"lake-{events}"
    rounds: list[tuple[Timing, Timing]] = []  # (floor, trailguard), each pair back to back
    for _ in range(repeat):
        floor = timed(lambda: parse_floor(files))
        ours = timed_process([*TRAILGUARD, "ingest", "--source", str(tree), "--lake", str(lake)])
        shutil.rmtree(lake)
        rounds.append((floor, ours))
    ratios = sorted(f[0] / o[0] for f, o in rounds)
    # The lines printed are the round of the median ratio.
    floor, ours = min(rounds, key=lambda pair: abs(pair[0][0] / pair[1][0] - median(ratios)))
    report("(b) gzip+orjson floor", summary.events, floor)
    report("(a) DuckDB read_json->Parquet", summary.events, duck)
    report("trailguard ingest (local)", summary.events, ours)
    print(f"   ratio vs (a): {duck[0] / ours[0]:.2f}x  (target >= 3)")
    spread = f"  (rounds: {', '.join(f'{r:.2f}' for r in ratios)})" if repeat > 1 else ""
    print(f"   ratio vs (b): {median(ratios):.2f}   (target >= 0.5){spread}")
    if with_s3:
        run_s3(scratch, tree, files, summary.events)


DUCKDB_BASELINE = """
import sys, duckdb
tree, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
glob = tree + "/AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz"
con.execute(
    "COPY (SELECT unnest(Records) AS record FROM read_json($glob, columns={Records: 'JSON[]'},"
    " maximum_object_size=268435456)) TO '" + out + ".parquet' (FORMAT parquet, COMPRESSION zstd)",
    {"glob": glob},
)
"""


def parse_floor(files: list[Path]) -> int:
    """Decompress and parse every object; the number of records seen."""
    count = 0
    for path in files:
        count += len(orjson.loads(gzip.decompress(path.read_bytes())).get("Records", []))
    return count


Timing = tuple[float, int, float]  # (wall seconds, peak RSS bytes, CPU seconds user+sys)


def timed(work: Callable[[], object]) -> Timing:
    """Wall seconds, peak RSS and CPU seconds of `work`, run in this process."""
    sampler = TreeSampler(os.getpid())
    cpu, start = _cpu(), time.perf_counter()
    with sampler:
        work()
    return time.perf_counter() - start, sampler.peak_rss, _cpu() - cpu


def timed_process(command: list[str], env: dict[str, str] | None = None) -> Timing:
    """Wall seconds, peak RSS and CPU seconds of a command's process tree; it must succeed."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    sampler = TreeSampler(process.pid)
    with sampler:
        if process.wait() != 0:
            raise SystemExit(f"failed: {' '.join(command)}")
    return time.perf_counter() - start, sampler.peak_rss, sampler.cpu


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class TreeSampler:
    """Peak resident memory and CPU seconds (user + sys) of a process and its descendants.

    Sampled every 20 ms from /proc (Linux), since the descendants need not be children the
    process waits for (a fork server's workers are not): CPU is the sum, over every process
    seen, of its last sample, so each process's last 20 ms at most go uncounted.
    """

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_rss = pid, 0
        self._ticks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def cpu(self) -> float:
        """CPU seconds of every process seen."""
        return sum(self._ticks.values()) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.02)

    def _sample(self) -> None:
        rss, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo.extend(int(c) for c in (task / "children").read_text().split())
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            self._ticks[pid] = int(stat[11]) + int(stat[12])  # utime + stime
            rss += int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
        self.peak_rss = max(self.peak_rss, rss)


def report(name: str, events: int, result: Timing) -> None:
    """One line of the table: throughput, peak memory, and CPU per event (all processes)."""
    seconds, peak, cpu = result
    print(
        f"   {name:<32} {events / seconds:>10,.0f} events/s  {peak / 2**20:>7,.0f} MiB peak"
        f"  {cpu:>7.1f} s CPU  {cpu / events * 1e6:>5.1f} us CPU/event"
    )


def run_s3(scratch: Path, tree: Path, files: list[Path], events: int) -> None:
    """The same tree served over HTTP by a local S3 server."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(env)
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket="bench")
    for path in files:
        client.put_object(
            Bucket="bench", Key=path.relative_to(tree).as_posix(), Body=path.read_bytes()
        )
    floor = timed(lambda: s3_floor(client, files, tree))
    lake = scratch / "lake-s3"
    ours = timed_process(
        [
            *TRAILGUARD,
            "ingest",
            "--source",
            "s3://bench",
            "--lake",
            str(lake),
            "--endpoint-url",
            endpoint,
        ],
        env=env,
    )
    report("(b) S3 GET+gzip+orjson floor", events, floor)
    report("trailguard ingest (S3)", events, ours)
    print(f"   ratio vs (b): {floor[0] / ours[0]:.2f}")
    server.stop()


def s3_floor(client: object, files: list[Path], tree: Path) -> int:
    """GET, decompress and parse every object with 16 threads (ingest's fetch concurrency)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(path: Path) -> int:
        body = client.get_object(Bucket="bench", Key=path.relative_to(tree).as_posix())  # type: ignore[attr-defined]
        return len(orjson.loads(gzip.decompress(body["Body"].read())).get("Records", []))

    with ThreadPoolExecutor(16) as pool:
        return sum(pool.map(one, files))


if __name__ == "__main__":
    raise SystemExit(main())
