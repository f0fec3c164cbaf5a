#!/usr/bin/python3
"""Converts the IBM HR attrition CSV (a single snapshot) into per-employee
CloudEvents histories that retentiond can replay.

Input: WA_Fn-UseC_-HR-Employee-Attrition.csv, UTF-8 with a byte-order mark
and CRLF line ends (read with the stdlib csv module, encoding "utf-8-sig",
newline=""), 1470 rows, one per employee, no dates.

The snapshot is placed at a time T (default 2026-01-01T00:00:00Z) and each
row becomes a history that ends at T. The "Years..." fields are whole years
(truncated), so every such duration d is taken as d + 0.5 years, the middle
of the interval it stands for; that also keeps every hire at least six
months before T. Employee id: "ibm-<EmployeeNumber>".

Events, per employee, with the choices made:
  hr.employee.hired       at T - (YearsAtCompany + 0.5) y. department =
                          Department; job_level = JobLevel, or JobLevel - 1
                          (at least 1) when a promotion follows; salary =
                          MonthlyIncome * 12 / (1 + PercentSalaryHike/100),
                          i.e. the pay before the last raise; manager_id a
                          per-employee pseudonym. attributes:
                            numeric: DailyRate, DistanceFromHome, Education,
                              EnvironmentSatisfaction, HourlyRate, MonthlyRate,
                              NumCompaniesWorked, RelationshipSatisfaction,
                              StockOptionLevel, TotalWorkingYears,
                              YearsInCurrentRole
                            categorical: BusinessTravel, EducationField,
                              JobRole, OverTime
                            protected: Age, Gender, MaritalStatus. They are
                              sent on purpose: the daemon must keep them out
                              of the model by itself, and the evaluation
                              checks that it does (the anchor is computed
                              with and without them).
                          The snapshot values are sent at hire so that the
                          whole exposure carries them (they are what the
                          data set knows about the person).
  hr.compensation.changed kind "raise" at hire, amount so that the new
                          salary is MonthlyIncome * 12 (PercentSalaryHike
                          is the last raise, in percent; its date is not in
                          the data).
  hr.review.completed     at hire: rating = PerformanceRating (IBM 1..4)
                          mapped linearly onto 1..5.
  hr.survey.submitted     at hire: satisfaction = JobSatisfaction,
                          engagement = JobInvolvement, work_life_balance =
                          WorkLifeBalance, each 1..4 mapped onto 0..100
                          ((v - 1) * 100 / 3). EnvironmentSatisfaction and
                          RelationshipSatisfaction travel as numeric
                          attributes instead of being averaged in, so no
                          information is lost. There is no intent-to-stay.
  hr.training.completed   one per year of tenure (at hire + k * 365 days,
                          before T) of 8 * TrainingTimesLastYear hours, so
                          that "training hours in the last 12 months" is the
                          snapshot's value all along; none when it is 0.
  hr.promotion.granted    at T - (YearsSinceLastPromotion + 0.5) y, to
                          JobLevel, when YearsSinceLastPromotion <
                          YearsAtCompany (otherwise the last "promotion" was
                          the hire itself).
  hr.manager.changed      at T - (YearsWithCurrManager + 0.5) y when
                          YearsWithCurrManager < YearsAtCompany.
  hr.employee.exited      voluntary, at T, for Attrition = Yes, and ONLY
                          when with_exit is true (training folds).

Why undated snapshot values are placed at the hire: every training exit
happens at T, and the hazard model compares a leaver, at its tenure, with
everyone at risk at the same tenure, who for longer-tenured people lies
years before T. A survey or raise placed "a month before T" would exist in
every leaver's exit interval and in almost none of the comparators'
intervals, and the model would learn "a recent survey/raise makes people
leave" (an artefact that was measured: months_since_raise got a large
negative coefficient). Treating the undated values as constant over the
exposure is what a batch model of this data set assumes too. Only the
promotion and manager dates come from the data and vary in time.

Dropped columns: Attrition (the label), EmployeeCount, Over18, StandardHours
(constant), EmployeeNumber (an id), MonthlyIncome, PercentSalaryHike,
PerformanceRating, JobLevel, YearsAtCompany, YearsSinceLastPromotion,
YearsWithCurrManager, TrainingTimesLastYear, JobSatisfaction, JobInvolvement,
WorkLifeBalance, Department (all carried by the events above).

The placement can be changed for the framing check of make eval
(--undated snapshot, `undated="snapshot"`): the raise, the review and the
survey then happen UNDATED_NEAR_DAYS (60) days before T instead of at the
hire, as a converter that reads "current values" as "recent" would do.
This is the framing the docstring above warns against; the evaluation
measures what it costs (docs/EVALUATION.md, framing).

No leak of the label into a test history: apart from the exit, every event
and every time offset is a function of the non-label columns only, and the
same for leavers and stayers; a test history is the training history minus
the exit. Training leavers and stayers both run to T.

Usage: ibm2events.py CSV [-o OUT] [--no-exits] [--snapshot RFC3339]
                        [--undated hire|snapshot]
"""

import argparse
import csv
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evallib  # noqa: E402

