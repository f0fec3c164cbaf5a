#!/usr/bin/python3
"""Bounds on what the state holds: [state] keep_exited_days and
[state] max_employees, over a company replayed for years.

A synthetic company (build/gencompany: 200 people, five years) is run
  1. through `retentiond --replay --dump-scores` with keep_exited_days =
     365: every leaver whose exit is more than 365 days (plus the one day
     the daily pass may lag) before the last event is absent from the
     score dump, every more recent leaver and every employee who stayed
     is present;
  2. through the daemon over the mock cluster (one partition, so one
     event-time clock), with HTTP on loopback: the same leavers answer
     404 on /v1/employees/ID, recent ones 200, and
     retentiond_leavers_expired_total counts the removed ones;
  3. through --replay with max_employees = 50: events for the 51st new
     employee on go to the DLQ with the reason, the dump holds at most 50
     employees, the warning is logged and names no one.
Expectations come from the input events, never from the daemon.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

DAY_MS = 86400000
KEEP_DAYS = 365


def ms(t):
    import datetime
    return int(datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000)


def company():
    out = subprocess.run([kt.binary("gencompany"), "--employees", "200",
                          "--months", "60", "--seed", "3"],
                         check=True, capture_output=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def expectations(events):
    """(gone, kept, stayed): leavers certainly removed, leavers certainly
    kept, employees who never left; from the last exit and hire times."""
    clock = max(ms(e["time"]) for e in events)
    exit_at, hired_at, seen = {}, {}, set()
    for e in events:
        s, t = e["subject"], ms(e["time"])
        seen.add(s)
        if e["type"] == "hr.employee.exited":
            exit_at[s] = max(exit_at.get(s, 0), t)
        elif e["type"] == "hr.employee.hired":
            hired_at[s] = max(hired_at.get(s, 0), t)
    leavers = {s: t for s, t in exit_at.items() if hired_at.get(s, 0) < t}
    cutoff = clock - KEEP_DAYS * DAY_MS
    gone = {s for s, t in leavers.items() if t <= cutoff - DAY_MS}
    kept = {s for s, t in leavers.items() if t > cutoff}
    maybe = set(leavers) - gone - kept
    stayed = seen - set(leavers)
    return gone, kept, stayed, maybe


def replay(events, state_sections, dump=True):
    with tempfile.TemporaryDirectory(prefix="retention-") as tmp:
        conf = os.path.join(tmp, "r.conf")
        kt.write_config(conf, dict({"http": {"listen": ""}}, **state_sections))
        path = os.path.join(tmp, "events.jsonl")
        with open(path, "w") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        argv = [kt.binary("retentiond"), "-c", conf, "--replay", path]
        if dump:
            argv.append("--dump-scores")
        r = subprocess.run(argv, capture_output=True, timeout=300)
        kt.check(r.returncode == 0, "replay exited %d: %s" % (
            r.returncode, r.stderr.decode()[-2000:]))
        lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
        return lines, r.stderr.decode()


def check_replay(events, gone, kept, stayed):
    lines, _ = replay(events, {"state": {"keep_exited_days": KEEP_DAYS}})
    scored = {x["key"] for x in lines if x["topic"] == "scores"}
    kt.check(gone, "the company has no leaver older than the retention")
    kt.check(kept, "the company has no recent leaver")
    kt.check(not (gone & scored), "%d leavers older than %d days still in the "
             "dump, e.g. %s" % (len(gone & scored), KEEP_DAYS, sorted(gone & scored)[:3]))
    kt.check(kept <= scored, "recent leavers missing from the dump: %s"
             % sorted(kept - scored)[:3])
    kt.check(stayed <= scored, "employees who stayed missing from the dump: %s"
             % sorted(stayed - scored)[:3])
    kt.log("replay: %d leavers removed, %d recent leavers and %d staying kept"
           % (len(gone), len(kept), len(stayed)))
    # Without the limit (0), every leaver is still there.
    lines, _ = replay(events, {"state": {"keep_exited_days": 0}})
    scored = {x["key"] for x in lines if x["topic"] == "scores"}
    kt.check(gone <= scored, "keep_exited_days = 0 removed leavers")


def check_daemon(events, gone, kept, stayed, maybe):
    port = kt.free_port()
    with kt.MockBroker(topics=kt.default_topics(partitions=1)) as broker:
        bs = broker.bootstrap
        cfg = {"state": {"keep_exited_days": KEEP_DAYS},
               "http": {"listen": "127.0.0.1:%d" % port}}
        with kt.Daemon(bs, cfg) as d:
            d.wait_log("assigned")
            kt.produce(bs, "hr.events", [(e["subject"], json.dumps(e).encode(), None)
                                         for e in events], timeout=120)
            kt.wait_committed(bs, d.group, "hr.events", timeout=240)
            for s in sorted(gone):
                st, _ = kt.http_get(port, "/v1/employees/" + s)
                kt.check(st == 404, "/v1/employees/%s: %s, expected 404 (left more "
                         "than %d days ago)" % (s, st, KEEP_DAYS))
            for s in sorted(kept) + sorted(stayed)[:20]:
                st, _ = kt.http_get(port, "/v1/employees/" + s)
                kt.check(st == 200, "/v1/employees/%s: %s, expected 200" % (s, st))
            n = kt.metric(port, "retentiond_leavers_expired_total")
            kt.check(n is not None and len(gone) <= n <= len(gone) + len(maybe),
                     "retentiond_leavers_expired_total %s, expected %d..%d"
                     % (n, len(gone), len(gone) + len(maybe)))
            kt.check(d.alive(), "daemon died:\n" + d.output()[-3000:])
            rc = d.stop(timeout=20)
            kt.check(rc == 0, "exit %s on SIGTERM" % rc)
            kt.log("daemon: %d leavers answer 404, counted %d" % (len(gone), n))


def check_cap(events):
    # leavers kept (0), so that no room opens: the first 50 stay
    lines, err = replay(events, {"state": {"max_employees": 50,
                                           "keep_exited_days": 0}})
    scored = {x["key"] for x in lines if x["topic"] == "scores"}
    dlq = [x for x in lines if x["topic"] == "hr.events.dlq"]
    limited = [x for x in dlq if "employee limit reached" in x["error"]]
    first = []
    for e in events:
        if e["subject"] not in first:
            first.append(e["subject"])
    kt.check(len(scored) <= 50, "%d employees in state, limit 50" % len(scored))
    kt.check(set(first[:50]) <= scored, "the first 50 employees are not all in state")
    # replay's messages have no key: the source offset is the line number
    refused = {events[x["source"]["offset"] - 1]["subject"] for x in limited}
    kt.check(refused and not (refused & set(first[:50])),
             "refused ids %d, overlap with the first 50: %s"
             % (len(refused), sorted(refused & set(first[:50]))[:3]))
    kt.check(set(first[50:]) <= refused | scored, "some later ids neither refused "
             "nor in state")
    kt.check("max_employees (50) is reached" in err, "no warning logged:\n" + err[-2000:])
    ids = set(first)
    named = [i for i in ids if i in err]
    kt.check(not named, "the warning names employees: %s" % named[:3])
    kt.log("cap: %d employees kept, %d events refused" % (len(scored), len(limited)))


def main():
    kt.require_kafka()
    events = company()
    gone, kept, stayed, maybe = expectations(events)
    check_replay(events, gone, kept, stayed)
    check_cap(events)
    check_daemon(events, gone, kept, stayed, maybe)
    print("ok: leavers removed after %d days, employees capped" % KEEP_DAYS)


if __name__ == "__main__":
    try:
        main()
    except kt.Timeout as e:
        kt.fail(str(e))
