#!/usr/bin/python3
"""Crashes and restarts on the same state directory lose nothing.

A generated company (build/gencompany, >= 100k events, with erasures),
salted with invalid messages and re-sent duplicates, is produced to a
16-partition hr.events of a mock cluster while three retentiond consumer
groups read it, each with its own state directory and output topics:

  ref    runs uninterrupted;
  crash  is SIGKILLed CRASH_KILLS (10) times at random points of its
         progress (a random number of consumed messages after each start)
         and restarted on the same state directory each time;
  term   is stopped with SIGTERM as often and restarted the same way.

The stream is produced in chunks while the daemons consume (each chunk once
ref has caught up to within a chunk), and the mock cluster's silent drop of
data beyond 5 MiB per partition is ruled out: every partition of every topic
keeps its low watermark at 0, and hr.events' high watermarks equal what was
produced to each partition. When all three have consumed everything
(committed offsets at the end), they stop with SIGTERM and their
checkpoints are compared (retentiond --dump-checkpoint):

  - per partition: the offset the state reflects and the messages counted
    are the partition's end (no message applied twice or skipped);
  - the epoch is ref's;
  - per employee: every field is identical to ref's, the model's
    bookkeeping (scores, calibration, alert evaluation) and the alert
    episode included; no erased employee has a record; the erased sets
    agree;
  - the estimates of every epoch boundary (model_version) are identical to
    ref's, value for value; crash may repeat some (at least once), term
    none;
  - the alert ids (with their status), suggestion ids and plan ids are
    exactly ref's set: every one of ref's is there, none that ref lacks;
    crash may repeat some, term none;
  - the DLQ holds exactly ref's rejected inputs (source partition and
    offset): crash may repeat some (at least once), term none;
  - tombstones: the same erased keys as ref's, on alerts and suggestions;
  - the checkpoint metrics (written, age, write and restore durations) are
    real, and a corrupt newest checkpoint of term is then refused, logged,
    counted in retentiond_checkpoint_corrupt_total, and the previous one
    is used.

Estimates published at a shutdown (as of the clock, not of a boundary)
are not compared: each stop of term and crash publishes one that an
uninterrupted run does not have.

With CRASH_LONG=1 (make test-long) that is >= 100k events from 3200
employees and 10 rounds; make test runs a shorter variant (1000
employees, >= 30k events, 4 rounds). CRASH_EMPLOYEES, CRASH_KILLS and
CRASH_SEED scale either.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN = "hr.events"
PARTS = 16
# make test runs a shorter variant; make test-long (CRASH_LONG=1) the full one
LONG = os.environ.get("CRASH_LONG") == "1"
CHUNK = 4000 if LONG else 1500
EMPLOYEES = int(os.environ.get("CRASH_EMPLOYEES", "3200" if LONG else "1000"))
KILLS = int(os.environ.get("CRASH_KILLS", "10" if LONG else "4"))
MIN_RECORDS = 100000 if LONG else 30000
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()) % 100000)))
RUNS = ("ref", "crash", "term")
IDLE_S = 20     # [model] idle_seconds: above the producer's longest pause


def outputs(run):
    return {"alerts": "hr.attrition.alerts." + run,
            "suggestions": "hr.retention.suggestions." + run,
            "estimates": "hr.model.estimates." + run,
            "dlq": "hr.events.dlq." + run}


def events(rng):
    """[(key, value)]: the company, one invalid message per ~97 events and
    one re-sent earlier event per ~89; and the erased ids."""
    out = subprocess.run([kt.binary("gencompany"), "--employees", str(EMPLOYEES),
                          "--months", "36", "--start", "2022-01-01", "--erasures", "30",
                          "--seed", str(SEED)], check=True, capture_output=True).stdout
    recs, erased = [], set()
    for line in out.decode().splitlines():
        ev = json.loads(line)
        if ev["type"] == "hr.employee.erased":
            erased.add(ev["subject"])
        recs.append((ev["subject"], line.encode()))
        if rng.random() < 1 / 97:
            recs.append((ev["subject"], line.encode()[:len(line) // 2]))
        if rng.random() < 1 / 89 and len(recs) > 10:
            recs.append(recs[rng.randrange(len(recs) - 10, len(recs))])
    return recs, erased


def watermarks(bs, topic):
    """{partition: (low, high)}."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bs, "group.id": "crash-meta"})
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                for p in kt.partitions(bs, topic)}
    finally:
        c.close()


