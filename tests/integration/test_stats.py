#!/usr/bin/python3
"""Three instances in one group fit the model one instance fits and
publish its plans (issue 9; DESIGN.md, "Shared statistics across
instances").

A generated company (build/gencompany, keyed by employee) on a 4-partition
hr.events. Run 1: instances A, B and C share a group.id and publish to
their own output topics; once they have split the partitions the input is
produced, all read it to the end (committed offsets at the end of every
partition) and stop with SIGTERM. Each owns some of the shards; its model
is the merge of its own shards and the others' contributions read from
retentiond.stats. Run 2: one instance on the same input on a fresh
cluster. Checked:
  - A, B and C published estimates at the same epoch boundaries as the single
    instance, and each boundary's estimates are the single instance's,
    number for number (JSON text with 17 significant digits), "events"
    too (the sum of every partition's count, own shards and records);
  - the alerts of A, B and C together are the single instance's, record
    for record per employee (scores use the shared model);
  - each of A, B and C published the single instance's plans of the
    boundaries (not the shutdown's), byte for byte: made from every
    partition's candidates, read from retentiond.candidates (a record for
    each partition there); without them the plans differ;
  - the instances published statistics records to retentiond.stats
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
CANDS = "retentiond.candidates"
NAMES = ("a", "b", "c")


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


def plans(bs, name, versions):
    """The plans (keyed dept:<department>) name published at the boundaries
    of versions (not the shutdown's), as sorted (key, value bytes)."""
    out = []
    for r in kt.consume(bs, outputs(name)["suggestions"], timeout=30):
        if r.key.startswith("dept:") and r.json()["model_version"] in versions:
            out.append((r.key, r.value_bytes))
    return sorted(out)


def moves(d):
    """d's assignment changes that move partitions (a rebalance that
    assigns an instance nothing more, as a member's rejoin does, moves
    none)."""
    return [(ev, ids) for ev, ids in d.assignments() if ids]


def wait_split(ds):
    """Waits until the daemons ds all hold partitions, disjoint, together
    every partition."""
    def split():
        owned = [d.owned() for d in ds]
        kt.check(all(d.alive() for d in ds), "an instance died:\n%s"
                 % "\n".join(d.output()[-2000:] for d in ds))
        return (all(owned) and sum(len(o) for o in owned) == len(ALL) and
                set().union(*owned) == ALL)
    kt.wait_for(split, 60, "the %d instances to share the partitions" % len(ds))


def shared_run(recs, group):
    topics = {IN: 4}
    for n in NAMES:
        topics.update({t: 2 for t in outputs(n).values()})
    with kt.MockBroker(topics=topics) as broker:
        bs = broker.bootstrap
        with daemon(bs, group, "a") as a, daemon(bs, group, "b") as b, \
                daemon(bs, group, "c") as c:
            ds = (a, b, c)
            wait_split(ds)
            marks = [moves(d) for d in ds]
            kt.produce(bs, IN, recs, timeout=120)
            kt.wait_committed(bs, group, IN, timeout=150)
            kt.check([moves(d) for d in ds] == marks,
                     "a rebalance moved partitions: the instances' epochs may differ")
            for d, n in zip(ds, NAMES):
                kt.check("sharing statistics through " + STATS in d.output(),
                         "%s did not share statistics:\n%s" % (n, d.output()[-2000:]))
            for d, n in zip(ds, NAMES):
                rc = d.stop(timeout=30)
                kt.check(rc == 0, "%s exit %s:\n%s" % (n, rc, d.output()[-3000:]))
        est = {n: boundary_estimates(bs, n) for n in NAMES}
        pl = {n: plans(bs, n, set(est[n])) for n in NAMES}
        al = alerts_by_key(bs, NAMES)
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
        cands = collections.Counter(r.key for r in kt.consume(bs, CANDS, timeout=30))
        kt.check(set(cands) == {"%s:%d" % (IN, p) for p in ALL},
                 "candidates records of %s" % sorted(cands))
    return est, al, pl


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
        est = boundary_estimates(bs, "s")
        return est, alerts_by_key(bs, ("s",)), plans(bs, "s", set(est))


def main():
    kt.require_kafka()
    recs = company()
    est, al, pl = shared_run(recs, "retentiond-stats-" + str(os.getpid()))
    one, one_al, one_pl = single_run(recs)
    kt.log("boundaries: single %d, %s; alerts: %d employees; plans: %d"
           % (len(one), ", ".join("%s %d" % (n.upper(), len(est[n])) for n in NAMES),
              len(one_al), len(one_pl)))
    kt.check(len(one) >= 20, "only %d boundaries" % len(one))
    ab = [v for v in est["a"] if est["a"][v] != est["b"].get(v)]
    kt.check(not ab, "A's and B's estimates differ at epochs %s" % ab[:5])
    kt.check(len(one_pl) >= 5, "only %d plans" % len(one_pl))
    for n in NAMES:
        kt.check(pl[n] == one_pl, "%s's plans differ from one instance's: %d "
                 "against %d, first difference %s" % (n.upper(), len(pl[n]),
                 len(one_pl), next((x for x in zip(pl[n], one_pl) if x[0] != x[1]),
                                   None)))
    for n in NAMES:
        kt.check(sorted(est[n]) == sorted(one), "%s entered epochs %s, one instance %s"
                 % (n.upper(), sorted(set(est[n]) ^ set(one)), "the others"))
        diff = [v for v in one if est[n].get(v) != one[v]]
        kt.check(not diff, "%s's estimates differ from one instance's at epochs %s:"
                 "\n%s\n%s" % (n.upper(), diff[:5], est[n].get(diff[0], "")[:1500]
                              if diff else "", one[diff[0]][:1500] if diff else ""))
    kt.check(len(one_al) > 10, "only %d employees alerted" % len(one_al))
    kt.check(al == one_al, "alerts differ for %d employees"
             % sum(1 for k in set(al) | set(one_al) if al.get(k) != one_al.get(k)))
    print("ok: %d boundaries, %d employees alerted, %d plans, the same model "
          "and plans on all three" % (len(one), len(one_al), len(one_pl)))


if __name__ == "__main__":
    try:
        main()
    except kt.Timeout as e:
        kt.fail(str(e))
