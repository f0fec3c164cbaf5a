#!/usr/bin/python3
"""Two instances in one group fit the model one instance fits (issue 9
item 3; DESIGN.md, "Scale-out", shared statistics).

A generated company (build/gencompany, keyed by employee) on a 4-partition
hr.events. Run 1: instances A and B share a group.id and publish to their
own output topics; once they have split the partitions the input is
produced, both read it to the end (committed offsets at the end of every
partition) and stop with SIGTERM. Each owns half of the shards; its model
is the merge of its own shards and the other's contributions read from
retentiond.stats. Run 2: one instance on the same input on a fresh
cluster. Checked:
  - A and B published estimates at the same epoch boundaries as the single
    instance, and each boundary's estimates are the single instance's,
    number for number (JSON text with 17 significant digits), "events"
    too (the sum of every partition's count, own shards and records);
  - the alerts of A and B together are the single instance's, record for
    record per employee (scores use the shared model);
  - both instances published statistics records to retentiond.stats
    (tag RST1, the count of events after the image, some of them not 0), each
    keyed <topic>:<partition>:<epoch mod 2>.
The checks can fail: they did while an owner took a shard's image before
firing the rescoring timers the closing epoch left (their scores accrue
exposure; a single instance fires them at the boundary, before the
refit): A's, B's and the single instance's estimates differed from the
second boundary on.
"""
import collections
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN = "hr.events"
ALL = {0, 1, 2, 3}
STATS = "retentiond.stats"


def outputs(name):
    return {"alerts": "hr.attrition.alerts." + name,
            "suggestions": "hr.retention.suggestions." + name,
            "estimates": "hr.model.estimates." + name,
            "dlq": "hr.events.dlq." + name}


def company():
    out = subprocess.run([kt.binary("gencompany"), "--employees", "160", "--months",
                          "10", "--seed", "5", "--start", "2023-01-02",
                          "--kafka-format"], capture_output=True, check=True)
    return [tuple(line.split(b"\t", 1)) + (None,) for line in out.stdout.splitlines()]


def daemon(bs, group, name):
    cfg = {"kafka": {"group.id": group, "heartbeat.interval.ms": 1000},
           "topics": outputs(name),
           "alerts": {"threshold": 0.05, "clear_threshold": 0.03, "min_exits": 0},
           # weekly epochs keep the boundaries (a stats round trip each)
           # few; idle_seconds above any pause of the producer here
           "model": {"idle_seconds": 4, "epoch_hours": 168}}
    return kt.Daemon(bs, cfg)


def boundary_estimates(bs, name):
    """{model_version: estimates} of the boundary records
    (the last record is the shutdown one, as of the instance's own clock)."""
    recs = [r.json() for r in kt.consume(bs, outputs(name)["estimates"], timeout=30)]
    kt.check(len(recs) >= 2, "%s published %d estimates" % (name, len(recs)))
    out = {}
    for est in recs[:-1]:
        v = est["model_version"]
        kt.check(v not in out, "%s: two boundary estimates of epoch %s" % (name, v))
        out[v] = json.dumps(est, sort_keys=True)
    return out


def alerts_by_key(bs, names):
    got = collections.defaultdict(list)
    for n in names:
        for r in kt.consume(bs, outputs(n)["alerts"], timeout=30):
            got[r.key].append(r.value_bytes)
    return got


def record_events(v):
    """The count of events a stats record carries after its image
    (CONTRACT.md, "Shared statistics"): RST1, topic, partition, epoch,
    needs, image, then the count, and nothing after."""
    kt.check(v[:4] == b"RST1", "stats record tagged %r" % v[:4])
    at = 8 + struct.unpack_from("<I", v, 4)[0] + 4 + 8 + 8
    at += 4 + struct.unpack_from("<I", v, at)[0]
    kt.check(len(v) == at + 8, "stats record of %d bytes, %d before its count"
             % (len(v), at))
    return struct.unpack_from("<Q", v, at)[0]


