#!/usr/bin/python3
"""retentiond through broker faults injected with the mock cluster's own
controls (tests/infra/mockbroker.c's commands on its standard input).

Two brokers: hr.events (one partition, so that the processing order and
with it every output is fixed by the input) and the consumer groups on
broker 1, the output topics on broker 2. A workload of hires, surveys and
exits goes in four batches, each produced once the previous one is
committed; the first three meet a fault each:

  1. request errors a real cluster returns and a client retries:
     Produce on broker 2 answered NOT_LEADER_FOR_PARTITION,
     LEADER_NOT_AVAILABLE, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT (after
     1.5 s, as a broker answers when replicas do not acknowledge in time)
     and a dropped connection; Fetch on broker 1 answered
     NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT and a dropped connection.
     The test waits until the brokers have served every injected error.
  2. 800 ms of round-trip time on every broker.
  3. every broker down (after the batch was produced), then up again once
     the daemon reports retentiond_kafka_up 0 and its group session has
     expired (librdkafka declares the assignment lost after
     session.timeout.ms without the coordinator): the partition comes back
     to the same instance, which takes its state back as it was when lost
     (nothing applied twice, no output sent twice). Run twice: with the
     state on disk only, and with [topics] checkpoints, where the state is
     taken back only because nobody published a newer image of it.

The daemon's producer sends one request per connection at a time here
(max.in.flight.requests.per.connection 1; its default with idempotence is
5, in both runs alike). The mock cluster checks an idempotent producer's
sequence numbers only for transactional producers, and with several
requests in flight that makes it write what a real broker would not:
  - a dropped connection: a batch it had appended loses its
    acknowledgement, the producer sends it again and the mock appends it a
    second time (a real broker acknowledges the retry as a duplicate). That
    was the "24 extra firing alerts" this test found: every alert of one
    output partition twice, with one delivery report each;
  - a delayed REQUEST_TIMED_OUT: a later batch of the same partition is
    appended before the refused one, which a real broker would refuse as
    out of sequence. Seen once: 170 delivery reports in both runs, all
    successful, and one alert missing from the topic; most likely the
    producer, seeing the later batch acknowledged, took the earlier one
    ("possibly persisted" after a timeout) as written, since a broker keeps
    an idempotent producer's batches in order.
With one request in flight nothing can overtake or be written twice, so
the mock answers as a cluster would; the daemon's handling of the errors
(retries by librdkafka, logs, metrics, offsets) is the same either way.

For each the daemon must keep running (/healthz 200), say so in its log
(warnings that name no employee) and its metrics (retentiond_kafka_errors_total,
retentiond_deliveries_slow_total, retentiond_kafka_rtt_seconds,
retentiond_kafka_up; /readyz 503 while the brokers are down and 200 once
caught up), and catch up (committed offsets at the end). At the
end every input event is applied exactly once (retentiond_events_total
sums to the input; what an outage makes the daemon read again counts as a
duplicate; nothing in the DLQ) and the alerts,
suggestions and plans published are the same, id for id and each once, as
those of an undisturbed run on the same input.

Part 2, a permanent produce error that is not the record's own (the
estimates topic moved to broker 1, so that the refused record is an
alert):
TOPIC_AUTHORIZATION_FAILED (what a cluster answers when an ACL forbids the
write), which librdkafka does not retry. (A record the broker refuses for
itself, MSG_SIZE_TOO_LARGE or INVALID_RECORD, goes to the DLQ instead:
test_poison.py.) Writing around it would drop or reorder outputs, so the
daemon must exit 1 with no
offset committed past a hire whose alert was not delivered; a restarted
daemon (the cluster fixed) reads those hires again and every hire has its
alert. test_outage.py part 2 does the same for a delivery timeout.
"""
import collections
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN, ALERTS, SUGG, DLQ = ("hr.events", "hr.attrition.alerts", "hr.retention.suggestions",
                         "hr.events.dlq")
ALERT_CFG = {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0}
NEMP = 48
RETRIABLE_PRODUCE = ("NOT_LEADER_FOR_PARTITION,LEADER_NOT_AVAILABLE,NOT_ENOUGH_REPLICAS,"
                     "REQUEST_TIMED_OUT@1500,_TRANSPORT")
RETRIABLE_FETCH = "NOT_LEADER_FOR_PARTITION,REQUEST_TIMED_OUT,_TRANSPORT"
RTT_MS = 800


