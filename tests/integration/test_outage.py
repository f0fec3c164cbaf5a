#!/usr/bin/python3
"""retentiond through broker outages (mock cluster in its own process).

Part 1, a whole-cluster outage: the daemon consumes hires of 50 employees,
then their surveys; once some of those are processed (their commits reach
the broker), every broker goes down (mockbroker
SIGUSR1; the test produces nothing meanwhile, its producer could not reach
the cluster either). The daemon must stay up (/healthz 200) and report
retentiond_kafka_up 0; once the brokers are back (SIGUSR2) it must go on:
the group's committed offsets reach the end, exits produced afterwards are
processed, and nothing is lost: every hire has its firing alert, every
exit its resolved alert, the DLQ is empty, and the estimates count each
distinct event exactly once.

Part 2, a delivery that fails after it was queued: two brokers, hr.events
and the group's coordinator on broker 1 (and the repartition topic, an
input), the output topics on broker 2,
and message.timeout.ms = 2000 in the daemon's [kafka]. Broker 2 goes down,
then hires are produced: the daemon consumes them, cannot deliver their
alerts, and must exit non-zero with the group's committed offsets not past
any of those hires. With broker 2 up again, a restarted daemon re-reads
them from the committed offsets and delivers every alert.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN, ALERTS, EST, DLQ = ("hr.events", "hr.attrition.alerts", "hr.model.estimates",
                        "hr.events.dlq")
ALERT_CFG = {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0}


def check_alerts(bs, evs):
    """Every hire in evs caused a firing alert, every exit a resolved one."""
    got, recs = {}, kt.consume(bs, ALERTS)
    for r in recs:
        a = r.json()
        got.setdefault(a["caused_by"], []).append(a["status"])
    for e in evs:
        want = {"hr.employee.hired": "firing",
                "hr.employee.exited": "resolved"}.get(e["type"])
        if want and want not in got.get(e["id"], []):
            kt.fail("no %s alert caused by %s; %s's alerts: %s" % (
                want, e["id"], e["subject"],
                [r.value_bytes.decode() for r in recs if r.key == e["subject"]]))


def last_events_count(bs):
    recs = kt.consume(bs, EST)
    return recs[-1].json()["events"] if recs else None


def part1():
    ids = ["E%03d" % i for i in range(50)]
    port = kt.free_port()
    with kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        cfg = {"alerts": ALERT_CFG, "model": {"idle_seconds": 1},
               "http": {"listen": "127.0.0.1:%d" % port}}
        with kt.Daemon(bs, cfg) as d:
            d.wait_log("assigned")
            evs = kt.workforce(ids, "o1", exits=False)
            hires = [e for e in evs if e["type"] == "hr.employee.hired"]
            kt.produce(bs, IN, [kt.structured(e) for e in hires])
            kt.wait_committed(bs, d.group, IN, timeout=30)
            kt.produce(bs, IN, [kt.structured(e) for e in evs if e not in hires])
            n0 = sum(kt.committed(bs, d.group, IN).values())
            kt.wait_for(lambda: sum(kt.committed(bs, d.group, IN).values()) > n0, 30,
                        "commits of the first surveys")
            t0 = time.monotonic()
            broker.down()

            def down_seen():
                kt.check(d.alive(), "daemon died in the outage:\n" + d.output()[-3000:])
                st, _ = kt.http_get(port, "/healthz")
                kt.check(st == 200, "/healthz %s during the outage" % st)
                return kt.metric(port, "retentiond_kafka_up") == 0
            kt.wait_for(down_seen, 25, "retentiond_kafka_up 0", interval=0.2)
            kt.log("kafka_up 0 after %.1f s of outage" % (time.monotonic() - t0))
            kt.check(kt.http_get(port, "/healthz")[0] == 200, "/healthz during the outage")
            broker.up()
            t1 = time.monotonic()
            kt.wait_committed(bs, d.group, IN, timeout=40)
            kt.log("committed to the end %.1f s after the brokers came back"
                   % (time.monotonic() - t1))
            kt.wait_for(lambda: kt.metric(port, "retentiond_kafka_up") == 1, 20,
                        "retentiond_kafka_up 1")
            x = kt.exits_of(ids, "o1")
            kt.produce(bs, IN, [kt.structured(e) for e in x])
            kt.wait_committed(bs, d.group, IN, timeout=40)
            kt.check(d.alive(), "daemon died after the outage:\n" + d.output()[-3000:])
            check_alerts(bs, evs + x)
            kt.check(all(v == 0 for v in kt.end_offsets(bs, DLQ).values()),
                     "events in the DLQ")
            n = len(evs) + len(x)
            rc = d.stop()
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
            # the shutdown estimates (estimates go out at epoch boundaries
            # and at shutdown)
            try:
                kt.wait_for(lambda: last_events_count(bs) == n, 15,
                            "the estimates to count %d events" % n)
            except kt.Timeout:
                kt.fail("estimates count %s events, expected %d"
                        % (last_events_count(bs), n))


def part2():
    group = "retentiond-outage-%d" % os.getpid()
    # the repartition topic is read like the input: on broker 1 with it
    # (were it down, the epoch gate would wait for it, rightly)
    topics = {IN: (4, 1), IN + ".repartition": (4, 1)}
    for t, n in kt.default_topics().items():
        if t != IN:
            topics[t] = (n, 2)
    ids = ["G%03d" % i for i in range(30)]
    hires = [e for e in kt.workforce(ids, "o2", exits=False)
             if e["type"] == "hr.employee.hired"]
    # The helpers' own groups too: a consumer whose coordinator is down
    # blocks in close().
    groups = {group: 1, "kafkatest-meta": 1, "kafkatest-reader": 1}
    with kt.MockBroker(topics=topics, nbrokers=2, groups=groups, target=2) as broker:
        bs = broker.bootstrap
        cfg = {"kafka": {"group.id": group, "message.timeout.ms": 2000},
               "alerts": ALERT_CFG}
        with kt.Daemon(bs, cfg) as d:
            d.wait_log("assigned")
            broker.down()
            res = kt.produce(bs, IN, [kt.structured(e) for e in hires])
            first = {}
            for p, off in res:
                first[p] = min(off, first.get(p, off))
            t0 = time.monotonic()
            kt.wait_for(lambda: not d.alive(), 30, "the daemon to exit on the "
                        "failed deliveries")
            rc = d.proc.returncode
            kt.log("exit %s %.1f s after the hires were produced"
                   % (rc, time.monotonic() - t0))
            kt.check(rc not in (0, None), "exit status %s after failed deliveries" % rc)
            kt.check("delivery to" in d.output(), "no delivery failure logged:\n"
                     + d.output()[-3000:])
        com = kt.committed(bs, group, IN)
        for p, off in first.items():
            kt.check(com.get(p, -1) <= off, "partition %d committed at %d, past the "
                     "undelivered hire at %d" % (p, com.get(p, -1), off))
        kt.log("committed after the failure:", com, "first hires:", first)
        broker.up()     # (the alerts' broker: reading them needs it up)
        kt.check(sum(kt.end_offsets(bs, ALERTS).values()) == 0,
                 "alerts delivered while their broker was down")
        with kt.Daemon(bs, cfg) as d:
            kt.wait_committed(bs, group, IN, timeout=40)
            check_alerts(bs, hires)
            rc = d.stop()
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))


def main():
    kt.require_kafka()
    t = time.monotonic()
    part1()
    kt.log("part 1: %.1f s" % (time.monotonic() - t))
    t = time.monotonic()
    part2()
    kt.log("part 2: %.1f s" % (time.monotonic() - t))
    print("ok")


if __name__ == "__main__":
    try:
        main()
    except kt.Timeout as e:
        kt.fail(str(e))