NUMERIC_ATTRS = ["DailyRate", "DistanceFromHome", "Education",
                 "EnvironmentSatisfaction", "HourlyRate", "MonthlyRate",
                 "NumCompaniesWorked", "RelationshipSatisfaction",
                 "StockOptionLevel", "TotalWorkingYears", "YearsInCurrentRole"]
CATEGORICAL_ATTRS = ["BusinessTravel", "EducationField", "JobRole", "OverTime"]
PROTECTED_ATTRS = ["Age", "Gender", "MaritalStatus"]
SOURCE = "urn:retentiond:eval:ibm"
UNDATED = ("hire", "snapshot")      # where the undated values are placed
UNDATED_NEAR_DAYS = 60              # "near the snapshot": T minus this


def load(path):
    """Rows of the CSV as dicts (BOM and CRLF handled)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "Attrition" not in rows[0]:
        raise ValueError("%s: not the IBM attrition CSV" % path)
    return rows


def employee_id(row):
    return "ibm-" + row["EmployeeNumber"]


def label(row):
    return 1 if row["Attrition"] == "Yes" else 0


def scale_1_4(v):
    return round((float(v) - 1.0) * 100.0 / 3.0, 3)


def add_employee(w, row, snapshot, with_exit, undated="hire"):
    """Adds one employee's events to the EventWriter w; undated is where
    the values without a date go (UNDATED)."""
    eid = employee_id(row)
    yac = int(row["YearsAtCompany"])
    yslp = int(row["YearsSinceLastPromotion"])
    ywcm = int(row["YearsWithCurrManager"])
    level = int(row["JobLevel"])
    salary_now = float(row["MonthlyIncome"]) * 12.0
    hike = float(row["PercentSalaryHike"])
    salary_before = salary_now / (1.0 + hike / 100.0)
    hire = evallib.before(snapshot, (yac + 0.5) * evallib.YEAR_DAYS)
    promoted = yslp < yac

    attrs = {}
    for c in NUMERIC_ATTRS + ["Age"]:
        attrs[c] = float(row[c])
    for c in CATEGORICAL_ATTRS + ["Gender", "MaritalStatus"]:
        attrs[c] = row[c]
    w.add("hr.employee.hired", eid, hire, {
        "department": row["Department"],
        "job_level": max(1, level - 1) if promoted else level,
        "salary": round(salary_before, 2),
        "manager_id": eid + "-m0",
        "attributes": attrs,
    })
    # Snapshot values without a date hold from the hire on (see the
    # docstring: anything that appeared only near T would coincide with
    # every training exit and teach the model an artefact).
    at = hire if undated == "hire" else evallib.before(snapshot, UNDATED_NEAR_DAYS)
    w.add("hr.compensation.changed", eid, at,
          {"kind": "raise", "amount": round(salary_now - salary_before, 2),
           "new_salary": round(salary_now, 2)})
    w.add("hr.review.completed", eid, at,
          {"rating": round(1.0 + (float(row["PerformanceRating"]) - 1.0) * 4.0 / 3.0, 4)})
    w.add("hr.survey.submitted", eid, at,
          {"satisfaction": scale_1_4(row["JobSatisfaction"]),
           "engagement": scale_1_4(row["JobInvolvement"]),
           "work_life_balance": scale_1_4(row["WorkLifeBalance"])})
    n_train = int(row["TrainingTimesLastYear"])
    if n_train > 0:
        k = 0
        while True:
            t = hire + datetime.timedelta(days=365 * k)
            if t >= snapshot:
                break
            w.add("hr.training.completed", eid, t,
                  {"hours": 8 * n_train, "skill": "general"})
            k += 1
    # Dated by the data: the last promotion and the current manager.
    if promoted:
        w.add("hr.promotion.granted", eid,
              evallib.before(snapshot, (yslp + 0.5) * evallib.YEAR_DAYS),
              {"job_level": level})
    if ywcm < yac:
        w.add("hr.manager.changed", eid,
              evallib.before(snapshot, (ywcm + 0.5) * evallib.YEAR_DAYS),
              {"manager_id": eid + "-m1"})
    if with_exit and label(row):
        w.add("hr.employee.exited", eid, snapshot,
              {"voluntary": True, "reason": "attrition"})


def events(rows, snapshot, with_exit, source=SOURCE, undated="hire"):
    """JSONL lines (sorted by event time) for the given rows."""
    if undated not in UNDATED:
        raise ValueError("undated must be one of %s" % (UNDATED,))
    w = evallib.EventWriter(source)
    for r in rows:
        add_employee(w, r, snapshot, with_exit, undated)
    return w.lines()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv")
    ap.add_argument("-o", "--out", default="-")
    ap.add_argument("--no-exits", action="store_true",
                    help="leave out the exits (as for a test fold)")
    ap.add_argument("--snapshot", default=evallib.rfc3339(evallib.SNAPSHOT))
    ap.add_argument("--undated", choices=UNDATED, default="hire",
                    help="where the values without a date go (default: the hire)")
    a = ap.parse_args()
    snap = datetime.datetime.strptime(a.snapshot, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    lines = events(load(a.csv), snap, not a.no_exits, undated=a.undated)
    if a.out == "-":
        sys.stdout.write("".join(x + "\n" for x in lines))
    else:
        evallib.write_lines(a.out, [lines])
    return 0


if __name__ == "__main__":
    sys.exit(main())