def batches():
    """The workload in four batches: hires, first surveys, later surveys,
    exits (kafkatest.workforce's events, in its order)."""
    ids = ["F%03d" % i for i in range(NEMP)]
    evs = kt.workforce(ids, "flt", exits=False)
    hires = [e for e in evs if e["type"] == "hr.employee.hired"]
    surveys = [e for e in evs if e not in hires]
    return [hires, surveys[:NEMP], surveys[NEMP:], kt.exits_of(ids, "flt")]


def family_sum(sample, name):
    return sum(v for k, v in sample.items() if k == name or k.startswith(name + "{"))


def warnings(d):
    """The daemon's warning lines (<4>) so far."""
    return [line for line in d.output().splitlines() if line.startswith("<4>")]


def healthy(d, port, when):
    kt.check(d.alive(), "daemon died %s:\n%s" % (when, d.output()[-3000:]))
    st, _ = kt.http_get(port, "/healthz")
    kt.check(st == 200, "/healthz %s %s" % (st, when))


def fault_errors(broker, d, port, produce, upto):
    """Retriable request errors on Produce (broker 2) and Fetch (broker 1)."""
    m0, w0 = kt.metrics(port), len(warnings(d))
    broker.command("errors 2 produce " + RETRIABLE_PRODUCE)
    broker.command("errors 1 fetch " + RETRIABLE_FETCH)
    produce()
    kt.wait_for(lambda: broker.command("count 2 produce") == "0" and
                broker.command("count 1 fetch") == "0", 60,
                "the brokers to serve every injected error")
    healthy(d, port, "after the request errors")
    return lambda: check_reported(d, port, m0, w0, "request errors",
                                  ["retentiond_kafka_errors_total",
                                   "retentiond_deliveries_slow_total"],
                                  r"consume: Fetch|_TRANSPORT|deliveries slow")


def fault_rtt(broker, d, port, produce, upto):
    """RTT_MS of added round-trip time on every broker until the daemon has
    consumed the batch (the test's own metadata requests would time out
    under it)."""
    m0, w0 = kt.metrics(port), len(warnings(d))
    broker.command("rtt -1 %d" % RTT_MS)
    produce()
    kt.wait_for(lambda: kt.metrics(port).get("retentiond_kafka_rtt_seconds", 0) >= RTT_MS / 2000.0,
                30, "retentiond_kafka_rtt_seconds >= %.1f" % (RTT_MS / 2000.0), interval=0.3)
    healthy(d, port, "with added round-trip time")

    def after():
        kt.wait_for(lambda: kt.metrics(port).get("retentiond_consumed_total", 0) >= upto, 60,
                    "the daemon to consume %d events" % upto, interval=0.3)
        check_reported(d, port, m0, w0, "added round-trip time",
                       ["retentiond_deliveries_slow_total"], r"deliveries slow")
        broker.command("rtt -1 0")
    return after


def fault_down(broker, d, port, produce, upto):
    """Every broker down once the batch is in, up again once reported."""
    m0, w0 = kt.metrics(port), len(warnings(d))
    produce()
    t0 = time.monotonic()
    broker.command("down -1")

    def down_seen():
        healthy(d, port, "with the brokers down")
        m = kt.metrics(port)
        return (m.get("retentiond_kafka_up") == 0 and
                kt.http_get(port, "/readyz")[0] == 503)
    # Down until the daemon says so (metrics and /readyz), and until the
    # session has expired: the assignment is lost, not just unreachable.
    kt.wait_for(down_seen, 30, "retentiond_kafka_up 0 and /readyz 503", interval=0.3)
    check_reported(d, port, m0, w0, "brokers down", ["retentiond_kafka_errors_total"],
                   r"_ALL_BROKERS_DOWN")
    kt.log("kafka_up 0 after %.1f s of outage" % (time.monotonic() - t0))
    lost = len([a for a in d.assignments() if a[0] == "lost"])
    kt.wait_for(lambda: len([a for a in d.assignments() if a[0] == "lost"]) > lost, 60,
                "the assignment to be lost (the session expired)", interval=0.3)
    kt.log("assignment lost after %.1f s of outage" % (time.monotonic() - t0))
    broker.command("up -1")
    def after():
        kt.wait_for(lambda: kt.metrics(port).get("retentiond_kafka_up") == 1 and
                    kt.http_get(port, "/readyz")[0] == 200, 30,
                    "retentiond_kafka_up 1 and /readyz 200", interval=0.3)
        kt.check("partition 0 taken back as it was" in d.output() or
                 "partition 0 restored from its state when lost" in d.output(),
                 "the lost partition not taken back as it was:\n%s" % d.output()[-3000:])
    return after


