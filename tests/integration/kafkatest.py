"""Shared helpers for retentiond's integration tests.

Everything here talks to real processes through real clients: a mock
Kafka cluster in its own process (build/mockbroker, librdkafka's mock
cluster), the daemon under test (`$RETENTIOND`, set by tests/run.sh), and
python3-confluent-kafka as producer, consumer and offset reader.

Rules the helpers keep so that tests need not:
  - every process started here runs in a fresh temporary directory and is
    stopped (SIGTERM, then SIGKILL) by its context manager and, as a last
    resort, at interpreter exit;
  - nothing sleeps blindly: `wait_for` polls a condition until a deadline
    and raises `Timeout` with what it was waiting for;
  - ports are picked by the kernel (the broker writes its bootstrap list to a
    file; `free_port` for an HTTP listener).

Exit codes follow tests/run.sh: 0 pass, 77 skip (`skip(reason)`), anything
else fails (`fail(reason)`, or an uncaught exception).

Typical use:

    with kafkatest.MockBroker(topics=kafkatest.default_topics()) as broker, \\
         kafkatest.Daemon(broker.bootstrap, {"alerts": {"threshold": 0.02, "min_exits": 0}}) as d:
        kafkatest.produce(broker.bootstrap, "hr.events", [(key, value, headers)])
        recs = kafkatest.consume(broker.bootstrap, "hr.attrition.alerts",
                                 until=lambda rs: len(rs) >= 1, timeout=30)
        kafkatest.wait_committed(broker.bootstrap, d.group, "hr.events")
        assert d.stop() == 0
"""

import atexit
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

SKIP = 77
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

try:
    import confluent_kafka
    from confluent_kafka import Consumer, Producer, TopicPartition
except ImportError:     # pragma: no cover - reported by require_kafka()
    confluent_kafka = None

_live = []      # processes to kill at exit, whatever happened


def _reap_all():
    for p in reversed(list(_live)):     # the daemon before its broker
        _kill(p, 2.0)


atexit.register(_reap_all)


