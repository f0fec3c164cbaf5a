#!/usr/bin/python3
"""A restart after everything was read: the input partitions and the
repartition streams count as read to their end although nothing more comes.

librdkafka reports no position for a partition after an assignment until
a record of it is consumed. A daemon restarted on its state directory
assigns each input partition at the checkpoint's offset and each
repartition partition at its stream's position in the checkpoint; one
whose records were all read and applied before the stop gets nothing more,
and must count as read to its end from the offset it was assigned at
(kafka.c input_position(), route.c reader_position()). Before, both fell
back to the partition's low watermark: an idle input partition or stream
never counted as caught up, the epoch gate never crossed the next
boundary, and the committed offsets of the partitions that hold its first
event stayed short of their ends for good (what `make test-long` hit now
and then after a restart: test_crash.py's last rounds).

One daemon owns hr.events' 4 partitions, [model] idle_seconds an hour:
  1. hires on 2025-01-01 (murmur2, where they belong), then a survey of
     every employee the same day, keyed, from librdkafka's default
     partitioner (CRC-32): those that land elsewhere are re-routed and
     held to the end of the day's epoch;
  2. one survey of 2025-01-02 on each partition but the last (keyed, where
     it belongs): those partitions hold it at the boundary, the last one
     has no event past it and is not idle for an hour, so the gate stays
     in 2025-01-01;
  3. once every re-routed record is read back and the surveys are held,
     SIGTERM (the stop applies the held records and checkpoints them);
     the group's committed offset of the last partition is set back to 0
     (as after a SIGKILL between a checkpoint and its commit, or a lost
     assignment whose state is taken back), and a restart on the same
     state directory and group with idle_seconds 1.
Nothing more is produced: the last partition and the streams are at their
ends with nothing to read, and the idle rule must let the gate cross; the
last partition's commit must reach the checkpoint's offset although no
message of it is read (track_resume()).
Then the group's committed offsets of hr.events must reach the end (the
held surveys applied) and every employee's record holds its last survey.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN = "hr.events"
PARTS = 4
N = 32


def survey(emp, tag, day):
    return kt.cloudevent("hr.survey.submitted", emp, "%s-%s" % (tag, emp),
                         "2025-01-%02dT10:00:00Z" % day,
                         {"satisfaction": 20, "engagement": 30, "intent_to_stay": 20})


def rewind(bs, group, part):
    """Commits offset 0 of IN's partition part for group (stopped), as a
    member of it: the mock cluster refuses a commit from outside."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bs, "group.id": group,
                  "enable.auto.commit": False, "session.timeout.ms": 6000})
    try:
        c.subscribe([IN])
        kt.wait_for(lambda: c.poll(0.2) is None and c.assignment(), 30,
                    "the rewinding consumer's assignment")
        c.commit(offsets=[TopicPartition(IN, part, 0)], asynchronous=False)
    finally:
        c.close()
    kt.check(kt.committed(bs, group, IN).get(part) == 0,
             "the commit of partition %d was not set back" % part)


def main():
    kt.require_kafka()
    ids = ["E%03d" % i for i in range(N)]
    port = kt.free_port()
    with kt.MockBroker(topics=kt.default_topics(PARTS)) as broker, \
            tempfile.TemporaryDirectory(prefix="restart-end-") as tmp:
        bs = broker.bootstrap
        state = os.path.join(tmp, "state")
        os.mkdir(state, 0o700)
        cfg = {"kafka": {"group.id": "restart-end"},
               "state": {"directory": state, "checkpoint_seconds": 1},
               "http": {"listen": "127.0.0.1:%d" % port},
               "model": {"idle_seconds": 3600}}
        with kt.Daemon(bs, cfg) as d:
            kt.wait_for(lambda: d.owned() == set(range(PARTS)) or not d.alive(), 40,
                        "the daemon to own every partition")
            kt.check(d.alive(), "daemon died:\n" + d.output()[-3000:])
            hires = []
            for i, e in enumerate(ids):
                h = kt.workforce([e], "h")[0]
                h["id"] = "h-" + e
                h["time"] = "2025-01-01T09:00:00Z"
                hires.append(h)
            home = {h["subject"]: p for h, (p, _) in
                    zip(hires, kt.produce(bs, IN, [kt.structured(h) for h in hires]))}
            kt.check(set(home.values()) == set(range(PARTS)),
                     "the hires missed a partition: %s" % sorted(set(home.values())))
            s1 = [survey(e, "s1", 1) for e in ids]
            got = kt.produce(bs, IN, [kt.structured(e) for e in s1],
                             conf={"partitioner": "consistent_random"})
            moved = sum(1 for e, (p, _) in zip(s1, got) if p != home[e["subject"]])
            kt.check(moved > 0, "the CRC-32 round moved nothing")
            # the next day on every partition but the last
            first = {p: next(e for e in ids if home[e] == p) for p in range(PARTS)}
            kt.produce(bs, IN, [kt.structured(survey(first[p], "s2", 2))
                                for p in range(PARTS - 1)])
            kt.wait_rerouted(port, moved, timeout=30)
            kt.wait_for(lambda: (kt.metric(port, "retentiond_messages_held") or 0) >=
                        PARTS - 1, 30, "the next day's surveys to be held at the boundary")
            rc = d.stop()
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
        kt.log("%d of %d surveys re-routed and read back before the stop" % (moved, N))
        rewind(bs, "restart-end", PARTS - 1)
        cfg["model"]["idle_seconds"] = 1
        with kt.Daemon(bs, cfg) as d:
            d.wait_log("state restored", timeout=30)
            kt.wait_for(lambda: d.owned() == set(range(PARTS)) or not d.alive(), 40,
                        "the daemon to own every partition again")
            try:
                kt.wait_committed(bs, d.group, IN, timeout=30)
            except kt.Timeout as e:
                kt.fail("%s: the gate never crossed 2025-01-02 after the restart "
                        "(held %s):\n%s" % (e, kt.metric(port, "retentiond_messages_held"),
                                            d.output()[-2000:]))
            for e in ids:
                st, body = kt.http_get(port, "/v1/employees/" + e)
                kt.check(st == 200, "GET %s: %s" % (e, st))
                late = e in [first[p] for p in range(PARTS - 1)]
                want = survey(e, "s2" if late else "s1", 2 if late else 1)["time"]
                last = json.loads(body)["state"]["last_event"]
                kt.check(last == want, "%s: last event %s, expected %s" % (e, last, want))
            rc = d.stop()
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
    print("ok: %d re-routed surveys read before a restart, the gate crossed after it"
          % moved)


if __name__ == "__main__":
    kt.run(main)
