#!/usr/bin/python3
"""test_gencompany: the synthetic company generator (tools/sim/gencompany.c).

Checks that its output is a valid, time-ordered CloudEvents stream with the
requested staff, deterministic for a seed and different for another, that
the truth file agrees with the stream, that the satisfaction and ability
relations it claims can be recovered from the stream alone (ordinary least
squares with the CONTRACT.md definitions of u, care and v), and, when the
daemon's replay mode is built, that retentiond accepts every line.
"""
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", "build")
GEN = os.path.join(ROOT, BUILD, "gencompany")
RETENTIOND = os.environ.get("RETENTIOND", os.path.join(ROOT, BUILD, "retentiond"))
TYPES = {"hr.employee.hired", "hr.review.completed", "hr.survey.submitted",
         "hr.compensation.changed", "hr.training.completed", "hr.promotion.granted",
         "hr.care.provided", "hr.manager.changed", "hr.profile.updated",
         "hr.employee.exited", "hr.employee.erased"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
YEAR_MS = 365 * 86400 * 1000

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def gen(*args):
    r = subprocess.run([GEN, *args], capture_output=True, timeout=120)
    check(r.returncode == 0, "gencompany %s exits 0 (got %d: %s)"
          % (" ".join(args), r.returncode, r.stderr.decode()[-200:]))
    return r.stdout


def ms(t):
    return int(datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000)


def validate(raw, employees):
    events = []
    for n, line in enumerate(raw.decode().splitlines(), 1):
        try:
            ev = json.loads(line)
        except ValueError as e:
            check(False, "line %d is JSON (%s)" % (n, e))
            continue
        events.append(ev)
    ids, last_t, hired, gone = set(), 0, {}, {}
    for ev in events:
        for attr in ("specversion", "id", "source", "type", "subject", "time"):
            if not isinstance(ev.get(attr), str) or not ev[attr]:
                check(False, "%s has a string %s" % (ev.get("id"), attr))
                return events
        check(ev["specversion"] == "1.0", "specversion 1.0")
        check(ev["type"] in TYPES, "known type %s" % ev["type"])
        check(re.match(r"^E\d{6}$", ev["subject"]) is not None, "subject like E000123")
        check(RFC3339.match(ev["time"]) is not None, "time is RFC 3339: %s" % ev["time"])
        check(ev["id"] not in ids, "id %s unique" % ev["id"])
        ids.add(ev["id"])
        t = ms(ev["time"])
        ev["_t"] = t
        check(t >= last_t, "time-ordered at %s" % ev["id"])
        last_t = t
        s, ty = ev["subject"], ev["type"]
        if ty == "hr.employee.erased":
            check("data" not in ev or ev["data"] == {}, "erased has no data")
            check(s in gone, "only leavers are erased")
        else:
            check(isinstance(ev.get("data"), dict), "%s has a data object" % ev["id"])
        if ty == "hr.employee.hired":
            check(s not in hired, "%s hired once" % s)
            hired[s] = t
            d = ev["data"]
            check(isinstance(d.get("department"), str) and isinstance(d.get("job_level"), int)
                  and 1 <= d["job_level"] <= 15 and d.get("salary", -1) >= 0,
                  "hired has department, job_level, salary")
            a = d.get("attributes", {})
            check(a.get("overtime") in ("yes", "no") and a.get("gender") in ("f", "m")
                  and "MaritalStatus" in a and isinstance(a.get("distance_km"), (int, float)),
                  "hired carries overtime, distance_km, gender, MaritalStatus")
        elif ty != "hr.employee.erased":
            check(s in hired, "%s: %s after the hire" % (ev["id"], ty))
            check(s not in gone, "%s: %s before the exit" % (ev["id"], ty))
        if ty == "hr.employee.exited":
            check(isinstance(ev["data"].get("voluntary"), bool), "exited has voluntary")
            gone[s] = t
        if ty == "hr.survey.submitted":
            check(0 <= ev["data"]["satisfaction"] <= 100, "satisfaction 0..100")
        if ty == "hr.review.completed":
            check(1 <= ev["data"]["rating"] <= 5, "rating 1..5")
        if ty == "hr.compensation.changed":
            check(ev["data"]["kind"] in ("raise", "bonus", "equity") and ev["data"]["amount"] > 0,
                  "compensation kind and amount")
    start = min(hired.values()) if hired else 0
    opening = sum(1 for t in hired.values() if t < start + 30 * 86400000)
    check(opening >= employees, "at least %d hires in the first 30 days (got %d)"
          % (employees, opening))
    active = len(hired) - len(gone)
    check(abs(active - employees) <= 0.15 * employees,
          "headcount kept near %d (got %d at the end)" % (employees, active))
    return events


def recover(events):
    """OLS of satisfaction on u and care, and of assessments on v."""
    inc, care, train, sal = {}, {}, {}, {}
    xs, ys, xa, ya = [], [], [], []
    for ev in events:
        s, t, d, ty = ev["subject"], ev["_t"], ev.get("data", {}), ev["type"]
        if ty == "hr.employee.hired":
            sal[s] = d["salary"]
        elif ty == "hr.compensation.changed":
            inc.setdefault(s, []).append((t, 100.0 * d["amount"] / sal[s]))
            if "new_salary" in d:
                sal[s] = d["new_salary"]
        elif ty == "hr.promotion.granted":
            sal[s] = d.get("new_salary", sal[s])
        elif ty == "hr.care.provided":
            care.setdefault(s, []).append(t)
        elif ty == "hr.survey.submitted":
            u = sum(p for (ti, p) in inc.get(s, []) if t - YEAR_MS <= ti < t)
            c = sum(1 for ti in care.get(s, []) if t - YEAR_MS <= ti < t)
            xs.append((1.0, u, c))
            ys.append(d["satisfaction"])
        elif ty == "hr.training.completed":
            train.setdefault(s, []).append((t, d["hours"]))
            if "assessment" in d:
                v = sum(h for (ti, h) in train[s] if t - YEAR_MS <= ti <= t)
                xa.append((1.0, v))
                ya.append(d["assessment"])
    bs = np.linalg.lstsq(np.array(xs), np.array(ys), rcond=None)[0]
    ba = np.linalg.lstsq(np.array(xa), np.array(ya), rcond=None)[0]
    return bs, ba, len(ys), len(ya)


def replay_accepts(path, tmp):
    """Every line through `retentiond --replay`: no DLQ output."""
    if not os.access(RETENTIOND, os.X_OK):
        print("retentiond not built: replay check skipped")
        return
    h = subprocess.run([RETENTIOND, "-h"], capture_output=True, timeout=10)
    if b"--replay" not in h.stdout + h.stderr:
        print("retentiond has no --replay: replay check skipped")
        return
    conf = os.path.join(tmp, "replay.conf")
    with open(conf, "w") as f:
        f.write("[state]\ndirectory = %s\n[http]\nlisten =\n" % tmp)
    r = subprocess.run([RETENTIOND, "--replay", path, "-c", conf],
                       capture_output=True, timeout=300)
    check(r.returncode == 0, "retentiond --replay exits 0 (got %d: %s)"
          % (r.returncode, r.stderr.decode()[-300:]))
    dlq, lines = 0, 0
    for line in r.stdout.decode().splitlines():
        lines += 1
        try:
            o = json.loads(line)
        except ValueError:
            check(False, "replay output line is JSON: %s" % line[:120])
            continue
        tag = " ".join(str(o.get(k, "")) for k in ("kind", "topic", "output"))
        if "dlq" in tag.lower() or "error" in o:
            dlq += 1
            if dlq <= 3:
                print("DLQ:", line[:300])
    check(lines > 0, "replay printed outputs")
    check(dlq == 0, "replay sent nothing to the DLQ (got %d)" % dlq)
    print("replay: %d output lines, %d DLQ" % (lines, dlq))


def check_monthly(path, events, months):
    """--truth-monthly with --truth-paths: one row per employee on staff at
    each month start, hazard and risks in range, the risk consistent with
    the hazard, and both risks adding up to the exits that follow."""
    with open(path) as f:
        lines = f.read().splitlines()
    check(lines and lines[0] == "employee,month,time,tenure_days,hazard_per_year,"
          "risk_180d,risk_180d_paths", "monthly truth header")
    rows = [ln.split(",") for ln in lines[1:]]
    by_month = {}
    for r in rows:
        by_month.setdefault(int(r[1]), []).append(r)
    check(sorted(by_month) == list(range(1, months)),
          "monthly truth has months 1..%d (got %s)" % (months - 1, sorted(by_month)[:3]))
    hired = {e["subject"]: e["_t"] for e in events if e["type"] == "hr.employee.hired"}
    gone = {e["subject"]: e["_t"] for e in events if e["type"] == "hr.employee.exited"}
    for k, rs in sorted(by_month.items()):
        t = ms(rs[0][2])
        staff = {s for s, h in hired.items() if h < t and gone.get(s, t + 1) > t}
        check({r[0] for r in rs} == staff and len(rs) == len(staff),
              "month %d: the rows are the staff at %s (%d rows, %d staff)"
              % (k, rs[0][2], len(rs), len(staff)))
        for r in rs[:50]:
            ten, haz, risk = float(r[3]), float(r[4]), float(r[5])
            check(abs(ten - (t - hired[r[0]]) / 86400000) < 0.01, "tenure_days of %s" % r[0])
            check(0 < haz < 5 and 0 < risk < 1 and 0 < float(r[6]) < 1,
                  "hazard and risks in range (%s)" % r)
            # Over 180 days the hazard moves with the tenure band (x0.4..x2
            # at the defaults) and months since a raise (x1.2): a wide band
            # around the constant-hazard risk.
            h = haz * 180 / 365
            check(1 - np.exp(-0.4 * h) <= risk <= 1 - np.exp(-3 * h),
                  "risk_180d within reach of 1 - exp(-hazard * 180/365) (%s)" % r)
    # Calibration in the large: the true risks add up to the voluntary
    # exits that follow within 180 days (months whose horizon is observed).
    end = max(e["_t"] for e in events)
    vol = {e["subject"]: e["_t"] for e in events
           if e["type"] == "hr.employee.exited" and e["data"]["voluntary"]}
    for col, name in ((5, "risk_180d"), (6, "risk_180d_paths")):
        expected = observed = 0.0
        for k, rs in by_month.items():
            t = ms(rs[0][2])
            if t + 180 * 86400000 > end:
                continue
            for r in rs:
                expected += float(r[col])
                observed += 1 if t < vol.get(r[0], 0) <= t + 180 * 86400000 else 0
        print("monthly truth: %s: %.1f voluntary exits expected within 180 days, %d seen"
              % (name, expected, observed))
        check(expected > 20 and abs(observed - expected) < 0.25 * expected,
              "%s adds up to the exits that follow (%.1f expected, %d seen)"
              % (name, expected, observed))


def main():
    if not os.access(GEN, os.X_OK):
        print("%s not built" % GEN)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        truth_path = os.path.join(tmp, "truth.json")
        args = ["--employees", "200", "--months", "18", "--seed", "7", "--erasures", "3"]
        raw = gen(*args, "--truth", truth_path)
        events = validate(raw, 200)
        print("events:", len(events))

        check(gen(*args) == raw, "same seed, same bytes")
        monthly = os.path.join(tmp, "monthly.csv")
        check(gen(*args, "--truth-monthly", monthly, "--truth-paths", "4") == raw,
              "--truth-monthly and --truth-paths leave the stream as they are")
        check_monthly(monthly, events, 18)
        other = gen("--employees", "200", "--months", "18", "--seed", "8", "--erasures", "3")
        check(other != raw and len(other) > 0, "another seed, another company")

        with open(truth_path) as f:
            truth = json.load(f)
        cnt = truth["counts"]
        by_type = {}
        for ev in events:
            by_type[ev["type"]] = by_type.get(ev["type"], 0) + 1
        check(cnt["events"] == len(events), "truth counts every event")
        check(all(cnt["by_type"].get(k, 0) == by_type.get(k, 0) for k in TYPES),
              "truth counts by type match the stream")
        check(cnt["employees"] == by_type["hr.employee.hired"], "truth counts hires")
        check(cnt["voluntary_exits"] == sum(1 for e in events if e["type"] == "hr.employee.exited"
                                             and e["data"]["voluntary"]),
              "truth counts voluntary exits")
        check(1 <= cnt["erasures"] <= 3, "1..3 erasures (got %d)" % cnt["erasures"])
        check(truth["kappa"] == -truth["hazard"]["coefficients_raw"]["satisfaction"]
              and truth["satisfaction"]["alpha"] == 0.8, "truth carries the parameters")

        bs, ba, ns, na = recover(events)
        print("recovered s0 %.2f alpha %.3f care %.2f (n %d); a0 %.2f gamma %.4f (n %d)"
              % (bs[0], bs[1], bs[2], ns, ba[0], ba[1], na))
        check(abs(bs[1] - 0.8) < 0.2, "alpha recoverable from the stream")
        check(abs(bs[2] - 2.0) < 0.8, "care effect recoverable from the stream")
        check(abs(bs[0] - 60) < 3, "s0 recoverable from the stream")
        check(abs(ba[1] - 0.3) < 0.05, "gamma recoverable from the stream")
        check(abs(ba[0] - 50) < 3, "a0 recoverable from the stream")

        # Another truth must show in the stream too (the test can fail).
        raw2 = gen("--employees", "200", "--months", "18", "--seed", "7", "--alpha", "0.2",
                   "--gamma", "0.15")
        bs2, ba2, _, _ = recover(validate(raw2, 200))
        check(abs(bs2[1] - 0.2) < 0.2 and abs(ba2[1] - 0.15) < 0.05,
              "changed alpha/gamma show in the stream (%.3f, %.4f)" % (bs2[1], ba2[1]))

        kraw = gen(*args, "--kafka-format")
        klines = kraw.decode().splitlines()
        check(len(klines) == len(events), "kafka format: one line per event")
        ok = all(k == json.loads(v)["subject"]
                 for k, v in (ln.split("\t", 1) for ln in klines[:2000]))
        check(ok, "kafka format: key<TAB>json with key = subject")

        for bad in (["--employees", "0"], ["--baseline", "0.1,0.2"], ["--start", "2024-13-01"],
                    ["--seed", "x"], ["extra"]):
            r = subprocess.run([GEN, *bad], capture_output=True, timeout=10)
            check(r.returncode == 2, "bad arguments %s exit 2 (got %d)" % (bad, r.returncode))

        path = os.path.join(tmp, "events.jsonl")
        with open(path, "wb") as f:
            f.write(raw)
        replay_accepts(path, tmp)

    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