class Run:
    """One consumer group: its state directory, config and incarnations."""

    def __init__(self, bs, name, tmp):
        self.name, self.bs = name, bs
        self.state = os.path.join(tmp, name)
        os.mkdir(self.state, 0o700)
        self.port = kt.free_port()
        self.group = "crash-%s-%d" % (name, SEED)
        self.cfg = {"kafka": {"group.id": self.group, "session.timeout.ms": 6000,
                              "heartbeat.interval.ms": 500},
                    "state": {"directory": self.state, "checkpoint_events": 2000,
                              "checkpoint_seconds": 2},
                    "topics": outputs(name),
                    "http": {"listen": "127.0.0.1:%d" % self.port},
                    "alerts": {"min_exits": 5},
                    "model": {"idle_seconds": IDLE_S}}
        self.d = None
        self.starts = 0

    def start(self):
        self.d = kt.Daemon(self.bs, self.cfg).__enter__()
        self.starts += 1

    def consumed(self):
        v = kt.metric(self.port, "retentiond_consumed_total")
        return v if v is not None else 0

    def stop(self, sig):
        """SIGKILL (sig "kill") or SIGTERM; checks a SIGTERM exits 0."""
        d, self.d = self.d, None
        if sig == "kill":
            d.proc.kill()
            d.proc.wait(timeout=10)
        else:
            rc = d.stop(timeout=60)
            kt.check(rc == 0, "%s: exit %s on SIGTERM:\n%s" % (self.name, rc,
                                                               d.output()[-3000:]))
        kt.check(sig == "kill" or "state restored" in d.output() or self.starts == 1,
                 "%s: a restart did not restore its checkpoints:\n%s"
                 % (self.name, d.output()[-3000:]))
        d.__exit__(None, None, None)


class Producer(threading.Thread):
    """Produces the records in chunks, each once every run has committed
    all but two chunks of what came before, or after WAIT_S at most (so
    that the stream is still flowing while the interrupted runs are
    stopped, and never pauses for as long as [model] idle_seconds: an
    idle partition would let the epoch gate cross a boundary that a
    partition's next chunk still has events before, which would make
    them late in one run and not in another); counts records per
    partition."""

    WAIT_S = 4

    def __init__(self, bs, recs, runs):
        super().__init__(daemon=True)
        self.bs, self.recs, self.runs = bs, recs, runs
        self.per_part = {}
        self.done = threading.Event()
        self.error = None

    def run(self):
        try:
            for i in range(0, len(self.recs), CHUNK):
                try:
                    kt.wait_for(lambda: all(sum(max(o, 0) for o in kt.committed(
                        self.bs, r.group, IN).values()) >= i - 2 * CHUNK
                        for r in self.runs), self.WAIT_S, "the runs", interval=0.5)
                except kt.Timeout:
                    pass
                res = kt.produce(self.bs, IN, [(k, v, None) for k, v in
                                              self.recs[i:i + CHUNK]], timeout=120)
                for p, _ in res:
                    self.per_part[p] = self.per_part.get(p, 0) + 1
        except BaseException as e:  # noqa: B902 (reported by the main thread)
            self.error = e
        self.done.set()


def dump(path):
    out = subprocess.run([kt.binary("retentiond"), "--dump-checkpoint", path],
                         capture_output=True)
    kt.check(out.returncode == 0, "--dump-checkpoint %s: %s" % (path, out.stderr[-500:]))
    return json.loads(out.stdout)


def input_state(emp):
    """A record as compared. A one-hot attribute level set to 0 is left
    out: which other levels of an attribute an employee's record lists as
    0 depends on which levels the process-wide registry knew when the
    event came, i.e. on how partitions interleaved; the model reads an
    absent level of a set attribute as 0 all the same."""
    e = dict(emp)
    e["attributes"] = {k: v for k, v in emp["attributes"].items()
                       if not ("=" in k and v == 0)}
    return e


