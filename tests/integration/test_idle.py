#!/usr/bin/python3
"""The epoch gate's idle rule (DESIGN.md, "The determinism rule"): a
partition with nothing past an epoch boundary counts as having crossed it
when it is at its end and nothing was written to it for [model]
idle_seconds, counted from its newest record's Kafka timestamp.

Two input partitions, one hire a day each: partition 0 from 2025-01-01 to
01-12, partition 1 from 01-01 to 01-03 only, so that partition 0's
messages from 01-04 on wait at the gate until partition 1 counts as
crossed.

Part 1, a backlog written long ago (a backfill, a restart after
downtime): the records carry timestamps an hour old and idle_seconds is
600. Partition 1 has been silent for an hour when the daemon reads it to
its end, so every hire is through and committed well before 600 s
(the deadline here is 90 s; the rule this one replaced counted the 600 s
from the moment the daemon read partition 1's last record). Every hire has
its alert, and retentiond_epoch_idle_crossings_total says the rule made
the crossings.

Part 2, a live producer that just went quiet: the same records written now,
idle_seconds 5. The gate holds partition 0's messages with partition 1
read to its end and nothing crossed by the rule yet (the records are
fresh), then, once partition 1 has been silent for 5 s, lets them through:
everything is committed and the rule counts its crossings.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402
from confluent_kafka import Producer  # noqa: E402

IN, ALERTS = "hr.events", "hr.attrition.alerts"
ALERT_CFG = {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0}
DAYS = (12, 3)          # hires on partition 0 and 1, one a day from 01-01


def hires(tag):
    """[(partition, event)]: a hire a day on each partition."""
    out = []
    for part, days in enumerate(DAYS):
        for d in range(days):
            e = "I%d%02d" % (part, d)
            out.append((part, kt.cloudevent(
                "hr.employee.hired", e, "%s-h-%s" % (tag, e), "2025-01-%02dT09:00:00Z" % (d + 1),
                {"department": "Sales", "job_level": 1 + d % 3, "salary": 40000 + 1000 * d,
                 "manager_id": "M1", "location": "Berlin"})))
    return out


def produce(bs, evs, timestamp_ms):
    """The events to their partitions in order, with the given record
    timestamp (0: the producer's clock, now)."""
    p = Producer({"bootstrap.servers": bs, "enable.idempotence": True, "linger.ms": 5})
    failed = []
    for part, ev in evs:
        key, value, headers = kt.structured(ev)
        p.produce(IN, key=key, value=value, headers=headers, partition=part,
                  timestamp=timestamp_ms,
                  on_delivery=lambda err, msg: failed.append(err) if err else None)
    kt.check(p.flush(30) == 0 and not failed, "producing the hires: %s" % failed[:3])


def run(tag, timestamp_ms, idle_seconds, before_crossing=None):
    port = kt.free_port()
    # the partitions are the test's, not murmur2's: with re-routing, the
    # hires of the last epoch would wait at their shard for a later epoch
    # (DESIGN.md, "Exact outputs with re-routed events"), and this test is
    # about the idle rule alone
    cfg = {"alerts": ALERT_CFG, "http": {"listen": "127.0.0.1:%d" % port},
           "model": {"idle_seconds": idle_seconds}, "input": {"partitioner": "none"}}
    evs = hires(tag)
    with kt.MockBroker(topics=kt.default_topics(2)) as broker, \
            kt.Daemon(broker.bootstrap, cfg) as d:
        bs = broker.bootstrap
        d.wait_log("assigned")
        produce(bs, evs, timestamp_ms)
        if before_crossing:
            before_crossing(bs, d, port)
        kt.wait_committed(bs, d.group, IN, timeout=90)
        m = kt.metrics(port)
        kt.check(m.get("retentiond_epoch_idle_crossings_total", 0) >= 1,
                 "%s: no crossing by the idle rule counted: %s"
                 % (tag, m.get("retentiond_epoch_idle_crossings_total")))
        kt.check(m.get("retentiond_messages_held") == 0, "%s: messages still held" % tag)
        fired = {r.json()["caused_by"] for r in kt.consume(bs, ALERTS)
                 if r.json()["status"] == "firing"}
        missing = [ev["id"] for _, ev in evs if ev["id"] not in fired]
        kt.check(not missing, "%s: hires without an alert: %s" % (tag, missing[:5]))
        kt.log("%s: %d hires through, %d crossing(s) by the idle rule"
               % (tag, len(evs), m["retentiond_epoch_idle_crossings_total"]))
        rc = d.stop()
        kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))


def holding(bs, d, port):
    """Part 2: partition 1 read to its end, partition 0 held at the gate,
    and nothing crossed by the rule yet."""
    def seen():
        kt.check(d.alive(), "daemon died:\n" + d.output()[-3000:])
        m = kt.metrics(port)
        com = kt.committed(bs, d.group, IN)
        return m if (m.get("retentiond_messages_held", 0) >= 1 and
                     com.get(1, -1) == DAYS[1]) else None
    m = kt.wait_for(seen, 30, "partition 1 committed to its end and partition 0 held",
                    interval=0.2)
    kt.check(m.get("retentiond_epoch_idle_crossings_total") == 0,
             "fresh records crossed by the idle rule at once: %s"
             % m.get("retentiond_epoch_idle_crossings_total"))
    kt.log("live: %d message(s) held, none crossed by the rule yet"
           % m["retentiond_messages_held"])


def main():
    kt.require_kafka()
    t = time.monotonic()
    run("old", int(time.time() * 1000) - 3600 * 1000, 600)
    kt.log("part 1: %.1f s" % (time.monotonic() - t))
    t = time.monotonic()
    run("live", 0, 5, holding)
    kt.log("part 2: %.1f s" % (time.monotonic() - t))
    print("ok")


if __name__ == "__main__":
    kt.run(main)