def _kill(proc, grace):
    """SIGTERM, wait up to grace seconds, then SIGKILL; returns the status."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in _live:
        _live.remove(proc)
    return proc.returncode


def log(*args):
    """Progress line on stderr (tests/run.sh keeps it in the test's log)."""
    print("[%.2f]" % time.monotonic(), *args, file=sys.stderr, flush=True)


def skip(reason):
    """Ends the test as skipped; the reason is the last line of the log."""
    _reap_all()
    print("skip: " + reason, flush=True)
    sys.exit(SKIP)


def fail(reason):
    """Ends the test as failed with a reason."""
    _reap_all()
    print("FAIL: " + reason, flush=True)
    sys.exit(1)


def check(cond, what):
    """Fails the test with `what` unless cond holds."""
    if not cond:
        fail(what)


class Timeout(Exception):
    pass


def run(main):
    """Runs a test's main(): a Timeout that escapes fails the test with its
    message (instead of a traceback)."""
    try:
        main()
    except Timeout as e:
        fail(str(e))


def wait_for(cond, timeout, what, interval=0.05):
    """Polls cond() until it returns a true value (returned) or timeout
    seconds pass (raises Timeout naming `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise Timeout("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def build_dir():
    return os.path.join(ROOT, os.environ.get("BUILD", "build"))


def binary(name):
    """Path of a built program; skips the test when it is missing."""
    if name == "retentiond" and os.environ.get("RETENTIOND"):
        path = os.environ["RETENTIOND"]
    else:
        path = os.path.join(build_dir(), name)
    if not os.access(path, os.X_OK):
        skip("%s not built (make)" % path)
    return path


def require_kafka():
    if confluent_kafka is None:
        skip("python3-confluent-kafka is not installed")


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def split_topics(partitions=4):
    """default_topics() over two brokers: the input's partitions led by
    broker 1, the outputs' by broker 2, so that a fault can hit one side."""
    return {t: (partitions if t == "hr.events" else n, 1 if t == "hr.events" else 2)
            for t, n in default_topics().items()}


def default_topics(partitions=4):
    """The five default topics of CONTRACT.md with partition counts."""
    return {"hr.events": partitions, "hr.attrition.alerts": 2,
            "hr.retention.suggestions": 2, "hr.model.estimates": 1,
            "hr.events.dlq": 2}


class MockBroker:
    """build/mockbroker in its own process and temp dir.

    topics: {name: partitions or (partitions, leader broker id)}, created
    before the bootstrap file appears. groups: {group id: coordinator broker
    id}. target: the broker that down()/up() act on (default all).
    .bootstrap is the broker list once started."""

    def __init__(self, topics=None, nbrokers=1, timeout=15, groups=None, target=None):
        self.topics = topics or {}
        self.groups = groups or {}
        self.target = target
        self.nbrokers = nbrokers
        self.timeout = timeout
        self.proc = None
        self.bootstrap = None

    def __enter__(self):
        require_kafka()
        self.tmp = tempfile.TemporaryDirectory(prefix="mockbroker-")
        path = os.path.join(self.tmp.name, "bootstrap.servers")
        argv = [binary("mockbroker"), "-f", path, "-b", str(self.nbrokers)]
        for t, n in self.topics.items():
            if isinstance(n, tuple):
                argv += ["-t", "%s:%d@%d" % (t, n[0], n[1])]
            else:
                argv += ["-t", "%s:%d" % (t, n)]
        for g, b in self.groups.items():
            argv += ["-g", "%s@%d" % (g, b)]
        if self.target is not None:
            argv += ["-d", str(self.target)]
        self.log = open(os.path.join(self.tmp.name, "mockbroker.log"), "w+")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.PIPE)
        _live.append(self.proc)
        try:
            wait_for(lambda: os.path.exists(path) or self.proc.poll() is not None,
                     self.timeout, "the mock broker's bootstrap file")
        except Timeout:
            self.__exit__(None, None, None)
            raise
        if self.proc.poll() is not None:
            out = self.output()
            self.__exit__(None, None, None)
            fail("mockbroker exited %s: %s" % (self.proc.returncode, out))
        with open(path) as f:
            self.bootstrap = f.read().strip()
        log("mock broker", self.bootstrap)
        return self

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def _set_brokers(self, up, timeout):
        word = "brokers up" if up else "brokers down"
        before = self.output().count("mockbroker: " + word)
        self.proc.send_signal(signal.SIGUSR2 if up else signal.SIGUSR1)
        wait_for(lambda: self.output().count("mockbroker: " + word) > before
                 or self.proc.poll() is not None, timeout, "mockbroker: " + word)
        check(self.proc.poll() is None, "mockbroker died: " + self.output())

    def down(self, timeout=10):
        """Takes every broker down (SIGUSR1): clients are disconnected and
        refused; records and committed offsets are kept. Returns once the
        broker has acknowledged it."""
        self._set_brokers(False, timeout)

    def up(self, timeout=10):
        """Brings the brokers back (SIGUSR2), once acknowledged."""
        self._set_brokers(True, timeout)

    def refuse_next_produce(self, timeout=10):
        """The next Produce request (from any client) is refused with
        MSG_SIZE_TOO_LARGE, as a real broker refuses a record over a
        topic's max.message.bytes (SIGHUP); returns once acknowledged."""
        word = "mockbroker: next produce refused"
        before = self.output().count(word)
        self.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.output().count(word) > before
                 or self.proc.poll() is not None, timeout, word)
        check(self.proc.poll() is None, "mockbroker died: " + self.output())

    def command(self, line, timeout=10):
        """Sends one fault command (tests/infra/mockbroker.c: down, up,
        rtt, errors, count, clear) and returns its answer ("ok", or the
        count) once in force; fails on an error answer."""
        prefix = "mockbroker: > %s: " % line
        before = self.output().count(prefix)
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        wait_for(lambda: self.output().count(prefix) > before
                 or self.proc.poll() is not None, timeout, prefix)
        check(self.proc.poll() is None, "mockbroker died: " + self.output())
        answer = self.output().split(prefix)[-1].split("\n", 1)[0]
        check(not answer.startswith("error"), "mockbroker: %s: %s" % (line, answer))
        return answer

    def stop(self):
        """Stops the broker; returns its exit status (0 expected)."""
        return _kill(self.proc, 10.0) if self.proc else None

    def __exit__(self, *exc):
        self.stop()
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()
        self.log.close()
        self.tmp.cleanup()
        return False


