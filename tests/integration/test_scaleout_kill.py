#!/usr/bin/python3
"""Three instances in one group, one SIGKILLed mid-stream and never
restarted (issue 9 item 5).

A mock cluster holds hr.events (4 partitions). A reference instance (its
own group) reads everything alone; instances A, B and C share group G and
publish their partitions' images to retentiond.checkpoints. 48 employees
are hired through a murmur2 producer, surveyed through librdkafka's
CRC-32 partitioner (wrongly partitioned) and again without a key, then
some leave; one employee's erasure is produced to a partition other than
the employee's own. Once the hires and the first surveys are committed,
the rest is produced and the instance owning the most partitions is
SIGKILLed at once; the two survivors take its partitions over from their
images (retentiond_checkpoint_images_restored_total counts them, nothing
refused) and their translated registry ids. Checked once the group's
offsets of the input and of the repartition topic reach their ends:

  - every employee is served (GET /v1/employees/{id}) by exactly one
    survivor, as one record (nothing created provisionally), and its
    fields that come from events equal the reference's: the union of the
    survivors' state is one instance's;
  - the erased employee is served by nobody, and after a SIGTERM neither
    survivor's checkpoint (retentiond --dump-checkpoint) holds it.

Model-dependent figures (risk, alerts, relative pay) equal one instance's
only once every instance fits from every partition's statistics (the
shared statistics of issue 9 item 3); MODEL_EQUAL (or SCALEOUT_MODEL=1)
switches their comparison on.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402
import takeover_lib as tl  # noqa: E402

MODEL_EQUAL = os.environ.get("SCALEOUT_MODEL") == "1"
N = 48
CT = [("content-type", b"application/cloudevents+json")]


def survey(emp, tag, month, i):
    return kt.cloudevent("hr.survey.submitted", emp, "%s-%s" % (tag, emp),
                         "2025-%02d-%02dT09:00:00Z" % (month, 1 + i % 28),
                         {"satisfaction": 20 + i % 30, "engagement": 30,
                          "intent_to_stay": 20})


def dumped_ids(d):
    path = os.path.join(d.state, "checkpoints", tl.IN + ".ckpt")
    out = subprocess.run([kt.binary("retentiond"), "--dump-checkpoint", path],
                         capture_output=True, text=True, timeout=30)
    kt.check(out.returncode == 0, "dump of %s: %s" % (path, out.stderr[-500:]))
    return {e["id"] for s in json.loads(out.stdout)["shards"] for e in s["employees"]}


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
                                   for i, e in enumerate(ids)],
                       conf={"partitioner": "consistent_random"})
            kt.wait_committed(bs, group, tl.IN, timeout=60)
            victim = ids[7]
            there = next(p for p in sorted(tl.ALL) if p != home[victim])
            er = kt.cloudevent("hr.employee.erased", victim, "x-" + victim,
                               "2025-06-01T09:00:00Z")
            rest = [(None, json.dumps(survey(e, "s2", 4, i)).encode(), CT)
                    for i, e in enumerate(ids)]
            rest += [kt.structured(x) for x in kt.exits_of(ids, "w")]
            rest.append((victim, json.dumps(er).encode(), CT, there))
            kt.produce(bs, tl.IN, rest)
            name = max(ds, key=lambda n: len(ds[n].owned()))
            gone = ds.pop(name)
            lost = gone.owned()
            gone.proc.kill()
            gone.proc.wait()
            kt.log("%s SIGKILLed mid-stream, owning %s" % (name, sorted(lost)))
            live = [ports[n] for n in ds]
            tl.wait_owned(list(ds.values()), tl.ALL, timeout=90)
            for topic in (tl.IN, tl.IN + ".repartition"):
                if not tl.committed_at_end(bs, group, topic, 90):
                    for n, d in ds.items():
                        sys.stderr.write("---- %s ----\n%s\n%s\n" % (
                            n, d.output()[-5000:], tl.debug_metrics(ports[n])))
                    kt.fail("%s: %s" % (topic, tl.committed_at_end(bs, group, topic, 0)))
            kt.wait_committed(bs, ref.group, tl.IN, timeout=60)
            kt.wait_committed(bs, ref.group, tl.IN + ".repartition", timeout=60)
            restored = tl.total(live, "retentiond_checkpoint_images_restored_total")
            refused = tl.total(live, "retentiond_checkpoint_images_refused_total")
            logs = "".join(d.output() for d in ds.values())
            back = {p for p in lost if "partition %d restored from" % p in logs}
            kt.check(back == lost and restored >= len(lost) and refused == 0,
                     "survivors restored %s of %s (%s images), refused %s"
                     % (sorted(back), sorted(lost), restored, refused))
            for port in live:
                prov = kt.metric(port, "retentiond_employees_provisional_total")
                kt.check(prov == 0, "%s records created provisionally on :%d"
                         % (prov, port))
            if os.environ.get("SCALEOUT_DEBUG"):
                for r in kt.consume(bs, "hr.events.dlq"):
                    sys.stderr.write("DLQ %s %s %s\n" % (r.key_bytes, r.partition,
                                     getattr(r, "headers", None)))
            n = tl.compare(ids, live, ports["ref"], MODEL_EQUAL, gone={victim})
            for d in ds.values():
                rc = d.stop()
                kt.check(rc == 0, "exit %s:\n%s" % (rc, d.output()[-3000:]))
                kt.check(victim not in dumped_ids(d), "the erased employee is in "
                         "a survivor's checkpoint")
            ref.stop()
    print("ok: %d employees, one record each across the survivors%s"
          % (n, ", model figures included" if MODEL_EQUAL else ""))


if __name__ == "__main__":
    kt.run(main)
