"""Measurement against the truth's own limit (issue 12, item 1), for eval.py.

On companies simulated by gencompany, whose true voluntary hazard of every
employee is known each month (`gencompany --truth-monthly`), retentiond is
compared with an oracle that knows that hazard. "The true risk" is the
generator's P(voluntary exit within 180 days) averaged over --truth-paths
simulated futures (column risk_180d_paths); risk_180d, which holds today's
covariates, is shown beside it. Per seed:

  ranking      at each landmark L (months after --start), the people on
               staff at L are scored by retentiond after replaying only the
               events before L (`--replay PREFIX --dump-scores --score-at L`:
               no look-ahead); the outcome is a voluntary exit in
               (L, L + 180 d]. People whose exit in that window is
               involuntary are left out (their outcome is censored). ROC AUC
               of retentiond's risk beside the AUC of the true 180-day risk
               at L, and the ratio of lifts over chance
               (AUC - 0.5) / (AUC_truth - 0.5).
  calibration  the same landmark rows, pooled over landmarks: reliability
               table (10 equal-count bins by prediction, observed rate with
               its Wilson 95 % interval), expected calibration error,
               Hosmer-Lemeshow test with 10 degrees of freedom; for
               retentiond's risk and for the true risk.
  alerts       from the replay of the whole stream. An employee is "under
               alert" from a `firing` message until its `resolved` (or the
               end). Alert window W = [first landmark, end - 180 d), so that
               every alert in W has a fully observed horizon. Alerted: under
               alert at some time in W. A hit: an alerted employee who
               leaves voluntarily at x while under alert at some time in
               W within [x - 180 d, x). Precision = hits / alerted. Recall =
               voluntary exits x in [W start + 180 d, W end] (whose whole
               look-back lies in W) with an alert in force in
               [x - 180 d, x), over those exits. The oracle, at every month
               start b in W, puts under alert until the next month start
               each employee whose true 180-day risk at b is at least tau,
               tau chosen so that it alerts as many employees as
               retentiond did; same hit and recall rules. This replay runs
               with [alerts] threshold 0.2 and clear_threshold 0.15
               (ALERT_CONF) unless -c gives a configuration.

Goals (issue 12): AUC at least 0.95 of the truth's at every landmark (mean
over seeds of the per-seed ratio); alert precision and recall at least 0.8
of the oracle's at equal volume (ratio of the means over seeds); calibration
within sampling error (Hosmer-Lemeshow p >= 0.05 on the table pooled over
seeds and landmarks). Sanity checks, always gated: every employee on staff
at a landmark got a score, no replay sent an event to the DLQ, the truth's
AUC is well above chance (>= 0.55), and the oracle's figures are defined.
"""

import csv
import datetime
import json
import math
import os
import subprocess
import sys
import time

import evallib

HORIZON_DAYS = 180.0
HORIZON_MS = int(HORIZON_DAYS * 86400000)
AUC_GOAL = 0.95            # of the truth's AUC
ALERT_GOAL = 0.80          # of the oracle's precision and recall
HL_P_GOAL = 0.05           # Hosmer-Lemeshow p-value
TRUTH_AUC_SANE = 0.55      # the truth must rank well above chance
# The alerts' operating point on these companies (the whole-stream replay
# only; -c replaces it): the generator's 180-day voluntary exit rate is
# about 0.1, so an alert means twice that. The default threshold (0.5, "more
# likely to leave than not") is one the true risk itself hardly reaches
# here, and a confident alert policy then alerts almost nobody: no volume
# to measure precision and recall at. Chosen from the generator's design,
# not from any seed's result.
ALERT_CONF = "[alerts]\nthreshold = 0.2\nclear_threshold = 0.15\n"


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def ms_of(text):
    """Milliseconds since the epoch of an RFC 3339 UTC time."""
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000


