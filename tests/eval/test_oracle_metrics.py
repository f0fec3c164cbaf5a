#!/usr/bin/python3
"""test_oracle_metrics: the metrics of the truth measurement, on cases
whose answers are known (tools/eval/evallib.py, tools/eval/oracle.py).

- Wilson interval and the chi-square tail against published values;
- reliability table, ECE and Hosmer-Lemeshow: outcomes drawn from the
  predictions themselves (random.Random(7)) look calibrated, the same
  outcomes against predictions halved do not;
- alert episodes, precision and recall, and the oracle at equal volume on
  a hand-made company whose figures are worked out in the comments.

Standard library only. Exit 0 pass, 1 fail.
"""
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools", "eval"))
import evallib  # noqa: E402
import oracle  # noqa: E402

failures = []
DAY = 86400000


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def near(x, y, tol):
    return abs(x - y) <= tol


def statistics():
    lo, hi = evallib.wilson(5, 50)
    check(near(lo, 0.0435, 5e-4) and near(hi, 0.2136, 5e-4), "Wilson 5/50 = [0.0435, 0.2136]")
    lo, hi = evallib.wilson(0, 20)
    check(lo == 0.0 and near(hi, 0.1611, 5e-4), "Wilson 0/20 = [0, 0.1611]")
    check(all(math.isnan(x) for x in evallib.wilson(0, 0)), "Wilson of nothing is nan")
    check(near(evallib.chi2_sf(18.307, 10), 0.05, 1e-5), "chi2(10) 95 % point 18.307")
    check(near(evallib.chi2_sf(5.991, 2), 0.05, 1e-4), "chi2(2) 95 % point 5.991")

    rng = random.Random(7)
    pred = [rng.uniform(0.01, 0.4) for _ in range(20000)]
    y = [1 if rng.random() < p else 0 for p in pred]
    table = evallib.reliability(pred, y)
    check(len(table) == 10 and sum(r["n"] for r in table) == 20000 and
          max(r["n"] for r in table) - min(r["n"] for r in table) <= 1,
          "reliability: 10 bins of equal count")
    check(all(table[i]["pred"] < table[i + 1]["pred"] for i in range(9)),
          "reliability: bins in order of prediction")
    e = evallib.ece(table)
    _, df, p = evallib.hosmer_lemeshow(table)
    check(e < 0.01 and df == 10 and p > 0.01,
          "calibrated draws: ECE %.4f < 0.01, Hosmer-Lemeshow p %.3g > 0.01" % (e, p))
    half = [x / 2 for x in pred]
    t2 = evallib.reliability(half, y)
    _, _, p2 = evallib.hosmer_lemeshow(t2)
    check(evallib.ece(t2) > 0.08 and p2 < 1e-6,
          "halved predictions: ECE %.3f > 0.08, p %.3g < 1e-6" % (evallib.ece(t2), p2))


def alerts():
    # Window [100, 400) days; horizon 180 days; end 580.
    w0, w1, end = 100 * DAY, 400 * DAY, 580 * DAY
    d = lambda x: x * DAY  # noqa: E731
    msgs = [
        # A: alert 150..200, leaves at 300: under alert within [120, 300): hit.
        {"employee_id": "A", "status": "firing", "event_time": oracle.text_of(d(150))},
        {"employee_id": "A", "status": "resolved", "event_time": oracle.text_of(d(200))},
        # B: alert from 50, still open; leaves at 450 (alert in force in [270, 400)): hit.
        {"employee_id": "B", "status": "firing", "event_time": oracle.text_of(d(50))},
        # C: alert 120..130, leaves at 390: look-back [210, 390) misses it: no hit.
        {"employee_id": "C", "status": "firing", "event_time": oracle.text_of(d(120))},
        {"employee_id": "C", "status": "resolved", "event_time": oracle.text_of(d(130))},
        # D: alert 10..20, before the window: not alerted.
        {"employee_id": "D", "status": "firing", "event_time": oracle.text_of(d(10))},
        {"employee_id": "D", "status": "resolved", "event_time": oracle.text_of(d(20))},
    ]
    spans = oracle.episodes(msgs, end)
    check(spans["B"] == [(d(50), end + 1)], "an open episode lasts to the end")
    vol = {"A": d(300), "B": d(450), "C": d(390), "E": d(350), "F": d(90)}
    n, prec, rec, nexits = oracle.alert_figures(spans, vol, w0, w1)
    # Alerted A, B, C; hits A, B: precision 2/3. Exits counted: x in
    # [280, 400]: A (300), C (390), E (350); caught: A only: recall 1/3.
    check(n == 3, "alerted: A, B, C (got %d)" % n)
    check(near(prec, 2 / 3, 1e-12), "precision 2/3 (got %.3f)" % prec)
    check(nexits == 3 and near(rec, 1 / 3, 1e-12),
          "recall 1/3 over 3 exits (got %.3f over %d)" % (rec, nexits))

    # The oracle over month starts 100, 130, ..., 370 (in the window) and
    # 400 (outside): C is riskiest at 340 and 370, A at 100..190, E never
    # above 0.2; volume 2 alerts A and C.
    monthly = {}
    for k, t in enumerate(range(100, 401, 30)):
        rows = {"A": (0, 0.5 if t < 200 else 0.1), "E": (0, 0.2),
                "C": (0, 0.6 if t >= 340 else 0.05)}
        monthly[k] = (d(t), rows)
    ospans, tau = oracle.oracle_spans(monthly, w0, w1, 2)
    check(tau == 0.5 and sorted(ospans) == ["A", "C"], "oracle: tau 0.5 alerts A and C")
    check(ospans["C"] == [(d(340), d(370)), (d(370), d(400))],
          "oracle: C under alert from its month start to the next, the last to the window end")
    n, prec, rec, _ = oracle.alert_figures(ospans, vol, w0, w1)
    # A (alert to 220, leaves 300): hit; C (alert 340.., leaves 390): hit.
    # Exits A, C, E: A and C caught.
    check(n == 2 and prec == 1.0 and near(rec, 2 / 3, 1e-12),
          "oracle: precision 1, recall 2/3 (got %d, %.3f, %.3f)" % (n, prec, rec))


def main():
    statistics()
    alerts()
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
