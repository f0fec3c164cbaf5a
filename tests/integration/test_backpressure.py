#!/usr/bin/python3
"""retentiond pauses consumption when its producer's queue fills.

Two brokers: hr.events and the consumer groups on broker 1, the output
topics on broker 2. The daemon's producer queue is small
(queue.buffering.max.messages = 40, so flow control pauses at 20 queued
outputs). After a first batch of hires is through, broker 2 goes down and
400 more hires are produced, each of which publishes an alert. The daemon
must then pause instead of queueing without bound or dropping output:

  - retentiond_consumer_paused 1 and
    retentiond_consumer_pauses_total{reason="producer_queue"} >= 1, with
    /metrics still answering (the work loop must not sit in a full queue
    holding the daemon lock);
  - it stops consuming: retentiond_consumed_total stays far below what was
    produced, retentiond_producer_queue within the queue's bound;
  - VmRSS (/proc/PID/status) stays within a generous bound of its value
    before the outage;
  - /healthz 200 throughout.

Once broker 2 is back, the daemon resumes and catches up: the group's
committed offsets reach the end, retentiond_consumer_paused returns to 0,
and every hire has exactly one firing alert (none lost, none twice), with
no failed delivery and nothing in the DLQ.
"""
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN, ALERTS, DLQ = "hr.events", "hr.attrition.alerts", "hr.events.dlq"
ALERT_CFG = {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0}
QUEUE_MAX = 40
WARM, HELD = 30, 400
RSS_MARGIN_KB = 64 * 1024      # generous: the bound is the point, not a figure


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def hires(ids, tag):
    return [e for e in kt.workforce(ids, tag, exits=False) if e["type"] == "hr.employee.hired"]


def main():
    kt.require_kafka()
    group = "retentiond-bp-%d" % os.getpid()
    groups = {group: 1, "kafkatest-meta": 1, "kafkatest-reader": 1}
    port = kt.free_port()
    cfg = {"alerts": ALERT_CFG, "http": {"listen": "127.0.0.1:%d" % port},
           "kafka": {"group.id": group, "queue.buffering.max.messages": QUEUE_MAX,
                     "statistics.interval.ms": 1000}}
    warm = hires(["W%03d" % i for i in range(WARM)], "bpw")
    held = hires(["H%04d" % i for i in range(HELD)], "bph")
    with kt.MockBroker(topics=kt.split_topics(4), nbrokers=2, groups=groups) as broker, \
            kt.Daemon(broker.bootstrap, cfg) as d:
        bs = broker.bootstrap
        d.wait_log("assigned")
        kt.produce(bs, IN, [kt.structured(e) for e in warm])
        kt.wait_committed(bs, group, IN, timeout=60)
        rss0 = rss_kb(d.proc.pid)
        kt.log("VmRSS before the outage: %d kB" % rss0)

        broker.command("down 2")
        kt.produce(bs, IN, [kt.structured(e) for e in held])
        t0 = time.monotonic()

        def paused():
            kt.check(d.alive(), "daemon died:\n" + d.output()[-3000:])
            m = kt.metrics(port)
            kt.check(m, "/metrics does not answer while the producer's queue is full")
            return m if (m.get("retentiond_consumer_paused") == 1 and
                         m.get('retentiond_consumer_pauses_total{reason="producer_queue"}', 0) >= 1) \
                else None
        m = kt.wait_for(paused, 30, "retentiond_consumer_paused 1 (producer_queue)", interval=0.2)
        kt.log("paused %.1f s after the hires were produced: consumed %d, queue %d"
               % (time.monotonic() - t0, m["retentiond_consumed_total"],
                  m["retentiond_producer_queue"]))
        # Paused means paused: for a few statistics intervals, every scrape
        # finds consumption held and the queue within its bound (a window
        # of observation, not a wait for anything).
        end = time.monotonic() + 3
        while time.monotonic() < end:
            m = kt.metrics(port)
            kt.check(m.get("retentiond_consumer_paused") == 1, "resumed with broker 2 down")
            kt.check(m["retentiond_consumed_total"] < WARM + HELD / 2,
                     "consumed %d of %d with the outputs' broker down"
                     % (m["retentiond_consumed_total"], WARM + HELD))
            kt.check(m["retentiond_producer_queue"] <= QUEUE_MAX,
                     "producer queue %d over its bound" % m["retentiond_producer_queue"])
            kt.check(kt.http_get(port, "/healthz")[0] == 200, "/healthz while paused")
            time.sleep(0.2)
        rss1 = rss_kb(d.proc.pid)
        kt.log("VmRSS while paused: %d kB (before: %d kB)" % (rss1, rss0))
        kt.check(rss1 <= rss0 + RSS_MARGIN_KB, "VmRSS grew from %d to %d kB while paused"
                 % (rss0, rss1))
        kt.check("pausing consumption" in d.output(), "no pause in the log")

        broker.command("up 2")
        t1 = time.monotonic()
        kt.wait_committed(bs, group, IN, timeout=120)
        kt.log("caught up %.1f s after broker 2 came back" % (time.monotonic() - t1))
        kt.wait_for(lambda: kt.metrics(port).get("retentiond_consumer_paused") == 0, 20,
                    "retentiond_consumer_paused 0")
        m = kt.metrics(port)
        kt.check(m["retentiond_consumed_total"] == WARM + HELD, "consumed %d, produced %d"
                 % (m["retentiond_consumed_total"], WARM + HELD))
        kt.check(m["retentiond_delivery_failed_total"] == 0, "failed deliveries")
        kt.check(all(v == 0 for v in kt.end_offsets(bs, DLQ).values()), "events in the DLQ")
        firing = collections.Counter(r.json()["caused_by"] for r in kt.consume(bs, ALERTS)
                                     if r.json()["status"] == "firing")
        want = collections.Counter(e["id"] for e in warm + held)
        kt.check(firing == want, "firing alerts: %d missing (e.g. %s), %d extra (e.g. %s)"
                 % (len(want - firing), list(want - firing)[:3],
                    len(firing - want), list(firing - want)[:3]))
        kt.check("resuming consumption" in d.output(), "no resume in the log")
        rc = d.stop()
        kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
    print("ok")


if __name__ == "__main__":
    kt.run(main)