def write_config(path, sections):
    """Writes an INI file from {section: {key: value}}; None values skipped."""
    with open(path, "w") as f:
        for sec, kv in sections.items():
            f.write("[%s]\n" % sec)
            for k, v in kv.items():
                if v is not None:
                    f.write("%s = %s\n" % (k, v))
            f.write("\n")


class Daemon:
    """$RETENTIOND -c CFG in its own temp dir (state directory inside).

    sections: extra INI sections merged over the defaults below; [kafka]
    gets bootstrap.servers, a fresh group.id (.group) and a short session
    timeout so that group joins are quick against the mock cluster."""

    def __init__(self, bootstrap, sections=None, args=(), env=None):
        self.group = "retentiond-it-" + uuid.uuid4().hex[:8]
        self.tmp = tempfile.TemporaryDirectory(prefix="retentiond-")
        self.state = os.path.join(self.tmp.name, "state")
        os.mkdir(self.state)
        self.config = os.path.join(self.tmp.name, "retentiond.conf")
        cfg = {
            "kafka": {"bootstrap.servers": bootstrap, "group.id": self.group,
                      "session.timeout.ms": 6000},
            "state": {"directory": self.state},
            "http": {"listen": ""},
            # a caught-up silent partition counts as past an epoch
            # boundary after this long (the default is 30 s)
            "model": {"idle_seconds": 1},
        }
        for sec, kv in (sections or {}).items():
            cfg.setdefault(sec, {}).update(kv)
        self.group = cfg["kafka"].get("group.id", self.group)
        write_config(self.config, cfg)
        self.args = list(args)
        self.env = env
        self.proc = None
        self.logpath = os.path.join(self.tmp.name, "retentiond.log")

    def __enter__(self):
        self.log = open(self.logpath, "w+")
        env = dict(os.environ)
        env.update(self.env or {})
        self.proc = subprocess.Popen([binary("retentiond"), "-c", self.config] + self.args,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        _live.append(self.proc)
        log("retentiond pid", self.proc.pid)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        self.log.flush()
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def wait_log(self, text, timeout=20):
        """Waits until text appears in the daemon's log (or it exits)."""
        wait_for(lambda: text in self.output() or not self.alive(), timeout,
                 "%r in the daemon's log" % text)
        check(text in self.output(), "daemon exited before logging %r:\n%s"
              % (text, self.output()))

    def assignments(self):
        """[(event, [partition ids])] from the log in order; event is
        "assigned", "revoked" or "lost"."""
        out = []
        for m in re.finditer(r"\b(assigned|revoked|lost) \d+ partition\(s\) of \S+: "
                             r"\[([0-9,]*)\]", self.output()):
            ids = [int(x) for x in m.group(2).split(",") if x]
            out.append((m.group(1), ids))
        return out

    def owned(self):
        """The partitions the daemon holds by its log (eager protocol: each
        assignment replaces the previous one; incremental ones add)."""
        cur = set()
        for ev, ids in self.assignments():
            if ev == "assigned":
                cur |= set(ids)
            else:
                cur -= set(ids)
        return cur

    def stop(self, timeout=20):
        """SIGTERM; returns the exit status, or fails when the daemon needs
        more than timeout seconds (it is then killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill(self.proc, 0)
                fail("retentiond did not exit within %d s of SIGTERM:\n%s"
                     % (timeout, self.output()[-3000:]))
        if self.proc in _live:
            _live.remove(self.proc)
        return self.proc.returncode

    def __exit__(self, *exc):
        if self.proc is not None:
            _kill(self.proc, 10.0)
            if exc[0] is not None:
                sys.stderr.write("---- retentiond log ----\n" + self.output()[-6000:])
        self.log.close()
        self.tmp.cleanup()
        return False


def wait_split(a, b, parts, timeout=40):
    """Waits until daemons a and b (both alive) hold disjoint sets of
    partitions that together are parts (a set of ids)."""
    def split():
        oa, ob = a.owned(), b.owned()
        check(a.alive() and b.alive(), "an instance died:\n%s\n%s"
              % (a.output()[-2000:], b.output()[-2000:]))
        return oa and ob and not (oa & ob) and (oa | ob) == parts
    wait_for(split, timeout, "both instances to share the %d partitions" % len(parts))


# ---- Kafka clients ---------------------------------------------------------

def produce(bootstrap, topic, records, timeout=30, conf=None):
    """Produces [(key, value, headers)] in order (one partition per key by
    murmur2, the partitioner CONTRACT.md asks of producers, unless conf
    says otherwise) and waits for every delivery report. Returns
    [(partition, offset)] in the order given; fails on a delivery error.
    key/value: str, bytes or None; headers: list of (name, bytes) or None;
    a record may add a fourth element, its partition.
    conf: more producer settings (e.g. a larger message.max.bytes, or
    partitioner=consistent_random for librdkafka's default)."""
    p = Producer(dict({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                       "linger.ms": 5, "partitioner": "murmur2_random"},
                      **(conf or {})))
    results = [None] * len(records)

    def report(i):
        def cb(err, msg):
            results[i] = err if err else (msg.partition(), msg.offset())
        return cb

    for i, rec in enumerate(records):
        key, value, headers = rec[:3]
        where = {"partition": rec[3]} if len(rec) > 3 else {}
        while True:
            try:
                p.produce(topic, key=key, value=value, headers=headers or None,
                          on_delivery=report(i), **where)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    left = p.flush(timeout)
    check(left == 0, "%d records to %s not delivered within %d s" % (left, topic, timeout))
    for i, r in enumerate(results):
        check(isinstance(r, tuple), "record %d to %s not delivered: %s" % (i, topic, r))
    return results


def partitions(bootstrap, topic, timeout=10):
    """Partition ids of topic (waits until its metadata is known)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "kafkatest-meta"})
    try:
        def ids():
            md = c.list_topics(topic, timeout=2)
            t = md.topics.get(topic)
            if t is None or t.error is not None or not t.partitions:
                return None
            return sorted(t.partitions)
        return wait_for(ids, timeout, "metadata of " + topic)
    finally:
        c.close()


def end_offsets(bootstrap, topic):
    """{partition: high watermark} of topic."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "kafkatest-meta"})
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in partitions(bootstrap, topic)}
    finally:
        c.close()


def committed(bootstrap, group, topic):
    """{partition: committed offset of group} (negative: none)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    try:
        tps = [TopicPartition(topic, p) for p in partitions(bootstrap, topic)]
        return {tp.partition: tp.offset for tp in c.committed(tps, timeout=10)}
    finally:
        c.close()


def wait_committed(bootstrap, group, topic, timeout=30):
    """Waits until group's committed offsets on topic reach the end offsets
    (partitions without records need no commit). Returns both maps."""
    state = {}

    def reached():
        end = end_offsets(bootstrap, topic)
        com = committed(bootstrap, group, topic)
        state["end"], state["committed"] = end, com
        return all(end[p] == 0 or com.get(p, -1) == end[p] for p in end)
    try:
        wait_for(reached, timeout, "committed offsets of %s to reach the end" % topic,
                 interval=0.2)
    except Timeout as e:
        fail("%s: end %s, committed %s" % (e, state.get("end"), state.get("committed")))
    return state["end"], state["committed"]


class Record:
    """A consumed record with str-decoded key and headers as a dict."""

    def __init__(self, m):
        self.topic = m.topic()
        self.partition = m.partition()
        self.offset = m.offset()
        self.key_bytes = m.key()
        self.value_bytes = m.value()
        self.key = m.key().decode("utf-8", "replace") if m.key() is not None else None
        self.headers = {}
        for name, val in (m.headers() or []):
            self.headers[name] = val

    def json(self):
        return json.loads(self.value_bytes)

    def __repr__(self):
        return "<%s[%d]@%d key=%r>" % (self.topic, self.partition, self.offset, self.key)


def consume(bootstrap, topic, until=None, timeout=30, start=None):
    """Reads topic from the beginning (or from start={partition: offset})
    without a consumer group. Stops when until(records) is true (checked as
    records arrive) or, with until=None, when every partition's end offset
    at the time of the call is reached. Fails on timeout."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "kafkatest-reader",
                  "enable.auto.commit": False, "enable.partition.eof": False})
    recs = []
    try:
        parts = partitions(bootstrap, topic)
        c.assign([TopicPartition(topic, p, (start or {}).get(p, confluent_kafka.OFFSET_BEGINNING))
                  for p in parts])
        end = end_offsets(bootstrap, topic) if until is None else None
        pos = {p: (start or {}).get(p, 0) for p in parts}

        def done():
            if until is not None:
                return until(recs)
            return all(pos[p] >= end[p] for p in parts)
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() >= deadline:
                fail("timed out after %d s reading %s (%d records so far)"
                     % (timeout, topic, len(recs)))
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                log("consume %s: %s" % (topic, m.error()))
                continue
            recs.append(Record(m))
            pos[m.partition()] = m.offset() + 1
        return recs
    finally:
        c.close()


