#!/usr/bin/python3
"""demo_watch: follows retentiond's outputs during `make demo`.

Consumes hr.attrition.alerts, hr.retention.suggestions, hr.model.estimates
and hr.events.dlq from the broker and prints alerts, suggestions and plans
as they arrive, one readable line each. Stops once the daemon's consumer
group has committed offsets at the end of the input topic (it commits only
after its outputs were delivered, so everything caused by the input is on
the output topics by then), reads the outputs to their ends, and prints a
summary: events, alerts, suggestions, plans, DLQ, and the last model
estimates next to the generator's truth file.

Exit status: 0 when the daemon caught up before the deadline, 1 otherwise.
"""
import argparse
import json
import os
import sys
import time
import urllib.request

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

OUT_TOPICS = ("alerts", "suggestions", "estimates", "dlq")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--group", default="retentiond-demo",
                    help="the daemon's consumer group (to read its commits)")
    ap.add_argument("--input", default="hr.events")
    ap.add_argument("--alerts", default="hr.attrition.alerts")
    ap.add_argument("--suggestions", default="hr.retention.suggestions")
    ap.add_argument("--estimates", default="hr.model.estimates")
    ap.add_argument("--dlq", default="hr.events.dlq")
    ap.add_argument("--events", type=int, default=0,
                    help="how many events were produced to the input topic")
    ap.add_argument("--truth", help="gencompany's truth file")
    ap.add_argument("--deadline", type=float, default=90, help="seconds")
    ap.add_argument("--max-lines", type=int, default=25,
                    help="alert and suggestion lines printed (a quarter of it for plans, DLQ)")
    ap.add_argument("--http", default="", help="the daemon's HTTP address, if any")
    ap.add_argument("--pid", type=int, default=0, help="stop early when this process ends")
    return ap.parse_args()


def drivers_text(drivers, n=3):
    return ", ".join("%s %+.2f" % (d.get("feature", "?"), d.get("contribution", 0))
                     for d in (drivers or [])[:n])


