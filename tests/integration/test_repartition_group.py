#!/usr/bin/python3
"""Re-routing across instances: two retentiond instances in one group.

A mock cluster holds hr.events with 4 partitions; instances A and B share
them. 16 employees are hired through a murmur2 producer (their canonical
partitions), then get a survey round from librdkafka's default CRC-32
partitioner and a key-less round; one employee's erasure is produced to a
partition owned by the instance that does not own the employee, so that it
has to cross from one instance to the other; erasures of unknown ids a
month later, on every partition where they belong, end the epoch of the
last re-routed events (they apply at its end). Checked once the group's
offsets of the input and of the repartition topic reach their ends: the
re-routed events counted where they arrived (retentiond_repartitioned_total,
summed over A and B) equal those without a key plus those that landed away
from their employee's partition, and all of them were read back
(retentiond_repartition_consumed_total); every other employee is served by
exactly one instance, the owner of its partition, as one record that
holds its hire's department and its key-less survey's time, and no record
anywhere was created provisionally; the erased employee is served by
neither. When the group rebalanced meanwhile, records are not restored yet
across a move (issue 9 item 1), so only the counters are checked, and the
test says so.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN = "hr.events"
ALL = {0, 1, 2, 3}
N = 16
CT = [("content-type", b"application/cloudevents+json")]


def survey(emp, tag, month, i):
    return kt.cloudevent("hr.survey.submitted", emp, "%s-%s" % (tag, emp),
                         "2025-%02d-%02dT09:00:00Z" % (month, 1 + i % 28),
                         {"satisfaction": 20, "engagement": 30, "intent_to_stay": 20})


def produce_rounds(bs, ids, home):
    """Surveys by CRC-32 and without a key; returns the later round and
    how many events must be re-routed (away from their employee's
    partition, or without a key)."""
    s1 = [survey(e, "s1", 2, i) for i, e in enumerate(ids)]
    got = kt.produce(bs, IN, [kt.structured(e) for e in s1],
                     conf={"partitioner": "consistent_random"})
    moved = sum(1 for e, (p, _) in zip(s1, got) if p != home[e["subject"]])
    s2 = [survey(e, "s2", 4, i) for i, e in enumerate(ids)]
    got = kt.produce(bs, IN, [(None, json.dumps(e).encode(), CT) for e in s2])
    moved += len(got)       # without a key: always re-routed
    return s2, moved


def total(ports, name):
    vals = [kt.metric(p, name) for p in ports]
    return None if None in vals else sum(vals)


def main():
    kt.require_kafka()
    ids = ["G%03d" % i for i in range(N)]
    ports = [kt.free_port(), kt.free_port()]
    with kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        group = "retentiond-rp-" + str(os.getpid())

        def daemon(port):
            return kt.Daemon(bs, {"kafka": {"group.id": group, "heartbeat.interval.ms": 1000},
                                  "http": {"listen": "127.0.0.1:%d" % port},
                                  # commits never run ahead of a checkpoint
                                  "state": {"checkpoint_seconds": 1}})
        with daemon(ports[0]) as a, daemon(ports[1]) as b:
            def split():
                kt.check(a.alive() and b.alive(), "an instance died:\n%s\n%s"
                         % (a.output()[-2000:], b.output()[-2000:]))
                oa, ob = a.owned(), b.owned()
                return oa and ob and not (oa & ob) and (oa | ob) == ALL
            kt.wait_for(split, 60, "both instances to share the 4 partitions")
            marks = (len(a.assignments()), len(b.assignments()))
            owner = {p: (ports[0] if p in a.owned() else ports[1]) for p in ALL}

            hires = []
            for i, e in enumerate(ids):
                h = kt.workforce([e], "h")[0]
                h["id"], h["time"] = "h-" + e, "2025-01-%02dT09:00:00Z" % (1 + i)
                hires.append(h)
            home = {h["subject"]: p for h, (p, _) in
                    zip(hires, kt.produce(bs, IN, [kt.structured(h) for h in hires]))}
            s2, moved = produce_rounds(bs, ids, home)
            victim = ids[3]
            there = next(p for p in sorted(ALL) if owner[p] != owner[home[victim]])
            er = kt.cloudevent("hr.employee.erased", victim, "x-" + victim,
                               "2025-05-01T09:00:00Z")
            kt.produce(bs, IN, [(victim, json.dumps(er).encode(), CT, there)])
            moved += 1
            # a re-routed event applies at the end of its epoch: end May 1's
            kt.close_epoch(bs, IN, "2025-06-01T09:00:00Z")
            kt.log("%d of %d events to re-route (no key, or away from their partition)"
                   % (moved, 2 * N + 1))

            kt.wait_committed(bs, group, IN, timeout=60)
            # applied and delivered: the group's offsets of the repartition
            # topic reach its end too (each of its partitions serves one
            # input partition here, so its owner commits it)
            kt.wait_committed(bs, group, IN + ".repartition", timeout=60)
            try:
                kt.wait_for(lambda: total(ports, "retentiond_repartitioned_total") == moved
                            and total(ports, "retentiond_repartition_consumed_total") == moved,
                            30, "every re-routed event to be read back")
            except kt.Timeout:
                kt.fail("re-routed %s, read back %s, expected %d each" % (
                    total(ports, "retentiond_repartitioned_total"),
                    total(ports, "retentiond_repartition_consumed_total"), moved))
            if (len(a.assignments()), len(b.assignments())) != marks:
                kt.log("the group rebalanced during the test: records are not "
                       "restored across a move yet, only the counters checked")
            else:
                check_records(ports, owner, home, hires, s2, ids, victim)
            for d in (a, b):
                rc = d.stop()
                kt.check(rc == 0, "exit %s:\n%s" % (rc, d.output()[-3000:]))
    print("ok: %d events re-routed across two instances" % moved)


def check_records(ports, owner, home, hires, s2, ids, victim):
    for port in ports:
        prov = kt.metric(port, "retentiond_employees_provisional_total")
        kt.check(prov == 0, "%s records created provisionally on :%d" % (prov, port))
    for i, e in enumerate(ids):
        answers = {}
        for port in ports:
            st, body = kt.http_get(port, "/v1/employees/" + e)
            answers[port] = (st, body)
        ok = [p for p, (st, _) in answers.items() if st == 200]
        if e == victim:
            kt.check(not ok, "the erased employee is still served by %s" % ok)
            continue
        kt.check(ok == [owner[home[e]]], "%s served by %s, not only by the owner "
                 "of its partition %d (:%d)" % (e, ok, home[e], owner[home[e]]))
        rec = json.loads(answers[ok[0]][1])["state"]
        kt.check(rec["department"] == hires[i]["data"]["department"] and
                 rec["last_event"] == s2[i]["time"] and not rec["provisional"],
                 "%s: %s" % (e, rec))


if __name__ == "__main__":
    try:
        main()
    except kt.Timeout as e:
        kt.fail(str(e))
