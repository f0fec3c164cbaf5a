#!/usr/bin/python3
"""A stream that is all re-routed crosses epoch boundaries by its events,
not by the idle rule (route.c; DESIGN.md, "Scale-out").

One daemon owns the 4 partitions of hr.events, with [model] idle_seconds
= 3600: a boundary that waited for the idle rule would not be crossed
within this test. 32 employees are hired on day 0, keyed and placed by
murmur2 (applied where they arrive). Then, day after day for 12 days,
while the daemon reads, every employee sends a survey that must be
re-routed: half of them without a key (round robin over the partitions),
half keyed but placed by librdkafka's default partitioner (CRC-32), and
only employees whose CRC-32 partition is not their murmur2 one are in that
half. So after day 0 no input partition has an event of its own: it
crosses a boundary only at its first event of the next day that it sends
on. Before the fix such a partition never held anything, so the gate
waited for it to be silent for idle_seconds, and the model stayed in day
0's epoch.

Checked through /metrics: the model's epoch reaches the last day's, every
re-routed event is read back (the counters match what the clients'
delivery reports say moved), no crossing came from the idle rule; each
employee's record holds the survey of the day before the last (a re-routed
event applies at the end of its epoch: DESIGN.md, "Exact outputs with
re-routed events"), and once one event of the next day reaches each
partition where it belongs, its last survey.
"""
import datetime
import json
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN = "hr.events"
DAYS = 12
START = datetime.datetime(2025, 3, 3, 9, 0, 0, tzinfo=datetime.timezone.utc)


def when(day):
    return (START + datetime.timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_of(day):
    """The daemon's epoch (24 h, from 00:00 UTC) of day's events."""
    t = START + datetime.timedelta(days=day)
    return int(t.timestamp()) // 86400


def hire(emp, i):
    return kt.cloudevent("hr.employee.hired", emp, "h-" + emp, when(0), {
        "department": ["Sales", "Engineering"][i % 2], "job_level": 1 + i % 3,
        "salary": 40000 + 1000 * i, "manager_id": "M1", "location": "Berlin"})


def survey(emp, day):
    return kt.cloudevent("hr.survey.submitted", emp, "s%d-%s" % (day, emp), when(day),
                         {"satisfaction": 20 + day, "engagement": 30,
                          "intent_to_stay": 25})


def main():
    kt.require_kafka()
    port = kt.free_port()
    with kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        cfg = {"http": {"listen": "127.0.0.1:%d" % port},
               "model": {"idle_seconds": 3600}}
        with kt.Daemon(bs, cfg) as d:
            kt.wait_for(lambda: d.owned() == {0, 1, 2, 3} or not d.alive(), 40,
                        "the daemon to own every partition")
            kt.check(d.alive(), "daemon died:\n" + d.output()[-3000:])
            cands = ["S%03d" % i for i in range(200)]
            got = kt.produce(bs, IN, [kt.structured(hire(e, i)) for i, e in enumerate(cands)])
            home = {e: p for e, (p, _) in zip(cands, got)}
            keyless = cands[:16]
            # keyed away from home by CRC-32 (librdkafka's and kcat's default)
            crc = [e for e in cands[16:] if zlib.crc32(e.encode()) % 4 != home[e]][:16]
            kt.check(len(crc) == 16, "only %d ids placed away by CRC-32" % len(crc))
            ids = keyless + crc
            kt.log("hired %d (%d of them in the test), placement %s"
                   % (len(cands), len(ids), sorted(set(home.values()))))
            moved = 0
            for day in range(1, DAYS + 1):
                recs = [(None, json.dumps(survey(e, day)).encode(),
                         [("content-type", b"application/cloudevents+json")], i % 4)
                        for i, e in enumerate(keyless)]
                got = kt.produce(bs, IN, recs)
                moved += len(got)
                got = kt.produce(bs, IN, [kt.structured(survey(e, day)) for e in crc],
                                 conf={"partitioner": "consistent_random"})
                away = sum(1 for e, (p, _) in zip(crc, got) if p != home[e])
                kt.check(away == len(crc), "day %d: %d of %d CRC-32 placed events on "
                         "their murmur2 partition" % (day, len(crc) - away, len(crc)))
                moved += away
            kt.log("%d events to re-route over %d days" % (moved, DAYS))

            last = epoch_of(DAYS)
            try:
                kt.wait_for(lambda: kt.metric(port, "retentiond_model_epoch") == last or
                            not d.alive(), 120, "the model to reach the last day's epoch")
            except kt.Timeout:
                kt.fail("model epoch %s, expected %d (day 0: %d): the gate waits for "
                        "the idle rule on partitions that send every event on" % (
                            kt.metric(port, "retentiond_model_epoch"), last, epoch_of(0)))
            kt.check(d.alive(), "daemon died:\n" + d.output()[-3000:])

            kt.wait_rerouted(port, moved, timeout=60)
            idle = kt.metric(port, "retentiond_epoch_idle_crossings_total")
            kt.check(idle == 0, "%s crossings by the idle rule" % idle)

            def applied(e, day):
                st, body = kt.http_get(port, "/v1/employees/" + e)
                return st == 200 and json.loads(body)["state"]["last_event"] == when(day)
            # a re-routed event applies at the end of its epoch (route_order.c):
            # the day before the last one's by now
            for e in ids:
                kt.wait_for(lambda: applied(e, DAYS - 1), 30, "the survey of the "
                            "day before the last of an employee to apply")
            # one event of the next day on each partition, where it belongs,
            # ends the last day's epoch: its re-routed surveys apply
            closers = {}
            for e in cands[16:]:
                if e not in ids and home[e] not in closers:
                    closers[home[e]] = e
            kt.check(len(closers) == 4, "no employee at home on each partition")
            kt.produce(bs, IN, [kt.structured(survey(e, DAYS + 1))
                                for e in closers.values()])
            kt.wait_for(lambda: kt.metric(port, "retentiond_model_epoch") == last + 1 or
                        not d.alive(), 60, "the model to enter the next day's epoch")
            for e in ids:
                kt.wait_for(lambda: applied(e, DAYS), 30, "the last survey of an "
                            "employee to apply")
            prov = kt.metric(port, "retentiond_employees_provisional_total")
            kt.check(prov == 0, "%s records created provisionally" % prov)
            rc = d.stop()
            kt.check(rc == 0, "exit %s:\n%s" % (rc, d.output()[-3000:]))
    print("ok: %d re-routed events over %d days, every boundary crossed by an event"
          % (moved, DAYS))


if __name__ == "__main__":
    kt.run(main)