def text_of(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def load_monthly(path):
    """month -> (time ms, {employee: (hazard per year, true risk 180 d,
    risk 180 d with today's covariates)}). The true risk is the mean over
    simulated futures (risk_180d_paths) when the file has it, else the
    risk with today's covariates."""
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            k = int(row["month"])
            if k not in out:
                out[k] = (ms_of(row["time"]), {})
            frozen = float(row["risk_180d"])
            paths = row.get("risk_180d_paths") or ""
            out[k][1][row["employee"]] = (float(row["hazard_per_year"]),
                                          float(paths) if paths else frozen, frozen)
    return out


class Company:
    """What the evaluation needs of an event file: exits and the last time."""

    def __init__(self, path):
        self.path = path
        self.vol, self.invol = {}, {}       # employee -> exit time ms
        self.end = 0
        last = None
        with open(path, encoding="utf-8") as f:
            for line in f:
                last = line
                if '"hr.employee.exited"' not in line:
                    continue        # only exits need parsing
                ev = json.loads(line)
                d = ev.get("data") or {}
                (self.vol if d.get("voluntary") else self.invol)[ev["subject"]] = \
                    ms_of(ev["time"])
        if last is not None:        # time-ordered: the last line is the end
            self.end = ms_of(json.loads(last)["time"])

    def prefix(self, out, before_ms):
        """Writes the events before before_ms (the file is time-ordered and
        its times share one format, so text order is time order)."""
        cut = '"time":"%s"' % text_of(before_ms)
        n = 0
        with open(self.path, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as g:
            for line in f:
                i = line.index('"time":"')
                if line[i:i + len(cut)] >= cut:
                    break
                g.write(line)
                n += 1
        return n


def landmark_rows(company, month_rows, scores, L):
    """(retentiond risk, true risk, true hazard, outcome, risk with
    today's covariates) per employee on staff at L with an observed
    outcome, and the count without a score."""
    rows, missing = [], 0
    for emp, (haz, risk, frozen) in month_rows.items():
        x = company.invol.get(emp)
        if x is not None and L < x <= L + HORIZON_MS:
            continue
        s = scores.get(emp)
        if s is None or s.get("risk") is None:
            missing += 1
            continue
        v = company.vol.get(emp)
        rows.append((float(s["risk"]), risk, haz,
                     1 if v is not None and L < v <= L + HORIZON_MS else 0, frozen))
    return rows, missing


def episodes(alerts, end):
    """employee -> list of [start, stop) times under alert, from firing and
    resolved messages in output order."""
    out, open_at = {}, {}
    for a in alerts:
        emp, t = a.get("employee_id"), a.get("event_time")
        if emp is None or t is None:
            continue
        t = ms_of(t)
        if a.get("status") == "firing" and emp not in open_at:
            open_at[emp] = t
        elif a.get("status") == "resolved" and emp in open_at:
            out.setdefault(emp, []).append((open_at.pop(emp), t))
    for emp, t in open_at.items():
        out.setdefault(emp, []).append((t, end + 1))
    return out


def overlaps(spans, lo, hi):
    return any(s < hi and e > lo for s, e in spans)


def alert_figures(spans, vol, w0, w1):
    """(alerted, precision, recall, exits counted) of alert spans per
    employee over window [w0, w1) (module docstring)."""
    alerted = [e for e, sp in spans.items() if overlaps(sp, w0, w1)]
    hits = 0
    for e in alerted:
        x = vol.get(e)
        if x is not None and overlaps(spans[e], max(w0, x - HORIZON_MS), min(w1, x)):
            hits += 1
    exits = [e for e, x in vol.items() if w0 + HORIZON_MS <= x <= w1]
    caught = sum(1 for e in exits
                 if overlaps(spans.get(e, ()), vol[e] - HORIZON_MS, vol[e]))
    prec = hits / len(alerted) if alerted else float("nan")
    rec = caught / len(exits) if exits else float("nan")
    return len(alerted), prec, rec, len(exits)


def oracle_spans(monthly, w0, w1, volume):
    """Alert spans of the oracle that alerts `volume` employees: month
    starts b in [w0, w1) where the true risk is at least tau."""
    months = sorted((t, rows) for t, rows in monthly.values() if w0 <= t < w1)
    best = {}
    for _, rows in months:
        for e, v in rows.items():
            best[e] = max(best.get(e, 0.0), v[1])
    if volume <= 0 or not best:
        return {}, float("nan")
    tau = sorted(best.values(), reverse=True)[min(volume, len(best)) - 1]
    spans = {}
    for k, (t, rows) in enumerate(months):
        stop = months[k + 1][0] if k + 1 < len(months) else w1
        for e, v in rows.items():
            if v[1] >= tau:
                spans.setdefault(e, []).append((t, stop))
    return spans, tau


def run_seed(binary, gencompany, tmp, seed, employees, months, landmarks, conf, paths):
    """One company: per landmark the AUCs and rows, and the alert figures."""
    ev = os.path.join(tmp, "truth-%d.jsonl" % seed)
    mpath = os.path.join(tmp, "truth-%d.csv" % seed)
    with open(ev, "wb") as f:
        p = subprocess.run([gencompany, "--seed", str(seed), "--employees", str(employees),
                            "--months", str(months), "--truth-monthly", mpath,
                            "--truth-paths", str(paths)],
                           stdout=f, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("gencompany --seed %d: exit %d" % (seed, p.returncode))
    company = Company(ev)
    monthly = load_monthly(mpath)
    out = {"seed": seed, "landmarks": {}, "runs": [], "missing": 0}
    for lm in landmarks:
        L, rows_at = monthly[lm]
        pre = os.path.join(tmp, "truth-%d-m%d.jsonl" % (seed, lm))
        company.prefix(pre, L)
        res = evallib.replay(binary, pre, score_at=datetime.datetime.fromtimestamp(
            L / 1000, datetime.timezone.utc), conf=conf)
        out["runs"].append(res)
        if res.rc != 0:
            raise RuntimeError("replay of seed %d to month %d: exit %d" % (seed, lm, res.rc))
        rows, missing = landmark_rows(company, rows_at, res.scores, L)
        out["missing"] += missing
        y = [r[3] for r in rows]
        out["landmarks"][lm] = {
            "rows": rows, "n": len(rows), "events": sum(y),
            "auc": evallib.roc_auc([r[0] for r in rows], y),
            "auc_truth": evallib.roc_auc([r[1] for r in rows], y),
            "auc_hazard": evallib.roc_auc([r[2] for r in rows], y),
            "auc_frozen": evallib.roc_auc([r[4] for r in rows], y)}
    if not conf:
        alert_conf = os.path.join(tmp, "truth-alerts.conf")
        with open(alert_conf, "w", encoding="utf-8") as f:
            f.write(ALERT_CONF)
    res = evallib.replay(binary, ev, conf=conf or alert_conf)
    out["runs"].append(res)
    if res.rc != 0:
        raise RuntimeError("replay of seed %d: exit %d" % (seed, res.rc))
    w0, w1 = monthly[landmarks[0]][0], company.end - HORIZON_MS
    spans = episodes(res.alerts, company.end)
    n, prec, rec, nexits = alert_figures(spans, company.vol, w0, w1)
    ospans, tau = oracle_spans(monthly, w0, w1, n)
    on, oprec, orec, _ = alert_figures(ospans, company.vol, w0, w1)
    out["alerts"] = {"alerted": n, "precision": prec, "recall": rec, "exits": nexits,
                     "oracle_alerted": on, "oracle_precision": oprec,
                     "oracle_recall": orec, "tau": tau,
                     "staff_in_window": len(set().union(*(set(r) for t, r in monthly.values()
                                                          if w0 <= t < w1)))}
    return out


def mean_sd(xs):
    xs = [x for x in xs if not math.isnan(x)]
    if not xs:
        return float("nan"), float("nan")
    m = sum(xs) / len(xs)
    sd = (sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5 if len(xs) > 1 else 0.0
    return m, sd


def ms_text(xs, fmt="%.3f"):
    m, sd = mean_sd(xs)
    return (fmt + " +- " + fmt) % (m, sd)


def goal(tab, gate, name, value, target, ok):
    """A goal row: PASS/FAIL when gated, else marked as not gated."""
    status = "PASS" if ok else "FAIL"
    tab.add(name, value, target, status if gate else status.lower() + " (not gated)")


def report(tab, seeds, landmarks, gate, out):
    """Rows of the table, and the reliability tables printed to out."""
    k = len(seeds)
    sane = True
    for lm in landmarks:
        per = [s["landmarks"][lm] for s in seeds]
        auc = [p["auc"] for p in per]
        tru = [p["auc_truth"] for p in per]
        ratio = [a / t for a, t in zip(auc, tru)]
        lift = [(a - 0.5) / (t - 0.5) for a, t in zip(auc, tru)]
        tab.add("truth m%d: retentiond AUC, %d seeds" % (lm, k), ms_text(auc),
                "n %.0f, %.0f exits a seed" % (mean_sd([p["n"] for p in per])[0],
                                              mean_sd([p["events"] for p in per])[0]), "info")
        tab.add("truth m%d: true-risk AUC (today's covariates; hazard)" % lm,
                "%s (%s; %s)" % (ms_text(tru), ms_text([p["auc_frozen"] for p in per]),
                                 ms_text([p["auc_hazard"] for p in per])), "", "info")
        tab.add("truth m%d: lift over chance, of the truth's" % lm, ms_text(lift), "", "info")
        goal(tab, gate, "truth m%d: AUC / truth's AUC (lowest seed)" % lm,
             "%s (%.3f)" % (ms_text(ratio), min(ratio)),
             ">= %.2f" % AUC_GOAL, mean_sd(ratio)[0] >= AUC_GOAL)
        ok = min(tru) >= TRUTH_AUC_SANE
        sane = sane and ok
        tab.add("truth m%d: sanity, truth AUC of every seed" % lm, "min %.3f" % min(tru),
                ">= %.2f" % TRUTH_AUC_SANE, "PASS" if ok else "FAIL")
    missing = sum(s["missing"] for s in seeds)
    tab.add("truth: staff at a landmark without a score", str(missing), "0",
            "PASS" if missing == 0 else "FAIL")

    al = [s["alerts"] for s in seeds]
    tab.add("truth alerts: alerted employees (of staff in window)",
            ms_text([a["alerted"] for a in al], "%.0f") + " (of %d)" % al[0]["staff_in_window"],
            "window: first landmark .. end - 180 d", "info")
    for what in ("precision", "recall"):
        r = [a[what] for a in al]
        o = [a["oracle_" + what] for a in al]
        tab.add("truth alerts: %s, retentiond / oracle" % what,
                "%s / %s" % (ms_text(r), ms_text(o)), "equal volume", "info")
        mr, mo = mean_sd(r)[0], mean_sd(o)[0]
        goal(tab, gate, "truth alerts: %s / oracle's" % what,
             "%.3f" % (mr / mo if mo > 0 else float("nan")), ">= %.2f" % ALERT_GOAL,
             mo > 0 and mr / mo >= ALERT_GOAL)
    ok = all(a["oracle_alerted"] > 0 and a["oracle_recall"] > 0 and
             not math.isnan(a["oracle_precision"]) for a in al)
    tab.add("truth alerts: sanity, oracle figures defined", "yes" if ok else "no", "yes",
            "PASS" if ok else "FAIL")

    for who, col in (("retentiond", 0), ("truth", 1)):
        per_seed = []
        for s in seeds:
            rows = [r for lm in landmarks for r in s["landmarks"][lm]["rows"]]
            per_seed.append(evallib.ece(evallib.reliability([r[col] for r in rows],
                                                            [r[3] for r in rows])))
        rows = [r for s in seeds for lm in landmarks for r in s["landmarks"][lm]["rows"]]
        table = evallib.reliability([r[col] for r in rows], [r[3] for r in rows])
        stat, df, p = evallib.hosmer_lemeshow(table)
        outside = sum(1 for b in table if not b["lo"] <= b["pred"] <= b["hi"])
        tab.add("truth calibration: %s ECE" % who, ms_text(per_seed, "%.4f"),
                "per seed, over landmarks", "info")
        tab.add("truth calibration: %s deciles outside 95%% CI" % who,
                "%d of %d" % (outside, len(table)), "pooled", "info")
        if who == "retentiond":
            goal(tab, gate, "truth calibration: retentiond Hosmer-Lemeshow p",
                 "%.3g (chi2 %.1f, df %d)" % (p, stat, df), ">= %.2f" % HL_P_GOAL,
                 p >= HL_P_GOAL)
        else:
            tab.add("truth calibration: truth Hosmer-Lemeshow p",
                    "%.3g (chi2 %.1f, df %d)" % (p, stat, df), "reference", "info")
        out.write("reliability, %s (pooled over %d seeds and months %s; n %d):\n"
                  % (who, k, ",".join(str(x) for x in landmarks), len(rows)))
        out.write("  decile      n  predicted  observed  95 % Wilson\n")
        for i, b in enumerate(table):
            out.write("  %6d  %5d  %9.4f  %8.4f  [%.4f, %.4f]%s\n"
                      % (i + 1, b["n"], b["pred"], b["obs"], b["lo"], b["hi"],
                         "" if b["lo"] <= b["pred"] <= b["hi"] else "  outside"))
    return sane


def run(tab, a, binary, gencompany, tmp, out):
    """The whole measurement; rows into tab, reliability tables into out."""
    seeds = [int(x) for x in a.truth_seeds.split(",") if x]
    landmarks = [int(x) for x in a.truth_landmarks.split(",") if x]
    if not landmarks or not seeds or max(landmarks) * 30.44 + HORIZON_DAYS > a.syn_months * 30.44:
        tab.add("truth: landmarks", a.truth_landmarks,
                "each + 180 d within --syn-months", "FAIL")
        return
    t0 = time.monotonic()
    results = []
    for s in seeds:
        r = run_seed(binary, gencompany, tmp, s, a.syn_employees, a.syn_months,
                     landmarks, a.conf, a.truth_paths)
        results.append(r)
        log("truth seed %d: AUC %s; alerts %d, precision %.3f recall %.3f "
                    "(oracle %.3f %.3f)" % (
                        s, " ".join("m%d %.3f/%.3f" % (lm, r["landmarks"][lm]["auc"],
                                                       r["landmarks"][lm]["auc_truth"])
                                    for lm in landmarks),
                        r["alerts"]["alerted"], r["alerts"]["precision"],
                        r["alerts"]["recall"], r["alerts"]["oracle_precision"],
                        r["alerts"]["oracle_recall"]))
    report(tab, results, landmarks, a.truth_goals == "gate", out)
    runs = [res for r in results for res in r["runs"]]
    dlq = sum(len(res.dlq) for res in runs)
    tab.add("truth: events in DLQ, all replays", str(dlq), "0", "PASS" if dlq == 0 else "FAIL")
    tab.add("truth: %d seeds, %d replays, %d events" % (
        len(seeds), len(runs), sum(res.events for res in runs)),
        "%.1f s" % (time.monotonic() - t0), "", "info")

