#!/usr/bin/python3
"""A partition's state moves through Kafka: a new owner with an empty disk.

A mock cluster holds hr.events (4 partitions). A reference instance (its
own group, no checkpoint topic) reads everything alone. Instance A (group
G, [topics] checkpoints = retentiond.checkpoints) reads the first part of
a workforce (hires and a survey round for 60 employees), is checkpointed
(its images published: retentiond_checkpoint_images_published_total and
the group's offsets at the end, which commits only reach once the images
are delivered), then the rest is produced and A is SIGKILLed at once,
mid-stream. Instance B, same group, an EMPTY state directory, takes all
four partitions over: it restores each from its image
(retentiond_checkpoint_images_restored_total = 4, nothing refused), reads
on from the offsets the images reflect, and ends serving every employee
(GET /v1/employees/{id}) exactly as the reference does: the fields that
come from events and, since B took the epoch state over with the images,
the model's figures too; an employee erased in the second part is served
by neither.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402
import takeover_lib as tl  # noqa: E402

N = 60


def main():
    kt.require_kafka()
    ids = ["T%03d" % i for i in range(N)]
    evs = kt.workforce(ids, "w")
    first = [e for e in evs if e["id"].startswith(("w-h-", "w-s0-"))]
    rest = [e for e in evs if e not in first]
    victim = ids[5]
    rest.append(kt.cloudevent("hr.employee.erased", victim, "x-" + victim,
                              "2025-10-01T09:00:00Z"))
    ports = {n: kt.free_port() for n in ("ref", "a", "b")}
    group = "retentiond-takeover-" + str(os.getpid())
    with tempfile.TemporaryDirectory() as tmp, \
            kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        key = tl.key_file(tmp)
        ref = tl.reference(bs, ports["ref"], key)
        a = tl.instance(bs, group, ports["a"], key)
        with ref, a:
            tl.wait_owned([ref], tl.ALL)
            tl.wait_owned([a], tl.ALL)
            kt.produce(bs, tl.IN, [kt.structured(e) for e in first])
            kt.wait_committed(bs, group, tl.IN, timeout=60)
            kt.check((kt.metric(ports["a"], "retentiond_checkpoint_images_published_total")
                      or 0) >= 4, "A published no images")
            kt.produce(bs, tl.IN, [kt.structured(e) for e in rest])
            a.proc.kill()
            a.proc.wait()
            kt.log("A SIGKILLed mid-stream")
            b = tl.instance(bs, group, ports["b"], key)
            with b:
                kt.check(not os.listdir(b.state), "B's state directory is not empty")
                tl.wait_owned([b], tl.ALL)
                kt.wait_committed(bs, group, tl.IN, timeout=60)
                kt.wait_committed(bs, ref.group, tl.IN, timeout=60)
                restored = kt.metric(ports["b"], "retentiond_checkpoint_images_restored_total")
                refused = kt.metric(ports["b"], "retentiond_checkpoint_images_refused_total")
                kt.check(restored == 4 and refused == 0,
                         "B restored %s images, refused %s:\n%s"
                         % (restored, refused, b.output()[-3000:]))
                n = tl.compare(ids, [ports["b"]], ports["ref"], model=True,
                               gone={victim})
                rc = b.stop()
                kt.check(rc == 0, "B exit %s:\n%s" % (rc, b.output()[-3000:]))
            ref.stop()
    print("ok: %d employees served by the new owner as by one instance" % n)


if __name__ == "__main__":
    kt.run(main)
