#!/usr/bin/python3
"""Readiness tells the truth (/readyz, retentiond_ready), against the mock
cluster in its own process.

Part 1, one broker:
  - started while the broker is down: alive (/healthz 200) but not ready
    (/readyz 503 "no broker reachable", retentiond_ready 0), for as long as
    librdkafka keeps failing to connect;
  - broker up: ready once the partitions are assigned and the lag is known
    and within [http] ready_max_lag; still ready after consuming a workload
    (lag 0);
  - a full outage (every broker down): not ready, alive; ready again after;
  - a restart in the same group (committed offsets at the end, nothing new
    to read): ready again, so the lag is measured from the committed
    position and not from the start of the topic.
Part 2, a partial outage: the group's coordinator is up but the input's
  leader is down from the start: the instance is connected and assigned,
  yet cannot know how far behind it is, so it is not ready ("consumer lag
  not known yet"); ready once the leader is back.
The lag bound itself (lag above ready_max_lag is not ready) is checked in
tests/unit/test_ready.c, where the lag can be held still.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN = "hr.events"
ALERT_CFG = {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0}


def readyz(port):
    return kt.http_get(port, "/readyz")


def not_ready_because(port, why):
    """Polls /readyz until it is 503 with `why` in its body (and the
    daemon alive, /healthz 200, retentiond_ready 0 all along)."""
    def cond():
        st, body = readyz(port)
        kt.check(kt.http_get(port, "/healthz")[0] == 200, "/healthz not 200")
        if st == 200:
            return False
        kt.check(st == 503, "/readyz status %s: %s" % (st, body))
        return why in body and kt.metric(port, "retentiond_ready") == 0
    return cond


def wait_ready(d, port, timeout, what):
    def cond():
        kt.check(d.alive(), "daemon died:\n" + d.output()[-3000:])
        st, body = readyz(port)
        return st == 200 and body == "ready\n" and kt.metric(port, "retentiond_ready") == 1
    try:
        kt.wait_for(cond, timeout, what, interval=0.2)
    except kt.Timeout as e:
        kt.fail("%s; /readyz says %r\n%s" % (e, readyz(port), d.output()[-3000:]))


def part1():
    port = kt.free_port()
    with kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        broker.down()
        cfg = {"alerts": ALERT_CFG, "http": {"listen": "127.0.0.1:%d" % port}}
        with kt.Daemon(bs, cfg) as d:
            # Not ready while librdkafka fails to connect, seen twice in
            # its log (the second failure is a retry: time has passed).
            kt.wait_for(lambda: kt.http_get(port, "/healthz")[0] == 200, 20, "/healthz")
            kt.wait_for(not_ready_because(port, "no broker reachable"), 20,
                        "not ready: no broker reachable")
            kt.wait_for(lambda: d.output().count("Connection refused") >= 2 or not d.alive(),
                        30, "librdkafka's connection failures")
            kt.wait_for(not_ready_because(port, "no broker reachable"), 5,
                        "still not ready with no broker")
            kt.check("assigned" not in d.output(), "assigned with no broker")

            broker.up()
            wait_ready(d, port, 40, "ready once the broker is up")
            kt.check("assigned" in d.output(), "ready before any assignment")

            ids = ["R%03d" % i for i in range(30)]
            evs = kt.workforce(ids, "r", exits=True)
            kt.produce(bs, IN, [kt.structured(e) for e in evs])
            kt.wait_committed(bs, d.group, IN, timeout=40)
            kt.wait_for(lambda: kt.metric(port, "retentiond_consumer_lag") == 0, 20,
                        "consumer lag 0")
            wait_ready(d, port, 20, "ready after the workload")

            broker.down()
            kt.wait_for(not_ready_because(port, "no broker reachable"), 40,
                        "not ready during the outage")
            kt.log("not ready during the outage")
            broker.up()
            wait_ready(d, port, 60, "ready again after the outage")
            rc = d.stop()
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
            group = d.group

        cfg["kafka"] = {"group.id": group}
        with kt.Daemon(bs, cfg) as d:
            wait_ready(d, port, 40, "ready after a restart with nothing new to read")
            kt.check(kt.metric(port, "retentiond_consumer_lag") == 0,
                     "lag after the restart: %s" % kt.metric(port, "retentiond_consumer_lag"))
            rc = d.stop()
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))


def part2():
    port = kt.free_port()
    group = "retentiond-ready-%d" % os.getpid()
    topics = {IN: (4, 2)}
    for t, n in kt.default_topics().items():
        if t != IN:
            topics[t] = (n, 1)
    groups = {group: 1, "kafkatest-meta": 1, "kafkatest-reader": 1}
    with kt.MockBroker(topics=topics, nbrokers=2, groups=groups, target=2) as broker:
        broker.down()
        cfg = {"kafka": {"group.id": group}, "http": {"listen": "127.0.0.1:%d" % port}}
        with kt.Daemon(broker.bootstrap, cfg) as d:
            d.wait_log("assigned", timeout=40)
            kt.wait_for(not_ready_because(port, "consumer lag not known yet"), 20,
                        "not ready: the input's leader is down")
            kt.check(kt.metric(port, "retentiond_kafka_up") == 1,
                     "kafka_up should be 1 with the coordinator up")
            broker.up()
            wait_ready(d, port, 40, "ready once the input's leader is back")
            rc = d.stop()
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))


def main():
    kt.require_kafka()
    part1()
    part2()
    print("ok")


if __name__ == "__main__":
    kt.run(main)