def first_diff(a, b):
    """A short account of how two input states differ."""
    if a is None or b is None:
        return "present in one run only"
    return {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}


def states(run, end):
    """(epoch, {partition: (meta, {id: state})}) from run's checkpoint."""
    path = os.path.join(run.state, "checkpoints", "%s.ckpt" % IN)
    kt.check(os.path.exists(path), "%s: no checkpoint" % run.name)
    js = dump(path)
    out = {}
    for sh in js["shards"]:
        out[sh["meta"]["partition"]] = (sh["meta"], {e["employee_id"]: input_state(e)
                                                     for e in sh["employees"]})
    for p in range(PARTS):
        kt.check(end.get(p, 0) == 0 or p in out, "%s: no state of partition %d"
                 % (run.name, p))
    return js["epoch"], out


def boundary_estimates(bs, run):
    """[(model_version, value)] of the estimates published at epoch
    boundaries (event time 00:00:00Z, the epochs being days)."""
    out = []
    for r in kt.consume(bs, outputs(run)["estimates"], timeout=60):
        o = r.json()
        if o.get("event_time", "").endswith("T00:00:00Z"):
            out.append((o["model_version"], json.dumps(o, sort_keys=True)))
    return out


def dlq_sources(bs, run):
    return [(int(r.headers["source.partition"]), int(r.headers["source.offset"]))
            for r in kt.consume(bs, outputs(run)["dlq"], timeout=60)]


def output_ids(bs, run):
    """[(kind, id)] of every published alert, suggestion and plan, and the
    set of tombstoned (topic kind, key)."""
    ids, tombs = [], set()
    for kind in ("alerts", "suggestions"):
        for r in kt.consume(bs, outputs(run)[kind], timeout=60):
            if r.value_bytes is None:
                tombs.add((kind, r.key))
                continue
            o = r.json()
            if kind == "alerts":
                ids.append(("alert", o["alert_id"], o["status"]))
            elif o.get("type") == "plan":
                ids.append(("plan", o["plan_id"]))
            else:
                ids.append(("suggestion", o["suggestion_id"]))
    return ids, tombs


def caught_up(bs, run):
    """run's group has committed the end of every partition."""
    end = kt.end_offsets(bs, IN)
    com = kt.committed(bs, run.group, IN)
    return all(end[p] == 0 or com.get(p, -1) == end[p] for p in end)


def interrupt(bs, runs, prod, rng):
    """KILLS rounds: crash gets SIGKILL, term SIGTERM, each once it has
    consumed a random number of messages since its start, or once it has
    committed all that was produced so far (the producer waits for every
    run, stopped ones too). Returns how many rounds came while the stream
    was still being produced."""
    during = 0
    for i in range(KILLS):
        for r in runs:
            r.start()
        for r in runs:
            r.d.wait_log("assigned", timeout=60)
        todo = {r.name: (r, rng.randint(200, 8000)) for r in runs}
        looked = {}

        def step():
            for name, (r, target) in list(todo.items()):
                kt.check(r.d.alive(), "%s died:\n%s" % (name, r.d.output()[-3000:]))
                n = r.consumed()
                if n < target:
                    if time.monotonic() - looked.get(name, 0) < 1:
                        continue
                    looked[name] = time.monotonic()
                    if not caught_up(bs, r):
                        continue
                kt.log("round %d: %s stopped (%s) after %d messages" % (
                    i + 1, name, "SIGKILL" if name == "crash" else "SIGTERM", n))
                r.stop("kill" if name == "crash" else "term")
                del todo[name]
                return not todo
            return False
        live = not prod.done.is_set()
        kt.wait_for(step, 300, "round %d's stops" % (i + 1), interval=0.1)
        during += live
    return during