def shared_run(recs, group):
    topics = {IN: 4}
    for n in ("a", "b"):
        topics.update({t: 2 for t in outputs(n).values()})
    with kt.MockBroker(topics=topics) as broker:
        bs = broker.bootstrap
        with daemon(bs, group, "a") as a, daemon(bs, group, "b") as b:
            kt.wait_split(a, b, ALL)
            marks = (a.assignments(), b.assignments())
            kt.produce(bs, IN, recs, timeout=120)
            kt.wait_committed(bs, group, IN, timeout=100)
            kt.check((a.assignments(), b.assignments()) == marks,
                     "a rebalance happened: the instances' epochs may differ")
            for d, n in ((a, "A"), (b, "B")):
                kt.check("sharing statistics through " + STATS in d.output(),
                         "%s did not share statistics:\n%s" % (n, d.output()[-2000:]))
                rc = d.stop(timeout=30)
                kt.check(rc == 0, "%s exit %s:\n%s" % (n, rc, d.output()[-3000:]))
        est = {n: boundary_estimates(bs, n) for n in ("a", "b")}
        al = alerts_by_key(bs, ("a", "b"))
        keys = collections.Counter()
        counted = 0
        for r in kt.consume(bs, STATS, timeout=30):
            topic, part, parity = r.key.rsplit(":", 2)
            kt.check(topic == IN and int(part) in ALL and parity in ("0", "1"),
                     "stats record keyed %r" % r.key)
            keys[int(part)] += 1
            counted += record_events(r.value_bytes) > 0
        kt.check(set(keys) == ALL, "stats records of partitions %s" % sorted(keys))
        kt.check(counted > 0, "no stats record counts an event")
        kt.log("stats records per partition: %s" % dict(keys))
    return est, al


def single_run(recs):
    with kt.MockBroker(topics={IN: 4, **{t: 2 for t in outputs("s").values()}}) as broker:
        bs = broker.bootstrap
        kt.produce(bs, IN, recs, timeout=120)
        with daemon(bs, "retentiond-one-" + str(os.getpid()), "s") as d:
            kt.wait_committed(bs, d.group, IN, timeout=100)
            kt.check("sharing statistics" not in d.output(),
                     "a lone instance used the stats topic")
            rc = d.stop(timeout=30)
            kt.check(rc == 0, "exit %s:\n%s" % (rc, d.output()[-3000:]))
        return boundary_estimates(bs, "s"), alerts_by_key(bs, ("s",))


def main():
    kt.require_kafka()
    recs = company()
    est, al = shared_run(recs, "retentiond-stats-" + str(os.getpid()))
    one, one_al = single_run(recs)
    kt.log("boundaries: single %d, A %d, B %d; alerts: %d employees"
           % (len(one), len(est["a"]), len(est["b"]), len(one_al)))
    kt.check(len(one) >= 20, "only %d boundaries" % len(one))
    ab = [v for v in est["a"] if est["a"][v] != est["b"].get(v)]
    kt.check(not ab, "A's and B's estimates differ at epochs %s" % ab[:5])
    for n in ("a", "b"):
        kt.check(sorted(est[n]) == sorted(one), "%s entered epochs %s, one instance %s"
                 % (n.upper(), sorted(set(est[n]) ^ set(one)), "the others"))
        diff = [v for v in one if est[n].get(v) != one[v]]
        kt.check(not diff, "%s's estimates differ from one instance's at epochs %s:"
                 "\n%s\n%s" % (n.upper(), diff[:5], est[n].get(diff[0], "")[:1500]
                              if diff else "", one[diff[0]][:1500] if diff else ""))
    kt.check(len(one_al) > 10, "only %d employees alerted" % len(one_al))
    kt.check(al == one_al, "alerts differ for %d employees"
             % sum(1 for k in set(al) | set(one_al) if al.get(k) != one_al.get(k)))
    print("ok: %d boundaries, %d employees alerted, the same model on both"
          % (len(one), len(one_al)))


if __name__ == "__main__":
    try:
        main()
    except kt.Timeout as e:
        kt.fail(str(e))
