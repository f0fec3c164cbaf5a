#!/usr/bin/python3
"""A poison pill cannot stop the daemon: an input too large for the DLQ
whole is kept as a bounded prefix, and what follows it is processed.

A ~1 MB message (under Kafka's default broker limit of 1,048,588 bytes,
over the daemon producer's default message.max.bytes of 1,000,000) sits
between valid events on one partition. librdkafka's mock cluster enforces
no size limit of its own, so the test's producer raises its own
message.max.bytes to deliver it, as a client of a real cluster could; the
limit that bites is the daemon's producer's, as in production. Checked:
  - the DLQ holds exactly one record for it, with the headers of a cut
    record: truncated = "true", original.size = the input's size,
    original.fnv1a64 = FNV-1a 64 of the whole input (recomputed here),
    and a value that is a prefix of the input, within the producer limit;
  - the events after it are processed (an alert caused by the last one);
  - the committed offset reaches the end of the partition, past the pill;
  - the daemon never exits, and SIGTERM ends it with status 0.
Then the same with a 100 KB record and message.max.bytes = 80000 set in
[kafka], and a key longer than the DLQ keeps (original.key_size).
A broker that refuses a record at delivery (as a real one does over a
topic's max.message.bytes; the mock is told to with SIGHUP) is per
message too: the refused DLQ record goes again as a 1 KiB stub that says
so, and the daemon carries on and commits.
Last, message.max.bytes = 1000 (librdkafka's least) makes the producer
refuse the model estimates (published every 2 events) for their size:
each goes to the DLQ in its place with
output.topic, and the input is still committed.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN, ALERTS, DLQ = "hr.events", "hr.attrition.alerts", "hr.events.dlq"
PILL_BYTES = 1040000            # < 1,048,588 (broker), > 1,000,000 (producer)


def fnv1a64(b):
    h = 0xcbf29ce484222325
    for c in b:
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
    return "%016x" % h


def hire(subj, eid, day):
    return kt.structured(kt.cloudevent(
        "hr.employee.hired", subj, eid, "2025-01-%02dT09:00:00Z" % day,
        {"department": "Ops", "job_level": 2, "salary": 40000}))


def pill(size):
    head = b'{"specversion":"1.0","id":"p-1","note":"'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def check_cut(r, value, limit, label):
    h = {k: v.decode() for k, v in r.headers.items()}
    kt.validate(kt.load_schemas(["dlq-headers"])["dlq-headers"], h, label + " headers")
    kt.check(h.get("truncated") == "true", "%s: headers %s lack truncated=true"
             % (label, sorted(h)))
    kt.check(h.get("original.size") == str(len(value)), "%s: original.size %r, "
             "expected %d" % (label, h.get("original.size"), len(value)))
    kt.check(h.get("original.fnv1a64") == fnv1a64(value), "%s: original.fnv1a64 "
             "%r, expected %s" % (label, h.get("original.fnv1a64"), fnv1a64(value)))
    kept = r.value_bytes or b""
    kt.check(0 < len(kept) < len(value) and value.startswith(kept),
             "%s: DLQ value (%d bytes) is not a proper prefix of the input"
             % (label, len(kept)))
    wire = len(kept) + len(r.key_bytes or b"") + sum(
        len(k) + len(v) for k, v in r.headers.items())
    kt.check(wire <= limit, "%s: DLQ record of %d bytes over the limit %d"
             % (label, wire, limit))
    kt.check(h.get("error") and "\n" not in h["error"], "%s: error header %r"
             % (label, h.get("error")))
    return h


def run(label, value, key, sections, limit, produce_conf):
    with kt.MockBroker(topics=kt.default_topics(partitions=1)) as broker:
        bs = broker.bootstrap
        cfg = {"alerts": {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0}}
        for sec, kv in sections.items():
            cfg.setdefault(sec, {}).update(kv)
        with kt.Daemon(bs, cfg) as d:
            d.wait_log("assigned")
            where = kt.produce(bs, IN, [hire("E1", "g-1", 1), (key, value, None),
                                        hire("E2", "g-2", 2), hire("E3", "g-last", 3)],
                               conf=produce_conf)
            dlq = kt.consume(bs, DLQ, until=lambda rs: len(rs) >= 1, timeout=60)
            alerts = kt.consume(bs, ALERTS, timeout=60,
                                until=lambda rs: any(r.key == "E3" for r in rs))
            last = [r.json() for r in alerts if r.key == "E3"][0]
            kt.check(last["caused_by"] == "g-last", "%s: alert for E3 caused by %r"
                     % (label, last["caused_by"]))
            end, com = kt.wait_committed(bs, d.group, IN, timeout=60)
            kt.check(com[0] > where[1][1], "%s: committed %s, not past the pill at %d"
                     % (label, com, where[1][1]))
            kt.check(d.alive(), "%s: daemon died:\n%s" % (label, d.output()[-3000:]))
            dlq = kt.consume(bs, DLQ)
            kt.check(len(dlq) == 1, "%s: %d DLQ records, expected 1" % (label, len(dlq)))
            h = check_cut(dlq[0], value, limit, label)
            kt.check(h.get("source.offset") == str(where[1][1]),
                     "%s: source.offset %r" % (label, h.get("source.offset")))
            kt.check("bytes are kept" in d.output(),
                     "%s: no log line for the cut record" % label)
            rc = d.stop(timeout=20)
            kt.check(rc == 0, "%s: exit %s on SIGTERM:\n%s" % (label, rc, d.output()[-3000:]))
            kt.log("%s: DLQ kept %d of %d bytes, committed %s" % (
                label, len(dlq[0].value_bytes or b""), len(value), com))
            return dlq[0]


def main():
    kt.require_kafka()
    value = pill(PILL_BYTES)
    run("1 MB pill", value, "E1", {}, 1000000, {"message.max.bytes": 2000000})
    r = run("100 KB, limit 80000", b"y" * 100000, "E1",
            {"kafka": {"message.max.bytes": 80000}}, 80000, None)
    kt.check(r.key_bytes == b"E1", "key %r, expected the input's" % r.key_bytes)
    long_key = "K" * 5000
    r = run("long key", pill(200000), long_key,
            {"kafka": {"message.max.bytes": 80000}}, 80000, None)
    kt.check(r.key_bytes == long_key.encode()[:1024] and
             r.headers.get("original.key_size") == b"5000",
             "long key: kept %d key bytes, original.key_size %r"
             % (len(r.key_bytes or b""), r.headers.get("original.key_size")))
    broker_refuses()
    refused_outputs()
    print("ok: poison pills cut to fit the DLQ, the daemon carried on")


def broker_refuses():
    bad = b"<not json>" + b"z" * 5000
    with kt.MockBroker(topics=kt.default_topics(partitions=1)) as broker:
        bs = broker.bootstrap
        where = kt.produce(bs, IN, [("E1", bad, None), hire("E1", "b-1", 1),
                                    hire("E2", "b-last", 2)])
        broker.refuse_next_produce()    # the daemon's first: the DLQ record
        with kt.Daemon(bs, {}) as d:
            kt.wait_committed(bs, d.group, IN, timeout=60)
            kt.check(d.alive(), "daemon died:\n" + d.output()[-3000:])
            kt.check("refused by the broker" in d.output(),
                     "no refusal logged:\n" + d.output()[-2000:])
            dlq = kt.consume(bs, DLQ)
            kt.check(len(dlq) == 1, "%d DLQ records, expected 1" % len(dlq))
            r = dlq[0]
            h = {k: x.decode() for k, x in r.headers.items()}
            kt.validate(kt.load_schemas(["dlq-headers"])["dlq-headers"], h, "stub headers")
            kt.check(h["source.offset"] == str(where[0][1]) and h.get("truncated") == "true"
                     and h.get("original.size") == str(len(bad))
                     and h.get("original.fnv1a64") == fnv1a64(bad)
                     and r.value_bytes == bad[:1024] and "error" in h,
                     "stub: %d bytes, headers %s" % (len(r.value_bytes or b""), h))
            rc = d.stop(timeout=20)
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
            kt.log("broker refusal: stub of %d bytes on the DLQ" % len(r.value_bytes))


def refused_outputs():
    """Estimates larger than the producer's message.max.bytes: they go out
    when an epoch boundary is crossed, caused by no input (produce.c: a
    timed publication, the next one replaces it), so the refusal is counted
    and logged, never a reason to stop, and the input behind it commits."""
    with kt.MockBroker(topics=kt.default_topics(partitions=1)) as broker:
        bs = broker.bootstrap
        cfg = {"alerts": {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0},
               "kafka": {"message.max.bytes": 1000}}
        with kt.Daemon(bs, cfg) as d:
            d.wait_log("assigned")
            kt.produce(bs, IN, [hire("E%d" % i, "r-%d" % i, 1 + i) for i in range(5)])
            kt.wait_committed(bs, d.group, IN, timeout=60)
            kt.check(d.alive(), "daemon died:\n" + d.output()[-3000:])
            d.wait_log("to hr.model.estimates was refused")
            rc = d.stop(timeout=20)
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
            kt.check(not [r for r in kt.consume(bs, DLQ) if r.headers.get("output.topic")
                          and r.headers.get("source.topic") is None],
                     "a refused output without a source reached the DLQ")
            kt.log("refused estimates counted and logged; the input committed")


if __name__ == "__main__":
    try:
        main()
    except kt.Timeout as e:
        kt.fail(str(e))