def compare(bs, runs, end, erased):
    st = {}
    for r in runs:
        epoch, st[r.name] = states(r, end)
        if r.name == "ref":
            ref_epoch = epoch
        kt.check(epoch == ref_epoch, "%s: epoch %s, ref %s" % (r.name, epoch, ref_epoch))
    for p, (meta, emps) in st["ref"].items():
        for name in ("crash", "term"):
            m2, e2 = st[name][p]
            kt.check(m2["next_offset"] == end[p] and m2["messages"] == end[p],
                     "%s partition %d: state reflects offset %s after %s messages, "
                     "the partition ends at %d" % (name, p, m2["next_offset"],
                                                   m2["messages"], end[p]))
            kt.check(m2["erased"] == meta["erased"], "%s partition %d: %s erased, ref %s"
                     % (name, p, m2["erased"], meta["erased"]))
            diff = sorted(k for k in set(emps) | set(e2) if emps.get(k) != e2.get(k))
            kt.check(not diff, "%s partition %d: %d employees differ from ref, e.g. %s: %s"
                     % (name, p, len(diff), diff[0] if diff else None,
                        first_diff(emps.get(diff[0]), e2.get(diff[0])) if diff else None))
        kt.check(meta["next_offset"] == end[p], "ref partition %d not at its end" % p)
        kt.check(not (set(emps) & erased), "ref partition %d holds erased employees" % p)
    n = sum(len(e) for _, e in st["ref"].values())
    kt.log("per-employee state identical for %d employees in %d partitions" % (n, len(st["ref"])))

    dlq = {r.name: dlq_sources(bs, r.name) for r in runs}
    kt.check(len(set(dlq["ref"])) == len(dlq["ref"]) > 0, "ref's DLQ: duplicates or empty")
    for name in ("crash", "term"):
        kt.check(set(dlq[name]) == set(dlq["ref"]), "%s's DLQ differs from ref's" % name)
    kt.check(len(dlq["term"]) == len(set(dlq["term"])), "term repeated DLQ records")
    outs = {r.name: output_ids(bs, r.name) for r in runs}
    tomb_keys = {k for _, k in outs["ref"][1]}
    kt.check(tomb_keys == erased, "ref's tombstones %d, erased %d" % (len(tomb_keys), len(erased)))
    for name in ("crash", "term"):
        kt.check(outs[name][1] == outs["ref"][1], "%s's tombstones differ from ref's" % name)
        missing = set(outs["ref"][0]) - set(outs[name][0])
        extra = set(outs[name][0]) - set(outs["ref"][0])
        kt.check(not missing and not extra, "%s: %d of ref's alert, suggestion and "
                 "plan ids missing (e.g. %s), %d not ref's (e.g. %s)"
                 % (name, len(missing), sorted(missing)[:3], len(extra), sorted(extra)[:3]))
    ids = outs["term"][0]
    kt.check(len(ids) == len(set(ids)), "term published %d outputs twice"
             % (len(ids) - len(set(ids))))
    kt.check(len(set(outs["ref"][0])) == len(outs["ref"][0]), "ref repeated outputs")
    est = {r.name: boundary_estimates(bs, r.name) for r in runs}
    ref_est = dict(est["ref"])
    kt.check(len(ref_est) == len(est["ref"]) > 10, "ref's boundary estimates: %d, "
             "%d distinct" % (len(est["ref"]), len(ref_est)))
    for name in ("crash", "term"):
        got = {}
        for v, val in est[name]:
            kt.check(got.get(v, val) == val, "%s: two different estimates of epoch %d"
                     % (name, v))
            got[v] = val
        diff = sorted(v for v in set(ref_est) | set(got) if ref_est.get(v) != got.get(v))
        kt.check(not diff, "%s: the estimates of %d epochs differ from ref's, e.g. %s"
                 % (name, len(diff), diff[:3]))
    kt.check(len(est["term"]) == len(ref_est), "term published %d boundary estimates "
             "twice" % (len(est["term"]) - len(ref_est)))
    kt.log("boundary estimates identical for %d epochs; crash repeats %d"
           % (len(ref_est), len(est["crash"]) - len(ref_est)))
    kt.log("outputs: %s" % {k: len(v[0]) for k, v in outs.items()},
           "DLQ: %s" % {k: len(v) for k, v in dlq.items()},
           "crash repeats %d outputs (at least once)" % (len(outs["crash"][0]) -
                                                          len(set(outs["crash"][0]))))


