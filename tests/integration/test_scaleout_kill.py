#!/usr/bin/python3
"""Three instances in one group, one SIGKILLed mid-stream and never
restarted (issue 9 item 5), and a survivor that loses its partitions.

A mock cluster holds hr.events (4 partitions). A reference instance (its
own group) reads everything alone; instances A, B and C share group G and
publish their partitions' images to retentiond.checkpoints. 48 employees
are hired through a murmur2 producer and surveyed through librdkafka's
CRC-32 partitioner (wrongly partitioned); once that is committed, a round
of surveys without a key, some exits and an erasure produced to a
partition other than the employee's own follow, and the instance owning
the most partitions is SIGKILLed at once. Then one survivor stalls (it is
SIGSTOPped, as a loaded host stops answering the group) until the other
owns all four partitions and the group's offsets reach the ends of the
input and of the repartition topic; resumed, it finds its assignment
*lost* (the cooperative protocol's word for a session that expired) and
rejoins, and the two share the partitions again: the stalled one takes
its new partitions over from the images the other published while it
went on alone, epochs ahead of the stalled pipeline. A last round (CRC-32
surveys, key-less surveys and another erasure sent to a wrong partition)
follows. Checked once the group's offsets reach the ends:

  - every partition the killed instance owned was restored from its
    image by a survivor, no image refused, and the stalled survivor saw
    its assignment lost;
  - every employee is served (GET /v1/employees/{id}) by exactly one
    survivor, as one record (nothing created provisionally), and its
    fields that come from events equal the reference's: the union of the
    survivors' state is one instance's;
  - the erased employees are served by nobody, and after a SIGTERM
    neither survivor's checkpoint (retentiond --dump-checkpoint) holds
    them.

Model-dependent figures (risk, alerts, relative pay) are not compared
(SCALEOUT_MODEL=1 switches their comparison on): after the stall each
survivor fits with the statistics it had when the other went on alone.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402
import takeover_lib as tl  # noqa: E402

MODEL_EQUAL = os.environ.get("SCALEOUT_MODEL") == "1"
N = 48
CT = [("content-type", b"application/cloudevents+json")]
CRC = {"partitioner": "consistent_random"}


def survey(emp, tag, month, i):
    return kt.cloudevent("hr.survey.submitted", emp, "%s-%s" % (tag, emp),
                         "2025-%02d-%02dT09:00:00Z" % (month, 1 + i % 28),
                         {"satisfaction": 20 + i % 30, "engagement": 30,
                          "intent_to_stay": 20})


def keyless(evs):
    return [(None, json.dumps(e).encode(), CT) for e in evs]


def erasure(emp, home, when):
    """The erasure of emp, produced to a partition that is not its own."""
    ev = kt.cloudevent("hr.employee.erased", emp, "x-" + emp, when)
    there = next(p for p in sorted(tl.ALL) if p != home[emp])
    return (emp, json.dumps(ev).encode(), CT, there)


def dumped_ids(d):
    path = os.path.join(d.state, "checkpoints", tl.IN + ".ckpt")
    out = subprocess.run([kt.binary("retentiond"), "--dump-checkpoint", path],
                         capture_output=True, text=True, timeout=30)
    kt.check(out.returncode == 0, "dump of %s: %s" % (path, out.stderr[-500:]))
    return {e["employee_id"] for s in json.loads(out.stdout)["shards"]
            for e in s["employees"]}


def at_ends(bs, group, ds, ports, timeout=90):
    """Waits until group's offsets of the input and of the repartition
    topic reach their ends; fails with the instances' logs and gates."""
    for topic in (tl.IN, tl.IN + ".repartition"):
        if tl.committed_at_end(bs, group, topic, timeout) is not True:
            for n, d in ds.items():
                sys.stderr.write("---- %s ----\n%s\n%s\n" % (
                    n, d.output()[-5000:], tl.debug_metrics(ports[n])))
            kt.fail("%s: %s" % (topic, tl.committed_at_end(bs, group, topic, 0)))


def stall(bs, group, ds, ports):
    """SIGSTOPs one survivor until the other owns every partition and the
    group's offsets are at the ends, then resumes it; returns its name."""
    name = sorted(ds)[0]
    frozen, other = ds[name], next(d for n, d in ds.items() if n != name)
    frozen.proc.send_signal(signal.SIGSTOP)
    kt.log("%s SIGSTOPped" % name)
    try:
        kt.wait_for(lambda: other.owned() == tl.ALL, 60,
                    "the other survivor to own every partition")
        at_ends(bs, group, {n: d for n, d in ds.items() if d is other}, ports)
    finally:
        frozen.proc.send_signal(signal.SIGCONT)
    kt.log("%s resumed" % name)
    return name


