#!/usr/bin/python3
"""retentiond against a Kafka broker in another process, end to end.

A mock cluster (build/mockbroker) holds the five topics; the daemon
consumes hr.events and publishes to the others. Phase 1 produces every
CONTRACT.md event type for a handful of employees (binary-mode events and a
duplicate among them, an erasure at the end); phase 2 advances the clock by
months for the others. Checked:
  - every alert, suggestion, plan and estimates record validates against
    docs/schemas/*.json, with the keys CONTRACT.md names;
  - outputs mention only employees that were produced; the erased one is
    mentioned by nothing published after its erasure was processed;
  - the duplicate is applied once: the shutdown estimates' `events` count
    equals the number of distinct valid events (estimates during phase 1
    count no more than phase 1's);
  - nothing valid lands in the DLQ;
  - the group's committed offsets reach the end of hr.events, and outputs
    of phase 1 are all on their topics once they have (offsets are stored
    only after delivery);
  - SIGTERM ends the daemon with status 0 within a deadline.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN, ALERTS, SUGG, EST, DLQ = ("hr.events", "hr.attrition.alerts",
                              "hr.retention.suggestions", "hr.model.estimates",
                              "hr.events.dlq")
ERASED = "ERASED-7"


def t(month, day, hour=9):
    return "2025-%02d-%02dT%02d:00:00Z" % (month, day, hour)


def phase1_events():
    """[(mode, event)]: mode "s" structured, "b" binary, "dup" a repeat."""
    evs = []
    n = [0]

    def ev(mode, etype, subj, when, data=None):
        n[0] += 1
        e = kt.cloudevent(etype, subj, "it-%d" % n[0], when, data)
        evs.append((mode, e))
        return e

    depts = ["Sales", "Engineering", "Sales", "Support", "Engineering"]
    staff = ["E100", "E101", "E102", "E103", "E104", ERASED]
    for i, emp in enumerate(staff):
        ev("s", "hr.employee.hired", emp, t(1, 2 + i), {
            "department": depts[i % len(depts)], "job_level": 3 + i % 3,
            "salary": 50000 + 5000 * i, "manager_id": "M1", "location": "Berlin",
            "attributes": {"overtime": "yes" if i % 2 else "no", "distance_km": 5 + i,
                           "Gender": "f" if i % 2 else "m"}})
    for i, emp in enumerate(staff):
        survey = ev("b" if emp == "E101" else "s", "hr.survey.submitted", emp,
                    t(2, 1 + i), {"satisfaction": 30 + 8 * i, "engagement": 40 + i,
                                  "intent_to_stay": 35 + 5 * i,
                                  "work_life_balance": 50})
        if emp == "E100":
            evs.append(("dup", survey))         # same source + id: applied once
    for i, emp in enumerate(staff[:5]):
        ev("s", "hr.review.completed", emp, t(2, 10 + i), {"rating": 2 + i % 3,
                                                           "potential": 1 + i % 3})
        ev("s", "hr.compensation.changed", emp, t(3, 1 + i), {
            "kind": ["raise", "bonus", "equity"][i % 3], "amount": 1500 + 100 * i})
        ev("b" if emp == "E102" else "s", "hr.training.completed", emp, t(3, 10 + i), {
            "hours": 8 + 2 * i, "cost": 400, "skill": "sql", "assessment": 60 + i})
        ev("s", "hr.care.provided", emp, t(4, 1 + i), {
            "kind": ["mentoring", "wellness", "recognition", "flexible_work",
                     "health_check"][i], "cost": 120})
        ev("s", "hr.manager.changed", emp, t(4, 10 + i), {"manager_id": "M2"})
        ev("s", "hr.profile.updated", emp, t(4, 20 + i), {
            "attributes": {"overtime": "no", "distance_km": 30 + i, "MaritalStatus": "x"}})
    ev("s", "hr.promotion.granted", "E103", t(5, 2), {"job_level": 5, "new_salary": 80000})
    ev("s", "hr.employee.exited", "E104", t(5, 15), {"voluntary": True, "reason": "offer"})
    # An employee known only by a survey: a provisional record.
    ev("s", "hr.survey.submitted", "E200", t(5, 16), {"satisfaction": 20})
    ev("s", "hr.employee.erased", ERASED, t(5, 20))
    return evs


def phase2_events():
    evs = []
    for m in range(6, 13):
        if m == 8:
            # hired once the satisfaction relation has been fitted (the model
            # changes at epoch boundaries): its alert comes with a suggestion
            evs.append(("s", kt.cloudevent("hr.employee.hired", "E301", "it2-hire",
                                           t(8, 1), {
                "department": "Sales", "job_level": 3, "salary": 50000,
                "manager_id": "M1", "attributes": {"overtime": "no"}})))
        for i, emp in enumerate(["E100", "E101", "E102", "E103", "E200"]):
            evs.append(("s", kt.cloudevent("hr.survey.submitted", emp,
                                           "it2-%d-%d" % (m, i), t(m, 3 + i),
                                           {"satisfaction": max(5, 40 - 4 * m + i)})))
    return evs


def encode(evs):
    out = []
    for mode, e in evs:
        out.append(kt.binary_mode(e) if mode == "b" else kt.structured(e))
    return out


def distinct(evs):
    return len({(e["source"], e["id"]) for _, e in evs})


def latest_estimates_events(bs, after):
    """The estimates record published after offsets `after`, or None."""
    recs = kt.consume(bs, EST, start=after, timeout=20)
    return recs[-1] if recs else None


def main():
    kt.require_kafka()
    schemas = kt.load_schemas(["alert", "suggestion", "plan", "estimates"])
    p1, p2 = phase1_events(), phase2_events()
    produced_ids = {e["subject"] for _, e in p1 + p2}

    with kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        cfg = {"alerts": {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0},
               "model": {"idle_seconds": 1}}
        with kt.Daemon(bs, cfg) as d:
            d.wait_log("assigned")
            kt.produce(bs, IN, encode(p1))
            kt.log("phase 1: %d records, %d distinct events" % (len(p1), distinct(p1)))
            kt.wait_committed(bs, d.group, IN, timeout=60)
            kt.check(d.alive(), "daemon died in phase 1:\n" + d.output())

            # Committed implies delivered: phase 1's outputs are all there.
            snap = {tp: kt.end_offsets(bs, tp) for tp in (ALERTS, SUGG, EST, DLQ)}
            kt.check(all(v == 0 for v in snap[DLQ].values()),
                     "valid events went to the DLQ: %s" % [
                         (r.headers.get("error"), r.key) for r in kt.consume(bs, DLQ)])
            alerts1 = kt.consume(bs, ALERTS)
            kt.check(any(r.json()["employee_id"] == ERASED for r in alerts1),
                     "no alert for %s before its erasure (threshold too high?)" % ERASED)

            # Estimates go out at epoch boundaries and at shutdown (below):
            # what phase 1 published counts no more than phase 1's events.
            n1 = distinct(p1)
            for rec in kt.consume(bs, EST, timeout=5):
                kt.check(rec.json()["events"] <= n1, "estimates count %s events "
                         "during phase 1, more than its %d" % (rec.json()["events"], n1))

            kt.produce(bs, IN, encode(p2))
            kt.wait_committed(bs, d.group, IN, timeout=60)
            kt.check(d.alive(), "daemon died in phase 2:\n" + d.output())
            snap2 = kt.end_offsets(bs, EST)
            n2 = n1 + distinct(p2)

            rc = d.stop(timeout=20)
            kt.check(rc == 0, "retentiond exited %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
            kt.wait_committed(bs, d.group, IN, timeout=10)
            # The shutdown estimates count each distinct event once.
            rec = kt.wait_for(lambda: latest_estimates_events(bs, snap2), 20,
                              "the shutdown estimates")
            kt.check(rec.json()["events"] == n2, "estimates count %s events at "
                     "shutdown, expected %d (duplicate applied twice?)"
                     % (rec.json()["events"], n2))

        # Everything published, validated.
        counts = {}
        tombstones = set()
        for topic in (ALERTS, SUGG, EST):
            for r in kt.consume(bs, topic):
                where = "%s[%d]@%d" % (topic, r.partition, r.offset)
                if r.value_bytes is None:
                    # the erasure deletes the employee's key from the
                    # compacted topics; nothing else is ever a tombstone
                    kt.check(topic != EST and r.key == ERASED,
                             where + ": a tombstone for %r" % r.key)
                    tombstones.add(topic)
                    continue
                obj = r.json()
                if topic == ALERTS:
                    kind = "alert"
                    kt.check(r.key == obj["employee_id"], where + ": key is not the employee id")
                    ids = [obj["employee_id"]]
                elif topic == SUGG:
                    kind = obj.get("type")
                    kt.check(kind in ("suggestion", "plan"), where + ": type %r" % kind)
                    if kind == "plan":
                        kt.check(r.key == "dept:" + obj["department"], where + ": plan key")
                        ids = [a["employee_id"] for a in obj["allocations"]]
                    else:
                        kt.check(r.key == obj["employee_id"], where + ": suggestion key")
                        ids = [obj["employee_id"]]
                else:
                    kind = "estimates"
                    kt.check(bool(r.key), where + ": estimates without a key")
                    ids = []
                kt.validate(schemas[kind], obj, where)
                stray = set(ids) - produced_ids
                kt.check(not stray, where + " names employees never produced: %s" % stray)
                if r.offset >= snap[topic].get(r.partition, 0):
                    kt.check(ERASED not in ids and json.dumps(ERASED) not in r.value_bytes.decode(),
                             where + ": %s mentioned after its erasure" % ERASED)
                counts[kind] = counts.get(kind, 0) + 1
        kt.log("validated:", counts)
        kt.check(tombstones == {ALERTS, SUGG},
                 "tombstones for the erased employee on %s" % sorted(tombstones))
        for kind in ("alert", "suggestion", "estimates"):
            kt.check(counts.get(kind, 0) > 0, "no %s published" % kind)
        exited = [r.json() for r in kt.consume(bs, ALERTS) if r.key == "E104"]
        if exited:
            kt.check(exited[-1]["status"] == "resolved" and exited[-1]["reason"] == "exited",
                     "E104 exited but its last alert is %s" % exited[-1])
    print("ok: %s" % counts)


if __name__ == "__main__":
    try:
        main()
    except kt.Timeout as e:
        kt.fail(str(e))
