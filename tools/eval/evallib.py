"""Shared helpers for the model evaluation (tools/eval/eval.py, tools/eval/*2events.py).

Standard library only, except the batch anchors (logistic regression, Cox),
which use numpy when it is installed and report "n/a" otherwise.

Contents:
  - time helpers: RFC 3339 formatting of event times, offsets in days/years;
  - CloudEvents 1.0 structured-mode builder for the HR event types of
    CONTRACT.md;
  - a stratified k-fold split driven by random.Random(seed);
  - metrics written out here so that nothing hides behind a library:
    ROC AUC as the Mann-Whitney statistic (ties count one half),
    Harrell's concordance for right-censored times, and calibration: a
    reliability table over equal-count bins with Wilson intervals, the
    expected calibration error and the Hosmer-Lemeshow test;
  - the replay runner: feeds a JSONL file through `retentiond --replay` and
    collects scores, estimates and DLQ records;
  - batch anchors: ridge logistic regression by IRLS and a Cox model
    (Breslow ties) by Newton's method.
"""

import datetime
import json
import math
import os
import random
import subprocess
import time

DAY = 86400.0
YEAR_DAYS = 365.25
MONTH_DAYS = YEAR_DAYS / 12.0

# The snapshot time T of the single-snapshot data sets.
SNAPSHOT = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def rfc3339(t):
    """RFC 3339 UTC text of a datetime, to the second."""
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def before(t, days):
    """t minus a (fractional) number of days, rounded to the second."""
    return t - datetime.timedelta(seconds=round(days * DAY))


class EventWriter:
    """Builds CloudEvents 1.0 structured-mode records with unique ids.

    Events are collected as (time, seq, json-text) and written sorted by
    event time (ties keep the order they were added in), so that a file
    looks like a stream an HRIS would produce."""

    def __init__(self, source):
        self.source = source
        self.seq = 0
        self.events = []

    def add(self, etype, subject, t, data):
        self.seq += 1
        ev = {
            "specversion": "1.0",
            "id": "%s-%d" % (etype.split(".", 1)[1], self.seq),
            "source": self.source,
            "type": etype,
            "subject": subject,
            "time": rfc3339(t),
            "datacontenttype": "application/json",
            "data": data,
        }
        self.events.append((t, self.seq, json.dumps(ev, separators=(",", ":"))))

    def lines(self):
        return [e[2] for e in sorted(self.events, key=lambda e: (e[0], e[1]))]