def check_metrics(run):
    """The checkpoint metrics are real: written, restored (after a
    restart), current, nothing refused. A process restarted after the
    whole stream was applied (a last round that stopped it after 0
    messages) consumes nothing, and the file it restored is current: it
    rightly writes none (durable.c), so only then may written be 0."""
    m = {n: kt.metric(run.port, "retentiond_checkpoint" + n) for n in
         ("s_written_total", "_age_seconds", "_write_seconds",
          "_restore_seconds", "_corrupt_total", "_bytes")}
    idle_restart = run.starts > 1 and run.consumed() == 0 and \
        (m["_restore_seconds"] or 0) > 0
    wrote = (m["s_written_total"] or 0) >= 1 and m["_bytes"] > 0 and \
        m["_write_seconds"] > 0
    kt.check((wrote or (idle_restart and m["s_written_total"] == 0)) and
             0 <= m["_age_seconds"] < 120 and m["_corrupt_total"] == 0,
             "%s: checkpoint metrics %s (consumed %d)" % (run.name, m, run.consumed()))
    kt.check(run.starts == 1 or m["_restore_seconds"] > 0,
             "%s: restarted, but no restore time: %s" % (run.name, m))


def corrupt_newest(bs, run):
    """A corrupt newest checkpoint is refused, logged and counted, and the
    previous one is loaded; the run then catches up again."""
    path = os.path.join(run.state, "checkpoints", "%s.ckpt" % IN)
    kt.check(os.path.exists(path + ".prev"), "%s: no previous checkpoint" % run.name)
    with open(path, "r+b") as f:
        f.seek(os.path.getsize(path) // 2)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0x40]))
    run.start()
    run.d.wait_log("state restored from the previous checkpoint", timeout=60)
    kt.check("refused: checksum mismatch" in run.d.output(),
             "%s: the corrupt checkpoint was not reported:\n%s"
             % (run.name, run.d.output()[-2000:]))
    kt.wait_for(lambda: kt.metric(run.port, "retentiond_checkpoint_corrupt_total") == 1,
                30, "retentiond_checkpoint_corrupt_total 1")
    kt.wait_committed(bs, run.group, IN, timeout=240)
    run.stop("term")
    kt.log("a corrupt checkpoint was refused and the previous one used")


def main():
    t0 = time.monotonic()
    rng = random.Random(SEED)
    recs, erased = events(rng)
    kt.check(len(recs) >= MIN_RECORDS, "only %d records generated" % len(recs))
    kt.log("seed %d: %d records, %d erasures" % (SEED, len(recs), len(erased)))
    topics = {IN: PARTS}
    for run in RUNS:
        for t in outputs(run).values():
            topics[t] = 8
    with kt.MockBroker(topics=topics) as broker, \
            tempfile.TemporaryDirectory(prefix="crash-") as tmp:
        bs = broker.bootstrap
        runs = [Run(bs, name, tmp) for name in RUNS]
        ref = runs[0]
        ref.start()
        prod = Producer(bs, recs, runs)
        prod.start()
        during = interrupt(bs, runs[1:], prod, rng)
        kt.log("%d of %d rounds stopped the daemons while the stream was produced"
               % (during, KILLS))
        for r in runs[1:]:
            r.start()
        prod.join(timeout=600)
        kt.check(prod.error is None, "producer: %r" % prod.error)
        end = {p: hi for p, (lo, hi) in watermarks(bs, IN).items()}
        kt.check(all(end.get(p, 0) == n for p, n in prod.per_part.items()) and
                 sum(end.values()) == len(recs),
                 "the broker dropped input: high watermarks %s, produced %s"
                 % (end, prod.per_part))
        for r in runs:
            kt.wait_committed(bs, r.group, IN, timeout=240)
            check_metrics(r)
            r.stop("term")
        for t in topics:
            lows = {p: lo for p, (lo, hi) in watermarks(bs, t).items() if lo != 0}
            kt.check(not lows, "the broker dropped data of %s: low watermarks %s" % (t, lows))
        compare(bs, runs, end, erased)
        corrupt_newest(bs, runs[2])
    print("ok: %d records, %d SIGKILLs and %d SIGTERMs survived, %.0f s"
          % (len(recs), KILLS, KILLS, time.monotonic() - t0))


if __name__ == "__main__":
    main()
