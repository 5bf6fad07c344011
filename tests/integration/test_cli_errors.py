"""The CLI's failures: one line and an exit code, never a traceback for a mistake, never a
credential or a terminal escape in what it prints; broken lakes found and repaired."""

from __future__ import annotations

import json
import shutil
import socket
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from tests.factories import cloudtrail_event
from tests.helpers.findings import T0, rule_finding
from tests.helpers.lake import store
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.ingest.state import ensure_tables
from trailguard.pipeline.lake.db import open_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_lake(tmp_path: Path, user_agent: str = "aws-cli/2.15") -> Path:
    """A lake of three events of one day, from a one-object trail at `tmp_path/trail`."""
    folder = tmp_path / "trail" / "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05"
    folder.mkdir(parents=True)
    records = [
        cloudtrail_event(eventTime=f"2026-10-05T1{n}:00:00Z", userAgent=user_agent)
        for n in range(3)
    ]
    name = "111122223333_CloudTrail_us-east-1_20261005T1000Z_a.json"
    (folder / name).write_text(json.dumps({"Records": records}))
    lake = tmp_path / "lake"
    ingest(str(tmp_path / "trail"), lake, workers=1)
    return lake


def test_an_unreachable_s3_endpoint_is_a_clear_error_and_nothing_is_marked_read(
    aws_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    code = main(
        ["ingest", "--source", "s3://trail", "--lake", str(tmp_path), "--endpoint-url", endpoint]
    )

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("trailguard: AWS request failed:") and "Traceback" not in err


# --- credentials in URLs ---------------------------------------------------------------------

SECRET_ENDPOINT = "http://AKIAWATCHKEY:watch-this-secret@127.0.0.1:{port}"


def test_credentials_in_the_endpoint_url_are_not_printed_by_ingest(
    aws_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    endpoint = SECRET_ENDPOINT.format(port=free_port())

    code = main(["ingest", "--source", "s3://trail", "--lake", str(tmp_path / "lake"),
                 "--endpoint-url", endpoint])  # fmt: skip

    err = capsys.readouterr().err
    assert code == 1
    assert "watch-this-secret" not in err and "AKIAWATCHKEY" not in err
    assert "http://***@127.0.0.1" in err


def test_credentials_in_aws_endpoint_url_are_not_printed_by_run(
    aws_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", SECRET_ENDPOINT.format(port=free_port()))

    code = main(["run", "--source", "s3://trail", "--lake", str(tmp_path / "lake")])

    out, err = capsys.readouterr()
    assert code == 1
    assert "watch-this-secret" not in out + err and "AKIAWATCHKEY" not in out + err


def test_a_failed_first_ingest_leaves_no_lake_behind(
    aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    lake = tmp_path / "lake"
    endpoint = f"http://127.0.0.1:{free_port()}"

    assert main(["ingest", "--source", "s3://t", "--lake", str(lake), "--endpoint-url", endpoint])

    assert not lake.exists()


# --- a new user's mistakes -------------------------------------------------------------------


def one_line(err: str) -> str:
    """The single line of a one-line error (fails if it is more, or a traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_run_on_a_source_without_cloudtrail_logs_says_so_and_keeps_no_lake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "wrong-prefix").mkdir()
    lake = tmp_path / "lake"

    code = main(["run", "--source", str(tmp_path / "wrong-prefix"), "--lake", str(lake)])

    err = capsys.readouterr().err
    assert code == 2
    assert "trailguard: found no CloudTrail log file under" in err and "Traceback" not in err
    assert not lake.exists()


def test_train_on_a_new_lake_says_to_compute_features(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = write_lake(tmp_path)

    code = main(["train", "--lake", str(lake)])

    assert code == 2
    assert one_line(capsys.readouterr().err) == (
        "trailguard: the lake has no features yet: run `trailguard features` first"
    )


def test_querying_a_lake_without_events_says_to_ingest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_db(tmp_path) as con:
        ensure_tables(con)

    code = main(["query", "select count(*) from events", "--lake", str(tmp_path)])

    assert code == 2
    assert "holds no events yet: run `trailguard ingest` first" in one_line(capsys.readouterr().err)


def test_detect_without_a_lake_refuses_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRAILGUARD_LAKE", raising=False)

    code = main(["detect"])

    assert code == 2
    assert f"no lake at {tmp_path / 'lake'}" in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_explain_with_a_prefix_of_many_findings_says_how_many_and_names_some(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    store(lake, [rule_finding(finding_id=f"f{n:02d}") for n in range(12)])

    code = main(["explain", "f", "--lake", str(lake)])

    line = one_line(capsys.readouterr().err)
    assert code == 2
    assert "'f' starts the ids of 12 findings: f00, f01, f02, f03, f04, ... (7 more)" in line


def test_findings_are_listed_most_severe_first_then_most_recent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    store(
        lake,
        [
            rule_finding(finding_id="low-new", severity=2.0, last_seen=T0 + timedelta(days=2)),
            rule_finding(finding_id="high-old", severity=8.0, last_seen=T0),
            rule_finding(finding_id="high-new", severity=8.0, last_seen=T0 + timedelta(days=1)),
        ],
    )

    assert main(["findings", "--lake", str(lake), "--format", "csv"]) == 0

    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == ["high-new", "high-old", "low-new"]


# --- what log fields can do to a terminal or a spreadsheet ----------------------------------

ANSI = "\x1b]2;pwned\x07\x1b[2J"


def test_escape_sequences_in_a_finding_never_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    principal = f"arn:aws:iam::111122223333:user/eve{ANSI}"
    [finding] = store(lake, [rule_finding(principal=principal, title=f"eve{ANSI} did it")])

    for command in (["findings"], ["explain", finding.finding_id]):
        assert main([*command, "--lake", str(lake)]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out
        assert "eve\\x1b]2;pwned\\x07" in out


def test_escape_sequences_in_queried_events_never_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = write_lake(tmp_path, user_agent=f"aws-cli{ANSI}")

    assert main(["query", "select distinct user_agent from events", "--lake", str(lake)]) == 0

    out = capsys.readouterr().out
    assert "\x1b" not in out and "aws-cli\\x1b]2;pwned" in out


def test_csv_output_turns_formula_cells_into_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    store(lake, [rule_finding(principal='=HYPERLINK("http://evil","x")')])

    assert main(["findings", "--lake", str(lake), "--format", "csv"]) == 0

    assert "'=HYPERLINK(" in capsys.readouterr().out


def test_the_report_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    lake = write_lake(tmp_path)
    out = tmp_path / "report.html"

    assert main(["report", "--lake", str(lake), "--out", str(out)]) == 0

    assert stat.S_IMODE(out.stat().st_mode) == 0o600


# --- trailguard query is read-only -----------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        ("COPY (SELECT * FROM events) TO '{out}'", "COPY"),
        ("ATTACH '{out}' AS other", "ATTACH"),
        ("INSTALL httpfs", "INSTALL"),
    ],
)
def test_query_refuses_what_would_write_or_reach_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str, verb: str
) -> None:
    lake = write_lake(tmp_path)
    out = tmp_path / "lake" / "events" / "copied.csv"  # even inside the lake

    code = main(["query", sql.format(out=out), "--lake", str(lake)])

    assert code == 2
    assert one_line(capsys.readouterr().err) == (
        f"trailguard: `trailguard query` is read-only: it runs SELECT statements only, not {verb}"
    )
    assert not out.exists()


def test_query_reads_no_file_outside_the_lake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = write_lake(tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n")

    code = main(["query", f"select * from read_csv('{secret}')", "--lake", str(lake)])

    assert code == 2 and "hunter2" not in capsys.readouterr().out


def test_query_still_selects_over_events_and_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = write_lake(tmp_path)
    store(lake, [rule_finding()])
    sql = "select (select count(*) from events) e, (select count(*) from findings) f"

    assert main(["query", sql, "--lake", str(lake), "--format", "csv"]) == 0

    assert capsys.readouterr().out.splitlines() == ["e,f", "3,1"]


# --- broken lakes ----------------------------------------------------------------------------


def test_a_deleted_partition_is_reported_by_ingest_and_check_and_repaired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = write_lake(tmp_path)
    [folder] = (lake / "events").glob("event_date=*/account_id=*")
    shutil.rmtree(folder)

    ingest_code = main(["ingest", "--source", str(tmp_path / "trail"), "--lake", str(lake)])
    ingest_err = capsys.readouterr().err
    check_code = main(["check", "--lake", str(lake)])
    check_out = capsys.readouterr().out
    repair_code = main(["check", "--repair", "--lake", str(lake)])
    repair_out = capsys.readouterr().out

    assert ingest_code == 65 and "is gone though events were written there" in ingest_err
    assert check_code == 65 and "missing (3 events recorded)" in check_out
    assert repair_code == 0 and "repaired: 3 events restored; the lake is sound" in repair_out


def test_detect_refuses_a_lake_with_a_truncated_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = write_lake(tmp_path)
    [file] = (lake / "events").glob("*/*/*.parquet")
    file.write_bytes(file.read_bytes()[:200])

    code = main(["detect", "--lake", str(lake)])

    line = one_line(capsys.readouterr().err)
    assert code == 65
    assert line.startswith(f"trailguard: the lake {lake} is damaged: a Parquet file cannot be read")
    assert line.endswith(f"`trailguard check --repair --lake {lake}` reads its objects again")


def test_a_damaged_database_is_a_clear_message_and_rebuild_db_recovers_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = write_lake(tmp_path)
    store(lake, [rule_finding()])
    assert main(["check", "--lake", str(lake)]) == 0  # sound: the findings are backed up
    db = lake / "trailguard.duckdb"
    db.write_bytes(db.read_bytes()[:4096])
    capsys.readouterr()

    codes = [main([*command, "--lake", str(lake)]) for command in (["findings"], ["detect"])]
    errors = capsys.readouterr().err.splitlines()
    rebuilt = main(["check", "--rebuild-db", "--lake", str(lake)])
    rebuild_out = capsys.readouterr().out

    assert codes == [65, 65]
    assert all("trailguard.duckdb is damaged" in e and "--rebuild-db" in e for e in errors)
    assert rebuilt == 0 and "findings: 1 rows salvaged from the backup" in rebuild_out
    assert main(["findings", "--lake", str(lake), "--format", "csv"]) == 0
    assert rule_finding().finding_id in capsys.readouterr().out


def test_a_database_damaged_after_trailguard_export_is_rebuilt_with_the_export_cursor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = write_lake(tmp_path)
    store(lake, [rule_finding()])
    export = ["export", "--to", f"ndjson:{tmp_path / 'feed'}", "--lake", str(lake)]
    assert main(export) == 0  # the only command run since the findings were stored
    db = lake / "trailguard.duckdb"
    db.write_bytes(db.read_bytes()[:4096])
    capsys.readouterr()

    rebuilt = main(["check", "--rebuild-db", "--lake", str(lake)])
    rebuild_out = capsys.readouterr().out
    again = main(export)

    assert rebuilt == 0 and "export cursors: 1 rows salvaged from the backup" in rebuild_out
    assert again == 0 and ": sent 0, refused 0" in capsys.readouterr().out  # not sent again