class Watch:
    def __init__(self, args):
        self.a = args
        self.counts = {"tombstone": 0, "firing": 0, "resolved": 0, "critical": 0, "suggestion": 0,
                       "plan": 0, "dlq": 0, "estimates": 0}
        self.printed = {"alert": 0, "suggestion": 0, "plan": 0, "dlq": 0}
        self.alerted = set()
        self.estimates = None
        self.estimates_at = 0.0
        self.dlq_reasons = {}
        common = {"bootstrap.servers": args.bootstrap,
                  "topic.metadata.refresh.interval.ms": 1000,
                  "allow.auto.create.topics": True,
                  # the broker goes away with the daemon: no reconnect chatter
                  "log_level": 2}
        self.out = Consumer(dict(common, **{
            "group.id": "retentiond-demo-watch-%d" % int(time.time() * 1000),
            "auto.offset.reset": "earliest", "enable.auto.commit": False}))
        self.out.subscribe([args.alerts, args.suggestions, args.estimates, args.dlq])
        # Same group as the daemon, never subscribed: only reads its commits.
        self.peek = Consumer(dict(common, **{"group.id": args.group,
                                             "enable.auto.commit": False}))

    def line(self, kind, text):
        self.printed[kind] += 1
        limit = self.a.max_lines if kind in ("alert", "suggestion") else max(3, self.a.max_lines // 4)
        if self.printed[kind] <= limit:
            print(text, flush=True)
        elif self.printed[kind] == limit + 1:
            print("  (further %ss counted, not printed)" % kind, flush=True)

    def handle(self, msg):
        topic = msg.topic()
        raw = msg.value() or b""
        if topic == self.a.dlq:
            self.counts["dlq"] += 1
            why = "?"
            for k, v in msg.headers() or []:
                if k == "error" and v is not None:
                    why = v.decode("utf-8", "replace")
            self.dlq_reasons[why] = self.dlq_reasons.get(why, 0) + 1
            self.line("dlq", "DLQ      %-40s (%d bytes)" % (why[:40], len(raw)))
            return
        if msg.value() is None:     # an erasure's tombstone (compacted topic)
            self.counts["tombstone"] += 1
            return
        try:
            v = json.loads(raw)
        except ValueError:
            print("unparsable output on %s" % topic)
            return
        if topic == self.a.alerts:
            status = v.get("status")
            self.counts[status] = self.counts.get(status, 0) + 1
            if status == "firing":
                self.alerted.add(v.get("employee_id"))
                if v.get("severity") == "critical":
                    self.counts["critical"] += 1
                self.line("alert", "ALERT    %-8s risk %.2f %-8s tenure %5.0f d  %s  [%s]" % (
                    v.get("employee_id"), v.get("risk", 0), v.get("severity"),
                    v.get("expected_tenure_days") or 0, drivers_text(v.get("drivers")),
                    (v.get("event_time") or "")[:10]))
            else:
                self.line("alert", "RESOLVED %-8s risk %.2f (%s)  [%s]" % (
                    v.get("employee_id"), v.get("risk", 0), v.get("reason"),
                    (v.get("event_time") or "")[:10]))
        elif topic == self.a.suggestions:
            if v.get("type") == "plan":
                self.counts["plan"] += 1
                self.line("plan", "PLAN     %-11s %s budget %.0f spend %.0f, %d allocations, "
                          "expected retained %.2f" % (
                              v.get("department"), v.get("month"), v.get("budget", 0),
                              v.get("spend", 0), len(v.get("allocations") or []),
                              v.get("expected_retained", 0)))
            else:
                self.counts["suggestion"] += 1
                acts = "; ".join("%s %g (cost %.0f) -> %.2f" % (
                    x.get("action"), x.get("amount", 0), x.get("cost", 0),
                    x.get("risk_after", 0)) for x in (v.get("actions") or []))
                self.line("suggestion", "SUGGEST  %-8s risk %.2f: %s" % (
                    v.get("employee_id"), v.get("risk_before", 0), acts))
        elif topic == self.a.estimates:
            self.counts["estimates"] += 1
            self.estimates = v
            self.estimates_at = time.monotonic()

    def poll(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            msg = self.out.poll(min(left, 0.2))
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() not in (KafkaError._PARTITION_EOF,
                                              KafkaError.UNKNOWN_TOPIC_OR_PART):
                    print("consumer: %s" % msg.error(), file=sys.stderr)
                continue
            self.handle(msg)

    def input_progress(self):
        """(committed, end) summed over the input topic's partitions."""
        md = self.peek.list_topics(self.a.input, timeout=5)
        t = md.topics.get(self.a.input)
        if t is None or t.error is not None or not t.partitions:
            return 0, 0
        tps = [TopicPartition(self.a.input, p) for p in sorted(t.partitions)]
        ends = [self.peek.get_watermark_offsets(tp, timeout=5)[1] for tp in tps]
        committed = self.peek.committed(tps, timeout=5)
        done = sum(max(c.offset, 0) for c in committed)
        return done, sum(ends)

    def outputs_drained(self):
        """True when our position is at the high watermark of every alert,
        suggestion and DLQ partition (estimates keep coming on a timer).
        The watermarks are the ones the last fetch responses carried."""
        assigned = [tp for tp in self.out.assignment() if tp.topic != self.a.estimates]
        if not assigned:
            return False
        for tp in self.out.position(assigned):
            hi = self.out.get_watermark_offsets(tp, cached=True)
            if hi is None or hi[1] < 0:
                return False
            if hi[1] > 0 and tp.offset < hi[1]:
                return False
        return True


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return r.read().decode()
    except Exception as e:  # the HTTP endpoint is optional in the demo
        return "unavailable (%s)" % e


def summary(w, truth, produced, committed, elapsed):
    c = w.counts
    print()
    print("== summary (%.1f s) ==" % elapsed)
    print("events produced %d, committed by the daemon %d" % (produced, committed))
    print("alerts: %d firing (%d critical, %d employees), %d resolved" % (
        c["firing"], c["critical"], len(w.alerted), c["resolved"]))
    print("suggestions %d, department plans %d, DLQ %d, erasure tombstones %d"
          % (c["suggestion"], c["plan"], c["dlq"], c["tombstone"]))
    for why, n in sorted(w.dlq_reasons.items(), key=lambda x: -x[1])[:5]:
        print("  DLQ %5d  %s" % (n, why))
    e = w.estimates
    if not e:
        print("no model estimates received")
        return
    print("model estimates (version %s, %s events, event time %s):" % (
        e.get("model_version"), e.get("events"), e.get("event_time")))
    rows = []
    sat, ab = e.get("satisfaction") or {}, e.get("ability") or {}
    t = truth or {}
    ts, ta = t.get("satisfaction", {}), t.get("ability", {})
    for name, est, se, tv in (
            ("s0", sat.get("s0"), (sat.get("se") or {}).get("s0"), ts.get("s0")),
            ("alpha", sat.get("alpha"), (sat.get("se") or {}).get("alpha"), ts.get("alpha")),
            ("care", sat.get("care"), (sat.get("se") or {}).get("care"), ts.get("care")),
            ("a0", ab.get("a0"), (ab.get("se") or {}).get("a0"), ta.get("a0")),
            ("gamma", ab.get("gamma"), (ab.get("se") or {}).get("gamma"), ta.get("gamma")),
            ("kappa", e.get("kappa"), e.get("kappa_se"), t.get("kappa"))):
        rows.append((name, est, se, tv))
    print("  %-6s %10s %10s %10s %8s" % ("", "estimate", "se", "truth", "|z|"))
    for name, est, se, tv in rows:
        if est is None:
            print("  %-6s %10s" % (name, "-"))
            continue
        z = abs(est - tv) / se if (tv is not None and se) else None
        print("  %-6s %10.4g %10s %10s %8s" % (
            name, est, "%.3g" % se if se is not None else "-",
            "%g" % tv if tv is not None else "-", "%.1f" % z if z is not None else "-"))
    hz = e.get("hazard") or {}
    if hz:
        coef = hz.get("coefficients") or {}
        top = sorted(coef.items(), key=lambda x: -abs(x[1]))[:5]
        print("  hazard: %s exits; strongest (per sd): %s" % (
            hz.get("exits"), ", ".join("%s %+.2f" % kv for kv in top)))
    q = e.get("quality") or {}
    if q:
        conc = q.get("concordance")
        print("  concordance %s, alert precision %s, recall %s" % tuple(
            ("%.2f" % x) if isinstance(x, (int, float)) else "-"
            for x in (conc, q.get("alert_precision"), q.get("alert_recall"))))
        ir = q.get("impact_ratios") or {}
        for attr, levels in ir.items():
            print("  impact ratios %s: %s" % (attr, ", ".join(
                "%s %.2f" % (k, v) for k, v in sorted(levels.items()))))
    if truth:
        tc = truth.get("counts", {})
        print("truth: %s employees, %s voluntary exits, %s involuntary, %s erasures" % (
            tc.get("employees"), tc.get("voluntary_exits"), tc.get("involuntary_exits"),
            tc.get("erasures")))


def main():
    a = parse_args()
    truth = None
    if a.truth:
        with open(a.truth) as f:
            truth = json.load(f)
    start = time.monotonic()
    deadline = start + a.deadline
    w = Watch(a)
    committed, produced, caught_up = 0, 0, False
    while time.monotonic() < deadline:
        if a.pid and not alive(a.pid):
            print("retentiond (pid %d) is gone" % a.pid, file=sys.stderr)
            break
        w.poll(0.5)
        try:
            committed, produced = w.input_progress()
        except KafkaException as e:
            print("broker: %s" % e, file=sys.stderr)
            continue
        if produced >= max(a.events, 1) and committed >= produced:
            caught_up = True
            break
    if caught_up:
        # Outputs were acknowledged before the commit: read them to the end,
        # with estimates that cover every event (or published after now).
        done_at = time.monotonic()
        while time.monotonic() < min(deadline, done_at + 10):
            w.poll(0.5)
            try:
                fresh = w.estimates_at > done_at or \
                    (w.estimates or {}).get("events", 0) >= produced
                if fresh and w.outputs_drained():
                    break
            except KafkaException as e:
                print("broker: %s" % e, file=sys.stderr)
                break
    else:
        print("deadline: the daemon committed %d of %d events in %.0f s" % (
            committed, max(produced, a.events), a.deadline), file=sys.stderr)
    if a.http:
        body = fetch("http://%s/metrics" % a.http)
        names = ("retentiond_consumed_total", "retentiond_produced_total",
                 "retentiond_alerts_total", "retentiond_alerts_open", "retentiond_employees",
                 "retentiond_erasures_total", "retentiond_consumer_lag", "retentiond_ready",
                 "retentiond_alerts_held_total")
        keep = [ln for ln in body.splitlines() if ln.startswith(names)][:20]
        print("\nGET /metrics (excerpt):")
        for ln in keep or [body[:200]]:
            print("  " + ln)
    summary(w, truth, produced, committed, time.monotonic() - start)
    w.out.close()
    w.peek.close()
    return 0 if caught_up else 1


if __name__ == "__main__":
    sys.exit(main())
