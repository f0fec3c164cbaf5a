#!/usr/bin/python3
"""retentiond and the CloudEvents Kafka binding, judged by clients nobody
here wrote: KafkaJS moves the records, the CloudEvents JavaScript SDK
(npm `cloudevents`, its Kafka binding) writes and reads them. Both are
pinned in tests/integration/js/ and installed there with `npm ci` when
missing; without node or npm the test is skipped.

Part 1, input: the SDK writes every event of a workload in one of four
shapes, round robin: binary mode, structured mode, structured with a
ce_specversion header beside it (the daemon once took that for binary mode
and rejected it), structured with every binary-mode header beside it (the
binding allows it). Checked: every event applied (/metrics counts them,
/v1/employees knows each employee), none rejected, the DLQ empty. The
daemon runs with the default output format: the estimates published
before the first event say event_time null, and every output carries
content-type application/json.

Part 2, output: a daemon with [output] format = cloudevents publishes a
workload's alerts, suggestions, plans and estimates. KafkaJS reads every
record and the SDK's Kafka.toEvent() parses it and validate() checks it.
Checked: no record refused; content-type application/cloudevents+json;
`type` per kind, `source` as configured, `id` equal to the payload's id
(the alert's with its status; a hash for estimates), `subject` the key for
alerts and suggestions; the envelope validates against
docs/schemas/output-cloudevent.json and `data` against its own schema.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN, ALERTS, SUGG, EST, DLQ = ("hr.events", "hr.attrition.alerts",
                              "hr.retention.suggestions", "hr.model.estimates",
                              "hr.events.dlq")
JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
MODES = ["binary", "structured", "structured+ce", "structured+all"]
SOURCE = "/it/retentiond"
TYPES = {"alert": "com.retentiond.attrition.alert",
         "suggestion": "com.retentiond.retention.suggestion",
         "plan": "com.retentiond.retention.plan",
         "estimates": "com.retentiond.model.estimates"}
ALERTS_CFG = {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0}


def node_ready():
    """Skips without node or npm; installs the pinned packages when missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        kt.skip("node or npm is not installed")
    if not os.path.isdir(os.path.join(JS, "node_modules", "cloudevents")) or \
            not os.path.isdir(os.path.join(JS, "node_modules", "kafkajs")):
        kt.log("npm ci in", JS)
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=600)
        kt.check(r.returncode == 0, "npm ci failed (%d):\n%s%s"
                 % (r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    return node


def js(node, *args, timeout=120):
    """Runs ce_client.js; returns its stdout lines, fails on a non-zero exit."""
    try:
        r = subprocess.run([node, os.path.join(JS, "ce_client.js")] + list(args),
                           cwd=JS, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        kt.fail("ce_client.js %s did not finish within %d s" % (args[0], timeout))
    kt.check(r.returncode == 0, "ce_client.js %s exited %d:\n%s%s"
             % (args[0], r.returncode, r.stdout[-2000:], r.stderr[-3000:]))
    return [line for line in r.stdout.splitlines() if line.strip()]


def sdk_produce(node, bootstrap, events, tmpdir):
    """Writes events ([(mode, dict)]) to hr.events through the SDK's binding."""
    path = os.path.join(tmpdir, "events.json")
    with open(path, "w") as f:
        json.dump([{"mode": m, "event": dict(e, datacontenttype="application/json")}
                   for m, e in events], f)
    out = js(node, "produce", bootstrap, IN, path)
    kt.check(out and json.loads(out[-1]).get("produced") == len(events),
             "ce_client.js did not report %d records produced: %s" % (len(events), out))


def sdk_consume(node, bootstrap, topics, count):
    """[record dict] as ce_client.js reads and parses them."""
    lines = js(node, "consume", bootstrap, ",".join(topics), str(count), "60000",
               timeout=120)
    return [json.loads(line) for line in lines]


def labelled_sum(port, name):
    """Sum of every sample of family `name` on /metrics (0 when none)."""
    status, body = kt.http_get(port, "/metrics")
    kt.check(status == 200, "/metrics answered %s" % status)
    total = 0.0
    for line in body.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(None, 1)[1])
    return total


def total_records(bootstrap, topics):
    return sum(sum(kt.end_offsets(bootstrap, t).values()) for t in topics)


def with_modes(events, shift):
    return [(MODES[(i + shift) % len(MODES)], e) for i, e in enumerate(events)]


def input_modes(node, tmpdir, schemas):
    ids = ["CE%02d" % i for i in range(16)]
    evs = kt.workforce(ids, "ce-in")
    hires, rest = evs[:len(ids)], evs[len(ids):]
    port = kt.free_port()
    with kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        cfg = {"alerts": ALERTS_CFG, "http": {"listen": "127.0.0.1:%d" % port}}
        # Estimates go out at epoch boundaries and at shutdown: a daemon
        # stopped before any event publishes the clock as unknown, null.
        with kt.Daemon(bs, cfg) as d0:
            d0.wait_log("assigned")
            kt.check(d0.stop() == 0, "retentiond did not exit 0 on SIGTERM")
        with kt.Daemon(bs, cfg) as d:
            first = kt.consume(bs, EST, until=lambda rs: len(rs) >= 1, timeout=30)[0]
            kt.check(first.json()["event_time"] is None,
                     "estimates before the first event: event_time %r, not null"
                     % first.json()["event_time"])
            kt.validate(schemas["estimates"], first.json(), "the first estimates")
            kt.check(first.headers.get("content-type") == b"application/json",
                     "plain estimates: content-type %r" % first.headers.get("content-type"))

            sdk_produce(node, bs, with_modes(hires, 0), tmpdir)
            kt.wait_committed(bs, d.group, IN, timeout=60)
            sdk_produce(node, bs, with_modes(rest, 1), tmpdir)
            kt.wait_committed(bs, d.group, IN, timeout=60)
            kt.check(d.alive(), "daemon died:\n" + d.output()[-3000:])

            dlq = kt.consume(bs, DLQ)
            kt.check(not dlq, "%d SDK-written events went to the DLQ: %s"
                     % (len(dlq), sorted({r.headers.get("error", b"").decode() for r in dlq})))
            applied = labelled_sum(port, "retentiond_events_total")
            rejected = labelled_sum(port, "retentiond_events_rejected_total")
            kt.check(applied == len(evs) and rejected == 0,
                     "/metrics: %d applied, %d rejected of %d events"
                     % (applied, rejected, len(evs)))
            for e in ids:
                st, body = kt.http_get(port, "/v1/employees/" + e)
                kt.check(st == 200 and json.loads(body)["employee_id"] == e,
                         "/v1/employees/%s answered %s" % (e, st))
            alerts = kt.consume(bs, ALERTS)
            kt.check(alerts, "no alert published (threshold too high?)")
            for r in alerts + kt.consume(bs, SUGG):
                kt.check(r.headers.get("content-type") == b"application/json",
                         "%r: content-type %r" % (r, r.headers.get("content-type")))
                kt.check(b"specversion" not in r.value_bytes, "%r: plain output wrapped" % r)
            kt.check(d.stop() == 0, "retentiond did not exit 0 on SIGTERM")
    kt.log("input: %d events in %s applied" % (len(evs), MODES))
    return len(evs)


def payload_id(kind, rec):
    """The CloudEvents id the contract promises for data (None: a hash)."""
    data = rec["event"]["data"]
    if kind == "alert":
        return "%s-%s" % (data["alert_id"], data["status"])
    if kind in ("suggestion", "plan"):
        return data[kind + "_id"]
    return None


def check_output(rec, schemas, envelope):
    """Checks one record read by the SDK; returns its kind."""
    where = "%s[%d]@%s" % (rec["topic"], rec["partition"], rec["offset"])
    kt.check("event" in rec, where + ": the SDK refused it: %s" % rec.get("error"))
    ev = rec["event"]
    ctype = rec["headers"].get("content-type") or ""
    kt.check(ctype.startswith("application/cloudevents+json"), where + ": content-type %r" % ctype)
    data = ev["data"]
    if rec["topic"] == ALERTS:
        kind = "alert"
    elif rec["topic"] == SUGG:
        kind = data.get("type")
    else:
        kind = "estimates"
    kt.check(kind in TYPES, where + ": kind %r" % kind)
    kt.check(ev["type"] == TYPES[kind], where + ": type %r for a %s" % (ev["type"], kind))
    kt.check(ev["source"] == SOURCE, where + ": source %r" % ev["source"])
    kt.check(ev["specversion"] == "1.0" and ev["datacontenttype"] == "application/json",
             where + ": specversion/datacontenttype %r/%r"
             % (ev["specversion"], ev["datacontenttype"]))
    want = payload_id(kind, rec)
    if want is not None:
        kt.check(ev["id"] == want, where + ": id %r, the payload says %r" % (ev["id"], want))
    else:
        kt.check(len(ev["id"]) == 32, where + ": estimates id %r is not a hash" % ev["id"])
    if kind in ("alert", "suggestion"):
        kt.check(ev.get("subject") == data["employee_id"] == rec["key"],
                 where + ": subject %r, employee %r, key %r"
                 % (ev.get("subject"), data["employee_id"], rec["key"]))
    else:
        kt.check("subject" not in ev, where + ": a %s with a subject" % kind)
    # The schemas judge the bytes as published (the SDK rewrites `time`).
    raw = json.loads(rec["value"])
    kt.validate(envelope, raw, where)
    kt.validate(schemas[kind], raw["data"], where + " data")
    kt.check(raw["data"] == data, where + ": the SDK's data differs from the value's")
    return kind, ev["id"]


def output_format(node, schemas):
    ids = ["CO%02d" % i for i in range(16)]
    evs = kt.workforce(ids, "ce-out")
    hires, rest = evs[:len(ids)], evs[len(ids):]
    # Hired once the satisfaction relation has been fitted from the
    # surveys (the model changes at epoch boundaries): its alert comes with
    # a suggestion.
    late = kt.cloudevent("hr.employee.hired", "CO99", "ce-out-late", "2025-07-01T09:00:00Z",
                         {"department": "Sales", "job_level": 2, "salary": 41000,
                          "manager_id": "M1", "location": "Berlin"})
    # Incentives and training for half of them in March give the
    # satisfaction and ability relations something to fit before July.
    acts = []
    for i, e in enumerate(ids[::2]):
        acts.append(kt.cloudevent("hr.compensation.changed", e, "ce-out-c-" + e,
                                  "2025-03-%02dT09:00:00Z" % (1 + i),
                                  {"kind": "bonus", "amount": 2000 + 300 * i}))
        acts.append(kt.cloudevent("hr.training.completed", e, "ce-out-t-" + e,
                                  "2025-03-%02dT10:00:00Z" % (1 + i),
                                  {"hours": 8 + 4 * i, "cost": 400, "skill": "sql",
                                   "assessment": 50 + 3 * i}))
    rest = acts + rest[:3 * len(ids)] + [late] + rest[3 * len(ids):]
    with kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        # Estimates go out at epoch boundaries (event time known) and at
        # shutdown after the events: each has the `time` the SDK's toEvent()
        # insists on (optional in CloudEvents).
        cfg = {"alerts": ALERTS_CFG, "output": {"format": "cloudevents", "source": SOURCE}}
        with kt.Daemon(bs, cfg) as d:
            kt.produce(bs, IN, [kt.structured(e) for e in hires])
            kt.wait_committed(bs, d.group, IN, timeout=60)
            kt.produce(bs, IN, [kt.structured(e) for e in rest])
            kt.wait_committed(bs, d.group, IN, timeout=60)
            kt.check(d.stop() == 0, "retentiond did not exit 0 on SIGTERM")
        kt.check(total_records(bs, [DLQ]) == 0, "events went to the DLQ")
        n = total_records(bs, [ALERTS, SUGG, EST])
        recs = sdk_consume(node, bs, [ALERTS, SUGG, EST], n)
        kt.check(len(recs) == n, "the SDK read %d of %d records" % (len(recs), n))
    envelope = schemas["output-cloudevent"]
    counts, seen = {}, {}
    for rec in recs:
        kind, eid = check_output(rec, schemas, envelope)
        counts[kind] = counts.get(kind, 0) + 1
        kt.check(eid not in seen or kind == "estimates",
                 "id %s used by two outputs: %s and %s" % (eid, seen.get(eid), rec["offset"]))
        seen[eid] = rec["offset"]
    kt.log("outputs read by the SDK:", counts)
    for kind in TYPES:
        kt.check(counts.get(kind, 0) > 0, "no %s published to check" % kind)
    return counts


def main():
    kt.require_kafka()
    node = node_ready()
    schemas = kt.load_schemas(["alert", "suggestion", "plan", "estimates",
                               "output-cloudevent"])
    with tempfile.TemporaryDirectory(prefix="ce-it-") as tmpdir:
        n = input_modes(node, tmpdir, schemas)
    counts = output_format(node, schemas)
    print("ok: %d SDK-written events applied; outputs %s validated by the SDK" % (n, counts))


if __name__ == "__main__":
    main()