# ---- events and schemas --------------------------------------------------

def cloudevent(etype, subject, eid, when, data=None, source="it-hris"):
    """A structured-mode CloudEvents 1.0 object (dict)."""
    ev = {"specversion": "1.0", "id": eid, "source": source, "type": etype,
          "subject": subject, "time": when}
    if data is not None:
        ev["data"] = data
    return ev


def close_epoch(bootstrap, topic, when, partitions=4):
    """Ends the event-time epoch of everything produced so far: erasures of
    ids nobody has, dated `when` (after every event sent), keyed and placed
    by murmur2 where they belong, until every partition has one. A daemon
    applies a re-routed event only at the end of its epoch (DESIGN.md,
    "Exact outputs with re-routed events"); these cross the boundary and
    change no record."""
    recs = [structured(cloudevent("hr.employee.erased", "closer-%d" % i,
                                  "closer-%d" % i, when)) for i in range(64)]
    got = produce(bootstrap, topic, recs)
    check(set(p for p, _ in got) >= set(range(partitions)),
          "the closing events missed a partition")


def structured(ev):
    """(key, value bytes, headers) for a structured-mode event."""
    return (ev["subject"], json.dumps(ev).encode(),
            [("content-type", b"application/cloudevents+json")])


def binary_mode(ev):
    """(key, value bytes, headers) for the CloudEvents Kafka binding's
    binary mode: attributes in ce_* headers, data as the value."""
    headers = [("ce_" + k, str(v).encode()) for k, v in ev.items() if k != "data"]
    headers.append(("content-type", b"application/json"))
    value = json.dumps(ev["data"]).encode() if "data" in ev else None
    return (ev["subject"], value, headers)


