"""A store made under signature version 3, where one data race was two
findings (gcc's runtime printed its read first, clang's its write), is
re-keyed into one finding from the reports it stored."""

from __future__ import annotations

from pathlib import Path

from harness.parse import parse_file
from harness.store import open_store
from harness.triage.signature import SIGNATURE_VERSION, signature
from tests.integration.test_store import _ingestion

LOGS = Path(__file__).resolve().parents[1] / "data" / "logs"
# what version 3 made of tests/data/logs/{gcc,clang}-tsan/data_race.log
GCC_V3, CLANG_V3 = "e919d6652fd1", "93675d10892e"


def test_the_two_findings_of_one_race_are_rekeyed_into_one(tmp_path: Path) -> None:
    paths = {cc: str(LOGS / f"{cc}-tsan/data_race.log") for cc in ("gcc", "clang")}
    logs = {path: parse_file(path).reports for path in paths.values()}
    race = signature(logs[paths["gcc"]][0]).id
    with open_store(tmp_path / "f.db") as store:
        store.ingest(_ingestion(logs))
        assert [f.id for f in store.history()] == [race]
        # as version 3 stored it: each compiler's report under a finding of its own
        conn = store.conn
        conn.execute("CREATE TEMP TABLE old AS SELECT * FROM findings")
        for old, cc in ((GCC_V3, "gcc"), (CLANG_V3, "clang")):
            conn.execute("UPDATE old SET id = ?, signature_version = 3", (old,))
            conn.execute("INSERT INTO findings SELECT * FROM old")
            conn.execute(
                "UPDATE reports SET finding_id = ? WHERE log_key = ?", (old, f"sha256:{paths[cc]}")
            )
        conn.execute("UPDATE finding_events SET finding_id = ?", (GCC_V3,))
        conn.execute("DELETE FROM findings WHERE id = ?", (race,))

        assert store.rekey_outdated() == 2

        assert [(f.id, f.count) for f in store.history()] == [(race, 2)]
        detail = store.detail(race)
        assert detail.finding.signature_version == SIGNATURE_VERSION
        assert detail.finding.title == "data-race in bump ‹ data_race ‹ main vs bump ‹ racer"
        notes = [event.note for event in detail.events if event.note]
        assert sorted(notes) == [f"re-keyed from {CLANG_V3}", f"re-keyed from {GCC_V3}"]
