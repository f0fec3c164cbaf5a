#!/usr/bin/python3
"""An instance that joins a group later is brought to the group's epoch
(issue 9 item 3; DESIGN.md, "Shared statistics across instances").

A generated company (build/gencompany, keyed by employee, weekly epochs)
on a 4-partition hr.events, cut in two at a date. Each run: instances A
and B share a group; they read the first part to its end (the group is
then some 20 epochs past its first), then C starts with an empty state
directory and takes partitions over, and the second part is produced;
all three read it to the end and stop. A single instance on a fresh
cluster reads the whole input once. Two runs:
  - fresh, without [topics] checkpoints: C's partitions start without
    their records (the old owners' state does not move), but C must
    enter the group's epoch from the stats topic and keep the group
    going: A and B publish estimates at every boundary one instance does
    (equal to one instance's until C joined), C at every one from its
    first on, and C's are A's number for number (every instance merges
    the same contributions). Before the join was built this run stalled:
    C waited for records of epoch -1, A and B for C's partitions' records
    of their epoch, and the second part was never committed;
  - images, with [topics] checkpoints: C restores its partitions from
    their images and everything it publishes equals one instance's.
"events" is compared too: the sum of every partition's count, which a
shard takes from its image or, joining, from its previous owner's record.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

import test_stats as ts  # noqa: E402

IN, ALL, outputs = ts.IN, ts.ALL, ts.outputs
CKPT = "retentiond.checkpoints"
CUT = "2023-06-01"


def company():
    """test_stats.py's company, cut in two at CUT."""
    recs = ts.company()
    first = [r for r in recs if json.loads(r[1])["time"] < CUT]
    return first, [r for r in recs if json.loads(r[1])["time"] >= CUT]


def daemon(bs, group, name, images=True):
    topics = outputs(name)
    if images:
        topics["checkpoints"] = CKPT
    cfg = {"kafka": {"group.id": group, "heartbeat.interval.ms": 1000},
           "topics": topics,
           "state": {"checkpoint_seconds": 1},
           "alerts": {"threshold": 0.05, "clear_threshold": 0.03, "min_exits": 0},
           "model": {"idle_seconds": 4, "epoch_hours": 168}}
    return kt.Daemon(bs, cfg)


def boundary_estimates(bs, name):
    """{model_version: estimates JSON} of the boundary
    records (the last one is the shutdown one, as of the instance's own
    clock)."""
    recs = [r.json() for r in kt.consume(bs, outputs(name)["estimates"], timeout=30)]
    kt.check(len(recs) >= 2, "%s published %d estimates" % (name, len(recs)))
    out = {}
    for est in recs[:-1]:
        v = est["model_version"]
        kt.check(v not in out, "%s: two boundary estimates of epoch %s" % (name, v))
        out[v] = json.dumps(est, sort_keys=True)
    return out


def shared_run(first, rest, group, images):
    topics = {IN: 4}
    for n in ("a", "b", "c"):
        topics.update({t: 2 for t in outputs(n).values()})
    with kt.MockBroker(topics=topics) as broker:
        bs = broker.bootstrap
        with daemon(bs, group, "a", images) as a, daemon(bs, group, "b", images) as b:
            kt.wait_split(a, b, ALL)
            kt.produce(bs, IN, first, timeout=120)
            kt.wait_committed(bs, group, IN, timeout=100)
            with daemon(bs, group, "c", images) as c:
                def split():
                    owned = [d.owned() for d in (a, b, c)]
                    kt.check(all(d.alive() for d in (a, b, c)), "an instance died")
                    return all(owned) and sum(map(len, owned)) == 4 and \
                        set().union(*owned) == ALL
                kt.wait_for(split, 60, "three instances to share the partitions")
                kt.produce(bs, IN, rest, timeout=120)
                kt.wait_committed(bs, group, IN, timeout=100)
                if not images:
                    kt.check("behind the group" in c.output(),
                             "C did not join the group's epoch:\n" + c.output()[-3000:])
                for d, n in ((c, "C"), (a, "A"), (b, "B")):
                    rc = d.stop(timeout=30)
                    kt.check(rc == 0, "%s exit %s:\n%s" % (n, rc, d.output()[-3000:]))
        return {n: boundary_estimates(bs, n) for n in ("a", "b", "c")}


def single_run(recs):
    with kt.MockBroker(topics={IN: 4, **{t: 2 for t in outputs("s").values()}}) as broker:
        bs = broker.bootstrap
        kt.produce(bs, IN, recs, timeout=120)
        with daemon(bs, "retentiond-one-" + str(os.getpid()), "s", images=False) as d:
            kt.wait_committed(bs, d.group, IN, timeout=100)
            rc = d.stop(timeout=30)
            kt.check(rc == 0, "exit %s:\n%s" % (rc, d.output()[-3000:]))
        return boundary_estimates(bs, "s")


def check_run(est, one, exact):
    """est: A's, B's and C's boundary estimates; one: the single
    instance's. Each instance published one at every boundary one
    instance did (C from its first on); exact: equal to one instance's,
    else (C's partitions started without their records) equal to each
    other's."""
    joined = min(est["c"]) if est["c"] else None
    kt.check(joined is not None and joined > min(one) + 5,
             "C's first boundary %s: it did not join late" % joined)
    want = {"a": sorted(one), "b": sorted(one), "c": [v for v in sorted(one) if v >= joined]}
    for n in ("a", "b", "c"):
        kt.check(sorted(est[n]) == want[n], "%s entered epochs %s..., one instance %s..."
                 % (n.upper(), sorted(est[n])[:8], want[n][:8]))
        if exact:
            ref = one
        elif n == "c":
            ref = est["a"]
        else:   # one instance's until C joined, C's from then on
            ref = {v: one[v] if v < joined else est["c"][v] for v in one}
        diff = [v for v in want[n] if est[n].get(v) != ref[v]]
        kt.check(not diff, "%s's estimates differ from %s at epochs %s:\n%s\n%s"
                 % (n.upper(), "one instance's" if exact else "the others'", diff[:5],
                    est[n].get(diff[0], "")[:1500] if diff else "",
                    ref[diff[0]][:1500] if diff else ""))
    return joined


def main():
    kt.require_kafka()
    first, rest = company()
    kt.check(len(first) > 200 and len(rest) > 200, "the cut leaves %d and %d"
             % (len(first), len(rest)))
    one = single_run(first + rest)
    kt.check(len(one) >= 20, "only %d boundaries" % len(one))
    for images in (False, True):
        est = shared_run(first, rest, "retentiond-join-%d-%d" % (images, os.getpid()),
                         images)
        kt.log("%s: boundaries: single %d, A %d, B %d, C %d" % (
            "images" if images else "fresh", len(one), len(est["a"]), len(est["b"]),
            len(est["c"])))
        joined = check_run(est, one, images)
        kt.log("C joined at epoch %s" % joined)
    print("ok: %d boundaries; a joiner follows the group, with images exactly as "
          "one instance" % len(one))


if __name__ == "__main__":
    kt.run(main)