def write_lines(path, blocks):
    """Writes the given lists of lines, one block after the other."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for block in blocks:
            for line in block:
                f.write(line)
                f.write("\n")
                n += 1
    return n


def stratified_folds(labels, k, seed):
    """Fold number (0..k-1) per item: items of each label, shuffled with
    random.Random(seed), are dealt round-robin into the k folds; the deal
    continues across labels so that fold sizes differ by at most one."""
    rng = random.Random(seed)
    fold = [0] * len(labels)
    deal = 0
    for label in sorted(set(labels)):
        idx = [i for i, y in enumerate(labels) if y == label]
        rng.shuffle(idx)
        for i in idx:
            fold[i] = deal % k
            deal += 1
    return fold


def roc_auc(scores, labels):
    """ROC AUC = P(score of a positive > score of a negative), ties 1/2
    (the Mann-Whitney U statistic over n_pos * n_neg). NaN if a class is
    empty."""
    pairs = sorted(zip(scores, labels))
    n_pos = sum(1 for _, y in pairs if y)
    n_neg = len(pairs) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    # Average ranks (1-based) over groups of tied scores.
    rank_sum_pos = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        avg_rank = (i + j) / 2.0 + 1.0
        rank_sum_pos += avg_rank * sum(1 for m in range(i, j + 1) if pairs[m][1])
        i = j + 1
    u = rank_sum_pos - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def concordance(risk, times, events):
    """Harrell's C: over pairs (i, j) with events[i] and times[i] < times[j],
    the share where risk[i] > risk[j] (risk ties count 1/2). Pairs with
    equal times are not comparable. NaN when no pair is."""
    n = len(risk)
    conc = 0.0
    comparable = 0
    order = sorted(range(n), key=lambda i: times[i])
    for a in range(n):
        i = order[a]
        if not events[i]:
            continue
        for b in range(a + 1, n):
            j = order[b]
            if times[j] <= times[i]:
                continue
            comparable += 1
            if risk[i] > risk[j]:
                conc += 1.0
            elif risk[i] == risk[j]:
                conc += 0.5
    return conc / comparable if comparable else float("nan")


def wilson(k, n, z=1.96):
    """Wilson score interval (default 95 %) of a proportion k / n:
    (low, high); (nan, nan) when n is 0."""
    if n <= 0:
        return float("nan"), float("nan")
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def reliability(pred, outcome, bins=10):
    """Reliability table: items sorted by prediction and cut into `bins`
    groups of equal count (sizes differ by at most one). Per bin a dict
    with n, events, mean predicted p, observed rate and its Wilson 95 %
    interval (lo, hi)."""
    order = sorted(range(len(pred)), key=lambda i: pred[i])
    n = len(order)
    rows = []
    for b in range(bins):
        idx = order[b * n // bins:(b + 1) * n // bins]
        if not idx:
            continue
        k = sum(1 for i in idx if outcome[i])
        lo, hi = wilson(k, len(idx))
        rows.append({"n": len(idx), "events": k,
                     "pred": sum(pred[i] for i in idx) / len(idx),
                     "obs": k / len(idx), "lo": lo, "hi": hi})
    return rows


def ece(table):
    """Expected calibration error of a reliability table: the mean over
    items of |mean predicted - observed| of their bin."""
    n = sum(r["n"] for r in table)
    return sum(r["n"] * abs(r["pred"] - r["obs"]) for r in table) / n if n else float("nan")


def chi2_sf(x, df):
    """P(chi-square with df degrees of freedom > x), df even (the series
    exp(-x/2) * sum_{j < df/2} (x/2)^j / j! is then exact)."""
    if df <= 0 or df % 2:
        raise ValueError("chi2_sf: df must be even and positive")
    h = x / 2.0
    term, tot = 1.0, 1.0
    for j in range(1, df // 2):
        term *= h / j
        tot += term
    return math.exp(-h) * tot


def hosmer_lemeshow(table):
    """Hosmer-Lemeshow statistic of a reliability table, sum over bins of
    (O - E)^2 / (E (1 - E / n)), with as many degrees of freedom as bins
    (the predictions were not fitted to these outcomes). Returns
    (statistic, df, p); p is nan for an odd number of bins."""
    stat = 0.0
    for r in table:
        e = r["pred"] * r["n"]
        v = e * (1 - r["pred"])
        if v > 0:
            stat += (r["events"] - e) ** 2 / v
    df = len(table)
    p = chi2_sf(stat, df) if df > 0 and df % 2 == 0 else float("nan")
    return stat, df, p


ALERTS_TOPIC = "hr.attrition.alerts"      # the default [kafka] topic of alerts


class ReplayResult:
    def __init__(self):
        self.scores = {}        # employee id -> value dict of the "scores" topic
        self.alerts = []        # values of the alerts topic, in order
        self.estimates = []     # values of hr.model.estimates, in order
        self.dlq = []           # (key, error)
        self.counts = {}        # topic -> records
        self.wall_s = 0.0
        self.events = 0
        self.rc = 0
        self.stderr = ""


def replay(binary, path, score_at=None, conf=None, timeout=600):
    """Runs `binary --replay path --dump-scores [--score-at T] [-c conf]`
    and parses its JSONL output. Returns a ReplayResult; rc is the exit
    status (non-zero means the run failed)."""
    argv = [binary, "--replay", path, "--dump-scores"]
    if score_at is not None:
        argv += ["--score-at", rfc3339(score_at)]
    if conf:
        argv += ["-c", conf]
    res = ReplayResult()
    with open(path, "rb") as f:
        res.events = sum(1 for _ in f)
    t0 = time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    res.wall_s = time.monotonic() - t0
    res.rc = p.returncode
    res.stderr = p.stderr.decode("utf-8", "replace")
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            res.counts["<unparsable>"] = res.counts.get("<unparsable>", 0) + 1
            continue
        topic = rec.get("topic", "")
        res.counts[topic] = res.counts.get(topic, 0) + 1
        if topic == "scores":
            res.scores[rec.get("key")] = rec.get("value") or {}
        elif topic == ALERTS_TOPIC:
            res.alerts.append(rec.get("value") or {})
        elif topic == "hr.model.estimates":
            res.estimates.append(rec.get("value") or {})
        elif topic == "hr.events.dlq":
            res.dlq.append((rec.get("key"), rec.get("error")))
    return res


# ---------------------------------------------------------------- anchors

def have_numpy():
    try:
        import numpy  # noqa: F401
        return True
    except ImportError:
        return False


def design(rows, numeric, categorical, train_idx):
    """Design matrix: numerics standardised with the training rows' mean and
    sd, categoricals one-hot over the levels seen in training (all levels,
    the ridge makes the intercept identifiable). Returns a function that
    maps a row index to a list of floats, and the column names."""
    cols = []
    stats = []
    for c in numeric:
        v = [float(rows[i][c]) for i in train_idx]
        m = sum(v) / len(v)
        sd = (sum((x - m) ** 2 for x in v) / len(v)) ** 0.5 or 1.0
        stats.append((c, m, sd))
        cols.append(c)
    levels = []
    for c in categorical:
        lv = sorted(set(rows[i][c] for i in train_idx))
        levels.append((c, lv))
        cols += ["%s=%s" % (c, x) for x in lv]

    def row(i):
        r = rows[i]
        out = [(float(r[c]) - m) / sd for c, m, sd in stats]
        for c, lv in levels:
            out += [1.0 if r[c] == x else 0.0 for x in lv]
        return out
    return row, cols


def logistic_fit(X, y, ridge):
    """Ridge logistic regression by IRLS (Newton). X: n x p numpy array
    without intercept; the intercept is added and not penalised. Returns
    the coefficient vector (intercept first)."""
    import numpy as np
    n, p = X.shape
    Xa = np.hstack([np.ones((n, 1)), X])
    beta = np.zeros(p + 1)
    pen = np.full(p + 1, ridge)
    pen[0] = 0.0
    for _ in range(100):
        eta = Xa @ beta
        mu = 1.0 / (1.0 + np.exp(-eta))
        w = mu * (1.0 - mu)
        grad = Xa.T @ (y - mu) - pen * beta
        hess = (Xa * w[:, None]).T @ Xa + np.diag(pen)
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-9:
            break
    return beta


def logistic_predict(beta, X):
    import numpy as np
    return (np.hstack([np.ones((X.shape[0], 1)), X]) @ beta).tolist()


def cox_fit(X, times, events, ridge):
    """Cox proportional hazards, Breslow ties, ridge penalty, by Newton's
    method on the partial likelihood. Returns the coefficient vector."""
    import numpy as np
    t = np.asarray(times, dtype=float)
    d = np.asarray(events, dtype=float)
    order = np.argsort(-t, kind="stable")     # descending: risk sets grow
    X = X[order]
    t = t[order]
    d = d[order]
    n, p = X.shape
    beta = np.zeros(p)
    # Group boundaries of tied times (in descending order).
    ends = []
    for i in range(n):
        if i + 1 == n or t[i + 1] != t[i]:
            ends.append(i)
    for _ in range(50):
        eta = X @ beta
        eta -= eta.max()
        r = np.exp(eta)
        s0 = np.cumsum(r)
        s1 = np.cumsum(X * r[:, None], axis=0)
        s2 = np.cumsum(X[:, :, None] * X[:, None, :] * r[:, None, None], axis=0)
        grad = -ridge * beta
        hess = -ridge * np.eye(p)
        start = 0
        for e in ends:
            de = d[start:e + 1].sum()
            if de > 0:
                xbar = s1[e] / s0[e]
                grad += X[start:e + 1][d[start:e + 1] > 0].sum(axis=0) - de * xbar
                hess -= de * (s2[e] / s0[e] - np.outer(xbar, xbar))
            start = e + 1
        step = np.linalg.solve(-hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-9:
            break
    return beta


def find_data_dir(repo):
    """The shared data folder: $RETENTIOND_DATA, else ../shared/data beside
    the checkout. None when absent."""
    cands = []
    if os.environ.get("RETENTIOND_DATA"):
        cands.append(os.environ["RETENTIOND_DATA"])
    cands.append(os.path.join(os.path.dirname(os.path.abspath(repo)), "shared", "data"))
    for c in cands:
        if os.path.isdir(c):
            return c
    return None