def schema_dir():
    return os.environ.get("RETENTIOND_SCHEMAS", os.path.join(ROOT, "docs", "schemas"))


def load_schemas(names):
    """{name: validator} for docs/schemas/<name>.json; skips the test when
    one is missing or jsonschema is not installed."""
    try:
        import jsonschema
    except ImportError:
        skip("python3-jsonschema is not installed")
    out = {}
    for n in names:
        path = os.path.join(schema_dir(), n + ".json")
        if not os.path.exists(path):
            skip("schema %s not present yet" % path)
        with open(path) as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        out[n] = cls(schema)
    return out


def validate(validator, obj, what):
    """Fails with the first schema error of obj."""
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        fail("%s does not match its schema at %s: %s\n%s"
             % (what, "/".join(map(str, e.path)), e.message, json.dumps(obj)[:2000]))


# ---- workloads and the daemon's HTTP side ------------------------------------

def workforce(ids, tag, year=2025, exits=True):
    """A workload for `ids`: every hire first, then three rounds of low
    surveys, then (exits=True) a voluntary exit for every seventh employee
    (index % 7 == 3). Event ids are "<tag>-h-<id>", "<tag>-s<round>-<id>",
    "<tag>-x-<id>". With [alerts] threshold 0.02 and min_exits 0, and the
    hires processed before any survey (produce them and wait for the
    commit first: surveys move the model), every hire fires an alert
    (caused_by its hire) and every exit resolves it (reason "exited").
    Returns a list of event dicts in production order."""
    evs = []

    def when(month, i):
        return "%d-%02d-%02dT09:00:00Z" % (year, month, 1 + i % 28)
    for i, e in enumerate(ids):
        evs.append(cloudevent("hr.employee.hired", e, "%s-h-%s" % (tag, e), when(1, i), {
            "department": ["Sales", "Engineering", "Support"][i % 3],
            "job_level": 1 + i % 4, "salary": 40000 + 1000 * (i % 20),
            "manager_id": "M%d" % (i % 5), "location": "Berlin"}))
    for r in range(3):
        for i, e in enumerate(ids):
            evs.append(cloudevent("hr.survey.submitted", e, "%s-s%d-%s" % (tag, r, e),
                                  when(2 + 2 * r, i),
                                  {"satisfaction": max(1, 30 - 8 * r - i % 10),
                                   "engagement": 30, "intent_to_stay": max(1, 25 - 5 * r)}))
    if exits:
        evs += exits_of(ids, tag, year)
    return evs