def check_reported(d, port, m0, w0, what, counters, pattern):
    """The fault moved the given counters and left a warning matching
    pattern in the log, with no employee id in any new warning."""
    # A delayed error answer reaches the daemon after the broker popped it:
    # wait for the counters rather than expect them now.
    m1 = {}

    def moved():
        m1.update(kt.metrics(port))
        return all(m1.get(c, 0) > m0.get(c, 0) for c in counters)
    try:
        kt.wait_for(moved, 20, "the counters", interval=0.3)
    except kt.Timeout:
        kt.fail("%s: counters did not move: %s" % (what, ", ".join(
            "%s %s -> %s" % (c, m0.get(c), m1.get(c)) for c in counters)))
    # The daemon sums some trouble up on its 5 s status timer, and repeated
    # warnings are rate-limited: wait for the line rather than expect it now.
    try:
        new = kt.wait_for(lambda: [w for w in warnings(d)[w0:] if re.search(pattern, w)]
                          and warnings(d)[w0:], 20, "a warning in the log")
    except kt.Timeout:
        kt.fail("%s: no warning matching %r in the log:\n%s" % (what, pattern, d.output()[-3000:]))
    kt.log("%s: %d warning(s), e.g. %s" % (what, len(new),
                                           next(w for w in new if re.search(pattern, w))))
    leaked = [line for line in new if re.search(r"\bF\d{3}\b", line)]
    kt.check(not leaked, "%s: an employee id in the log: %s" % (what, leaked[:3]))


def output_key(o):
    """What identifies one published output: an alert's episode id with its
    status (firing and resolved share the id), a suggestion's or a plan's
    id."""
    if "alert_id" in o:
        return "%s/%s" % (o["alert_id"], o["status"])
    return o.get("suggestion_id") or "plan/" + str(o.get("plan_id"))


def run(faults, topics=None):
    """One daemon through the four batches, faults[i] around batch i (none:
    undisturbed): the fault is set up, the batch produced, then the fault's
    own checks run (and it is lifted) before the commits must reach the
    end. topics: the daemon's [topics] section, if any. Returns {output
    id: count} over alerts, suggestions and plans."""
    port = kt.free_port()
    group = "retentiond-faults-%d-%d" % (os.getpid(), len(faults))
    groups = {group: 1, "kafkatest-meta": 1, "kafkatest-reader": 1}
    # The surveys cross epoch boundaries, whose estimates keep the producer
    # busy through every batch; estimates are left out of the comparison
    # (alerts, suggestions and plans are what a consumer acts on).
    # One produce request in flight: see the top of the file.
    cfg = {"alerts": ALERT_CFG, "http": {"listen": "127.0.0.1:%d" % port},
           "kafka": {"group.id": group, "statistics.interval.ms": 1000,
                     "max.in.flight.requests.per.connection": 1}}
    if topics:
        cfg["topics"] = topics
    with kt.MockBroker(topics=kt.split_topics(1), nbrokers=2, groups=groups) as broker, \
            kt.Daemon(broker.bootstrap, cfg) as d:
        bs = broker.bootstrap
        d.wait_log("assigned")
        n = 0
        for i, batch in enumerate(batches()):
            t = time.monotonic()

            def produce(b=batch):
                kt.produce(bs, IN, [kt.structured(e) for e in b])
            fault = faults[i] if i < len(faults) else None
            n += len(batch)
            after = fault(broker, d, port, produce, n) if fault else produce()
            if fault:
                after()
            kt.wait_committed(bs, group, IN, timeout=90)
            kt.log("batch %d (%s): %d events, %.1f s" % (
                i, fault.__name__ if fault else "undisturbed", len(batch), time.monotonic() - t))
        healthy(d, port, "at the end")
        m = kt.metrics(port)
        kt.check(family_sum(m, "retentiond_events_total") == n,
                 "events applied: %s, %d produced" % (family_sum(m, "retentiond_events_total"), n))
        # Re-reads are allowed (an outage past the session timeout loses the
        # group membership and a commit); state must count them as
        # duplicates, not apply them again (the sum above).
        kt.log("re-read and recognised as duplicates: %s"
               % m.get("retentiond_events_duplicate_total"))
        kt.check(m.get("retentiond_delivery_failed_total") == 0, "failed deliveries")
        kt.check(all(v == 0 for v in kt.end_offsets(bs, DLQ).values()), "events in the DLQ")
        outputs = collections.Counter()
        for topic in (ALERTS, SUGG):
            for r in kt.consume(bs, topic):
                o = r.json()
                outputs[output_key(o)] += 1
        # What the daemon itself handed over, one delivery report each
        # (with the producer's queue empty): if a topic holds more, the
        # broker wrote a record twice (see part 1 above).
        m = kt.wait_for(lambda: (lambda x: x if x.get("retentiond_producer_queue") == 0
                                 else None)(kt.metrics(port)), 30,
                        "the producer's queue to empty")
        kt.log("delivery reports: %d, alerts and suggestions in the topics: %d"
               % (m["retentiond_produced_total"], sum(outputs.values())))
        rc = d.stop()
        kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
        return outputs


