#!/usr/bin/python3
"""Converts Babushkin's turnover.csv (tenure in months + quit flag) into
CloudEvents histories that retentiond can replay.

Input: turnover.csv, Latin-1 (one 0xF1 byte in a profession name), LF,
1129 rows: `stag` = months observed since hire, `event` = 1 if the person
quit then, 0 if still employed (right-censored). The 13 duplicate rows are
kept, as any analysis of the published file keeps them.

Each row becomes one employee "to-<row number>" with a single
hr.employee.hired event carrying everything known about the person as
attributes:
  categorical: industry (leading/trailing spaces stripped), profession,
               traffic, coach, head_gender, greywage, way
  numeric:     extraversion, independ, selfcontrol, anxiety, novator
  protected:   gender, age. Sent on purpose: the daemon must exclude them
               from the model itself, and the evaluation relies on that.
There is no department, level or pay in the data: department "all",
job_level 1, salary 0 (which the contract allows and the state reads as
"unknown").

Time placement (T = snapshot, default 2026-01-01T00:00:00Z). Two roles:

  training rows: the history must reproduce the observed (stag, event)
    in the daemon's tenure clock. A censored row is hired at T - stag and
    stays active, so that its exposure ends at T, when the replay stops.
    A row with event = 1 is hired at T - stag - U, U uniform in [0, 5) years
    (random.Random(seed), one draw per row in file order), and exits
    voluntarily at hire + stag. The spread U puts the exits across five
    years of calendar time instead of all at T, which is what an online
    estimator sees in production (exits arrive while exposure accrues).
    Calendar time carries no information about the outcome the model could
    use: the model lives in tenure time. Read as a stream, though, exits
    that start five years before T beside censored histories that go back
    fifteen look like exits reported only from then (left truncation), so
    the evaluation states that the histories are complete with
    observation_start before every hire (tools/eval/eval.py).

  test rows: only the hire, at T, and the replay scores them at T. Every
    test employee is then scored at the same tenure (0), with the same
    time-varying covariates, so the risk ranks people by their attributes
    alone, as a Cox linear predictor would. Scoring each at its own end
    time T - stag + stag would instead hand the model the outcome: the
    baseline hazard and tenure-driven covariates (months since promotion,
    with the manager) would encode stag itself.

Usage: turnover2events.py CSV [-o OUT] [--no-exits] [--seed N]
With --no-exits every row is written as a test row (hire at T only).
"""

import argparse
import csv
import datetime
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evallib  # noqa: E402

CATEGORICAL_ATTRS = ["industry", "profession", "traffic", "coach",
                     "head_gender", "greywage", "way"]
NUMERIC_ATTRS = ["extraversion", "independ", "selfcontrol", "anxiety", "novator"]
SOURCE = "urn:retentiond:eval:turnover"
EXIT_SPREAD_YEARS = 5.0


def load(path):
    """Rows as dicts, with `id` (to-<n>, n from 1), `stag` (float) and
    `event` (0/1) parsed and string fields stripped."""
    with open(path, encoding="latin-1", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "stag" not in rows[0]:
        raise ValueError("%s: not the turnover CSV" % path)
    for n, r in enumerate(rows, 1):
        for k in list(r):
            r[k] = r[k].strip()
        r["id"] = "to-%d" % n
        r["stag"] = float(r["stag"])
        r["event"] = int(r["event"])
    return rows


def hire_data(row):
    attrs = {}
    for c in CATEGORICAL_ATTRS + ["gender"]:
        attrs[c] = row[c]
    for c in NUMERIC_ATTRS + ["age"]:
        attrs[c] = float(row[c])
    return {"department": "all", "job_level": 1, "salary": 0,
            "attributes": attrs}


def training_events(rows, snapshot, seed, source=SOURCE):
    """JSONL lines for training rows (hires and voluntary exits)."""
    rng = random.Random(seed)
    w = evallib.EventWriter(source)
    for r in rows:
        stag_days = r["stag"] * evallib.MONTH_DAYS
        u_days = rng.random() * EXIT_SPREAD_YEARS * evallib.YEAR_DAYS
        if r["event"]:
            end = evallib.before(snapshot, u_days)
            w.add("hr.employee.hired", r["id"], evallib.before(end, stag_days),
                  hire_data(r))
            w.add("hr.employee.exited", r["id"], end,
                  {"voluntary": True, "reason": "quit"})
        else:
            w.add("hr.employee.hired", r["id"],
                  evallib.before(snapshot, stag_days), hire_data(r))
    return w.lines()


def test_events(rows, snapshot, source=SOURCE):
    """JSONL lines for test rows: the hire only, at the snapshot."""
    w = evallib.EventWriter(source)
    for r in rows:
        w.add("hr.employee.hired", r["id"], snapshot, hire_data(r))
    return w.lines()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv")
    ap.add_argument("-o", "--out", default="-")
    ap.add_argument("--no-exits", action="store_true",
                    help="write every row as a test row (hire at T only)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--snapshot", default=evallib.rfc3339(evallib.SNAPSHOT))
    a = ap.parse_args()
    snap = datetime.datetime.strptime(a.snapshot, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    rows = load(a.csv)
    lines = test_events(rows, snap) if a.no_exits else training_events(rows, snap, a.seed)
    if a.out == "-":
        sys.stdout.write("".join(x + "\n" for x in lines))
    else:
        evallib.write_lines(a.out, [lines])
    return 0


if __name__ == "__main__":
    sys.exit(main())
