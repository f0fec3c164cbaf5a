#!/usr/bin/python3
"""One employee, one record, whatever producer sent the events (route.c).

A mock cluster holds hr.events with 4 partitions; one daemon owns them all.
For 24 employees:
  - hires come from a producer with partitioner=murmur2_random (the Java
    client's placement, CONTRACT.md): none of them may be re-routed, so the
    daemon's murmur2 agrees with a real client's on every key;
  - a survey round comes from librdkafka's default partitioner
    (consistent_random, CRC-32), keyed: those that landed elsewhere than the
    hire are re-routed;
  - a second survey round comes without a key (as CloudEvents SDKs send
    by default), on whatever partition the client picks: always re-routed,
    even where the pick was right;
  - one employee's erasure is produced to a partition that is not theirs;
  - erasures of unknown ids, a month later, on every partition where they
    belong: a re-routed event applies at the end of its epoch, and these
    end the erasure's.
Checked, once the group's offsets of the input and of the repartition topic
reach their ends (the re-routed events are applied and their outputs
delivered): retentiond_repartitioned_total and
retentiond_repartition_consumed_total equal the number of events without a
key plus those that did not land on their employee's partition (counted
from the clients' own delivery reports); no record was created provisionally (a survey applied
in a shard without its hire would create one); every remaining employee is
one record holding its hire's department and its last survey's time; the
erased employee is gone (404) and the record count is 23.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN = "hr.events"
N = 24


def survey(emp, tag, month, i):
    return kt.cloudevent("hr.survey.submitted", emp, "%s-%s" % (tag, emp),
                         "2025-%02d-%02dT09:00:00Z" % (month, 1 + i % 28),
                         {"satisfaction": 20, "engagement": 30, "intent_to_stay": 20})


def main():
    kt.require_kafka()
    ids = ["R%03d" % i for i in range(N)]
    victim = ids[5]
    port = kt.free_port()
    with kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        # checkpoints every second: commits never run ahead of one
        cfg = {"http": {"listen": "127.0.0.1:%d" % port}, "state": {"checkpoint_seconds": 1}}
        with kt.Daemon(bs, cfg) as d:
            kt.wait_for(lambda: d.owned() == {0, 1, 2, 3} or not d.alive(), 40,
                        "the daemon to own every partition")
            kt.check(d.alive(), "daemon died:\n" + d.output()[-3000:])
            hires = [kt.workforce([e], "h")[0] for e in ids]
            for i, h in enumerate(hires):      # distinct ids and days
                h["id"] = "h-" + ids[i]
                h["time"] = "2025-01-%02dT09:00:00Z" % (1 + i % 28)
            home = {}
            for h, (p, _) in zip(hires, kt.produce(bs, IN, [kt.structured(h) for h in hires])):
                home[h["subject"]] = p
            kt.log("murmur2 placement: %s" % sorted(set(home.values())))

            s1 = [survey(e, "s1", 2, i) for i, e in enumerate(ids)]
            got1 = kt.produce(bs, IN, [kt.structured(e) for e in s1],
                              conf={"partitioner": "consistent_random"})
            moved = sum(1 for e, (p, _) in zip(s1, got1) if p != home[e["subject"]])
            s2 = [survey(e, "s2", 4, i) for i, e in enumerate(ids)]
            got2 = kt.produce(bs, IN, [(None, json.dumps(e).encode(),
                                        [("content-type", b"application/cloudevents+json")])
                                       for e in s2])
            # without a key, always re-routed (one path per employee)
            moved += len(got2)
            er = kt.cloudevent("hr.employee.erased", victim, "x-" + victim,
                               "2025-05-01T09:00:00Z")
            wrong = (home[victim] + 1) % 4
            kt.produce(bs, IN, [(victim, json.dumps(er).encode(),
                                 [("content-type", b"application/cloudevents+json")], wrong)])
            moved += 1
            # a re-routed event applies at the end of its epoch: end May 1's
            kt.close_epoch(bs, IN, "2025-06-01T09:00:00Z")
            kt.log("%d of %d events to re-route (no key, or away from their partition)"
                   % (moved, 2 * N + 1))
            kt.check(moved > 1, "the CRC-32 and key-less rounds moved nothing: "
                     "the test would not exercise re-routing")

            kt.wait_committed(bs, d.group, IN, timeout=60)
            # applied and delivered: the group's offsets of the repartition
            # topic reach its end too (each of its partitions serves one
            # input partition here, so its owner commits it)
            kt.wait_committed(bs, d.group, IN + ".repartition", timeout=60)

            kt.wait_rerouted(port, moved, timeout=30)

            def applied():
                st, body = kt.http_get(port, "/v1/employees/" + victim)
                return st == 404
            kt.wait_for(applied, 30, "the erasure sent to another partition to apply")
            prov = kt.metric(port, "retentiond_employees_provisional_total")
            kt.check(prov == 0, "%s records created provisionally: an employee's "
                     "events met in two shards" % prov)
            for i, e in enumerate(ids):
                if e == victim:
                    continue
                st, body = kt.http_get(port, "/v1/employees/" + e)
                kt.check(st == 200, "GET %s: %s" % (e, st))
                rec = json.loads(body)["state"]
                kt.check(rec["department"] == hires[i]["data"]["department"],
                         "%s: department %s" % (e, rec["department"]))
                kt.check(rec["last_event"] == s2[i]["time"], "%s: last event %s, "
                         "expected the key-less survey's %s" % (e, rec["last_event"],
                                                                 s2[i]["time"]))
                kt.check(not rec["provisional"], "%s is provisional" % e)
            st, body = kt.http_get(port, "/metrics")
            kt.check('retentiond_employees{status="all"} %d' % (N - 1) in body,
                     "not %d records in state:\n%s" % (N - 1, "\n".join(
                         line for line in body.splitlines()
                         if line.startswith("retentiond_employees"))))
            kt.check(all(v == 0 for v in kt.end_offsets(bs, "hr.events.dlq").values()),
                     "valid events in the DLQ")
            rc = d.stop()
            kt.check(rc == 0, "exit %s:\n%s" % (rc, d.output()[-3000:]))
    print("ok: %d of %d events re-routed, one record per employee" % (moved, 2 * N + 1))


if __name__ == "__main__":
    try:
        main()
    except kt.Timeout as e:
        kt.fail(str(e))