def permanent():
    group = "retentiond-faults-perm-%d" % os.getpid()
    groups = {group: 1, "kafkatest-meta": 1, "kafkatest-reader": 1}
    cfg = {"alerts": ALERT_CFG, "kafka": {"group.id": group}}
    hires = batches()[0]
    # The estimates on broker 1, with the input: each hire after the first
    # crosses a daily boundary, and the boundary's estimates would often
    # be the record refused, leaving no alert undelivered to look for.
    topics = kt.split_topics(1)
    topics["hr.model.estimates"] = (topics["hr.model.estimates"][0], 1)
    with kt.MockBroker(topics=topics, nbrokers=2, groups=groups) as broker:
        bs = broker.bootstrap
        with kt.Daemon(bs, cfg) as d:
            d.wait_log("assigned")
            broker.command("errors 2 produce TOPIC_AUTHORIZATION_FAILED")
            offsets = [off for _, off in kt.produce(bs, IN, [kt.structured(e) for e in hires])]
            kt.wait_for(lambda: not d.alive(), 30, "the daemon to exit on the refused delivery")
            rc = d.proc.returncode
            kt.check(rc == 1, "exit %s after a permanent delivery error:\n%s"
                     % (rc, d.output()[-3000:]))
            kt.check("Topic authorization failed" in d.output(), "the refusal not logged")
        alerted = {r.json()["caused_by"] for r in kt.consume(bs, ALERTS)}
        first_missing = next((off for e, off in zip(hires, offsets) if e["id"] not in alerted),
                             None)
        kt.check(first_missing is not None, "every alert delivered despite the refusal")
        com = kt.committed(bs, group, IN).get(0, -1)
        kt.check(com <= first_missing, "committed %d, past the hire at %d whose alert was refused"
                 % (com, first_missing))
        kt.log("permanent error: exit 1, committed %d, first hire without alert at %d"
               % (com, first_missing))
        with kt.Daemon(bs, cfg) as d:
            kt.wait_committed(bs, group, IN, timeout=60)
            alerted = {r.json()["caused_by"] for r in kt.consume(bs, ALERTS)
                       if r.json()["status"] == "firing"}
            missing = [e["id"] for e in hires if e["id"] not in alerted]
            kt.check(not missing, "after the restart, hires without an alert: %s" % missing[:5])
            rc = d.stop()
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))


def main():
    kt.require_kafka()
    t = time.monotonic()
    want = run([])      # part 1
    kt.log("undisturbed: %d outputs, %.1f s" % (sum(want.values()), time.monotonic() - t))
    kt.check(sum(want.values()) >= NEMP, "the undisturbed run published %d outputs"
             % sum(want.values()))
    kt.check(max(want.values()) == 1, "an output twice in the undisturbed run: %s"
             % [k for k, v in want.items() if v > 1][:5])
    for faults, topics in (([fault_errors, fault_rtt, fault_down], None),
                           ([None, None, fault_down], {"checkpoints": "retentiond.checkpoints"})):
        t = time.monotonic()
        got = run(faults, topics)
        kt.log("with faults%s: %d outputs, %.1f s" % (" and a checkpoint topic" if topics else "",
                                                    sum(got.values()), time.monotonic() - t))
        missing, extra = want - got, got - want
        kt.check(not missing and not extra, "outputs differ from the undisturbed run%s: "
                 "%d missing (e.g. %s), %d extra or repeated (e.g. %s)"
                 % (" (checkpoint topic)" if topics else "", len(missing), list(missing)[:3],
                    len(extra), list(extra)[:3]))
    t = time.monotonic()
    permanent()
    kt.log("part 2: %.1f s" % (time.monotonic() - t))
    print("ok")


if __name__ == "__main__":
    kt.run(main)