def exits_of(ids, tag, year=2025):
    """The exit events workforce() would add for ids (index % 7 == 3)."""
    return [cloudevent("hr.employee.exited", e, "%s-x-%s" % (tag, e),
                       "%d-09-%02dT09:00:00Z" % (year, 1 + i % 28),
                       {"voluntary": True, "reason": "offer"})
            for i, e in enumerate(ids) if i % 7 == 3]


def http_get(port, path, timeout=5):
    """(status, body str) of GET http://127.0.0.1:port/path; (None, reason)
    when the connection fails. The response must agree with
    docs/openapi.json (openapi_check.py), or the test fails."""
    import urllib.error
    import urllib.request
    try:
        import openapi_check
    except ImportError:
        skip("python3-jsonschema is not installed")
    url = "http://127.0.0.1:%d%s" % (port, path)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            status, headers, body = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, headers, body = e.code, e.headers, e.read()
    except (OSError, urllib.error.URLError) as e:
        return None, str(e)
    bad = openapi_check.checker().problems("GET", url, status, headers, body)
    check(not bad, "OpenAPI: GET %s: %s" % (path, "; ".join(bad)))
    return status, body.decode("utf-8", "replace")


def metrics(port):
    """{sample: value} of /metrics, the sample named with its labels as
    served ('retentiond_consumer_pauses_total{reason="inflight"}'); {} when
    the page does not answer."""
    status, body = http_get(port, "/metrics")
    out = {}
    if status == 200:
        for line in body.splitlines():
            m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) (\S+)$", line)
            if m:
                out[m.group(1)] = float(m.group(3))
    return out


def metric(port, name):
    """The value of an unlabelled sample `name` from /metrics, or None."""
    status, body = http_get(port, "/metrics")
    if status != 200:
        return None
    for line in body.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return float(parts[1])
    return None


def wait_rerouted(port, n, timeout=30):
    """Waits until the daemon on port has re-routed n events and read all
    of them back (retentiond_repartitioned_total and
    retentiond_repartition_consumed_total); fails with both counts."""
    def counts():
        return (metric(port, "retentiond_repartitioned_total"),
                metric(port, "retentiond_repartition_consumed_total"))
    try:
        wait_for(lambda: counts() == (n, n), timeout, "every re-routed event to be read back")
    except Timeout:
        fail("re-routed %s, read back %s, expected %d each" % (counts() + (n,)))