def main():
    kt.require_kafka()
    ids = ["K%03d" % i for i in range(N)]
    ports = {n: kt.free_port() for n in ("ref", "a", "b", "c")}
    group = "retentiond-kill-" + str(os.getpid())
    hires = []
    for i, e in enumerate(ids):
        h = kt.workforce([e], "h")[0]
        h["id"], h["time"] = "h-" + e, "2025-01-%02dT09:00:00Z" % (1 + i % 28)
        hires.append(h)
    gone = {ids[7], ids[20]}
    with tempfile.TemporaryDirectory() as tmp, \
            kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        key = tl.key_file(tmp)
        ref = tl.reference(bs, ports["ref"], key)
        ds = {n: tl.instance(bs, group, ports[n], key) for n in ("a", "b", "c")}
        with ref, ds["a"], ds["b"], ds["c"]:
            tl.wait_owned([ref], tl.ALL)
            tl.wait_owned(list(ds.values()), tl.ALL)
            home = {h["subject"]: p for h, (p, _) in
                    zip(hires, kt.produce(bs, tl.IN, [kt.structured(h) for h in hires]))}
            kt.produce(bs, tl.IN, [kt.structured(survey(e, "s1", 2, i))
                                   for i, e in enumerate(ids)], conf=CRC)
            kt.wait_committed(bs, group, tl.IN, timeout=60)
            rest = keyless(survey(e, "s2", 4, i) for i, e in enumerate(ids))
            rest += [kt.structured(x) for x in kt.exits_of(ids, "w")]
            rest.append(erasure(ids[7], home, "2025-06-01T09:00:00Z"))
            kt.produce(bs, tl.IN, rest)
            name = max(ds, key=lambda n: len(ds[n].owned()))
            killed = ds.pop(name)
            lost = killed.owned()
            killed.proc.kill()
            killed.proc.wait()
            kt.log("%s SIGKILLed mid-stream, owning %s" % (name, sorted(lost)))
            stalled = stall(bs, group, ds, ports)
            tl.wait_owned(list(ds.values()), tl.ALL, timeout=90)
            late = [kt.structured(survey(e, "s3", 10, i)) for i, e in enumerate(ids)]
            kt.produce(bs, tl.IN, late, conf=CRC)
            kt.produce(bs, tl.IN, keyless(survey(e, "s4", 11, i)
                                          for i, e in enumerate(ids))
                       + [erasure(ids[20], home, "2025-11-20T09:00:00Z")])
            # the last epoch's re-routed records (and the late ones read
            # back in it) are applied at its end: end it, or the
            # repartition commits stay before them by design
            kt.close_epoch(bs, tl.IN, "2025-12-15T09:00:00Z")
            at_ends(bs, group, ds, ports)
            kt.wait_committed(bs, ref.group, tl.IN, timeout=60)
            kt.wait_committed(bs, ref.group, tl.REF_REPARTITION, timeout=60)
            tl.check_alone(ports["ref"])
            live = [ports[n] for n in ds]
            restored = tl.total(live, "retentiond_checkpoint_images_restored_total")
            refused = tl.total(live, "retentiond_checkpoint_images_refused_total")
            logs = "".join(d.output() for d in ds.values())
            back = {p for p in lost if "partition %d restored from" % p in logs}
            kt.check(back == lost and restored >= len(lost) and refused == 0,
                     "survivors restored %s of %s (%s images), refused %s"
                     % (sorted(back), sorted(lost), restored, refused))
            kt.check(any(ev == "lost" for ev, _ in ds[stalled].assignments()),
                     "the stalled survivor never lost its assignment:\n%s"
                     % ds[stalled].output()[-3000:])
            for port in live:
                prov = kt.metric(port, "retentiond_employees_provisional_total")
                kt.check(prov == 0, "%s records created provisionally on :%d"
                         % (prov, port))
            n = tl.compare(ids, live, ports["ref"], MODEL_EQUAL, gone=gone)
            for d in ds.values():
                rc = d.stop()
                kt.check(rc == 0, "exit %s:\n%s" % (rc, d.output()[-3000:]))
                kt.check(not gone & dumped_ids(d), "an erased employee is in "
                         "a survivor's checkpoint")
            ref.stop()
    print("ok: %d employees, one record each across the survivors%s"
          % (n, ", model figures included" if MODEL_EQUAL else ""))


if __name__ == "__main__":
    kt.run(main)
