#!/usr/bin/python3
"""retentiond's records in a real journal (systemd-journald, journalctl).

The test runs a private systemd-journald: it re-executes itself in a new
mount namespace (unshare -m) with a tmpfs over /run (and over
/var/log/journal), so the journal's sockets and files are the test's own
and the host's journal is never touched. Skipped when that cannot be done
(not root, no unshare, no systemd-journald).

  A. stderr connected to journald's stream socket and $JOURNAL_STREAM
     naming it, as systemd does for a service: the configuration error
     arrives once, through the native protocol (_TRANSPORT=journal), with
     PRIORITY=3, CONFIG_FILE and CONFIG_LINE; the text line is not stored
     a second time through the stream.
  B. the same stream without $JOURNAL_STREAM: the text line, whose "<3>"
     prefix journald turns into PRIORITY=3, so `journalctl -p warning`
     shows why the service will not start.
  C. $JOURNAL_STREAM set but stderr redirected elsewhere (a pipe): the text
     line goes to the pipe, nothing to the journal.
  D. a log line about one partition (a failed delivery, the setup of
     test_outage.py part 2) carries KAFKA_TOPIC and KAFKA_PARTITION.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import kafkatest as kt  # noqa: E402

NS_ENV = "RETENTIOND_JOURNAL_TEST_NS"
JOURNALD = [p for p in ("/lib/systemd/systemd-journald",
                        "/usr/lib/systemd/systemd-journald") if os.access(p, os.X_OK)]


def outer():
    """Re-executes this file in a private mount namespace, or skips."""
    if os.geteuid() != 0:
        kt.skip("needs root for a private mount namespace")
    if not JOURNALD or not shutil.which("journalctl") or not shutil.which("unshare"):
        kt.skip("systemd-journald, journalctl or unshare not installed")
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        kt.skip("unshare -m not permitted here: " + probe.stderr.strip())
    env = dict(os.environ)
    env[NS_ENV] = "1"
    r = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                        os.path.abspath(__file__)], env=env)
    sys.exit(r.returncode)


def start_journald():
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)
    if os.path.isdir("/var/log/journal"):
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/var/log/journal"], check=True)
    os.makedirs("/run/systemd/journal")
    j = subprocess.Popen(JOURNALD[:1], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kt._live.append(j)
    kt.wait_for(lambda: all(os.path.exists("/run/systemd/journal/" + s)
                            for s in ("socket", "stdout")), 15, "journald's sockets")
    return j


def stream():
    """A connection to journald's stream socket, as systemd makes for a
    service's stderr (identifier retentiond, level prefixes on)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/run/systemd/journal/stdout")
    s.sendall(b"retentiond\n\n6\n1\n0\n0\n0\n")
    s.shutdown(socket.SHUT_RD)
    return s


def journal_stream_value(sock):
    st = os.fstat(sock.fileno())
    return "%d:%d" % (st.st_dev, st.st_ino)


def entries():
    r = subprocess.run(["journalctl", "-D", "/run/log/journal", "-o", "json",
                        "--no-pager", "-t", "retentiond"], capture_output=True, text=True)
    return [json.loads(ln) for ln in r.stdout.splitlines() if ln.strip()]


def with_text(text):
    return [e for e in entries() if text in str(e.get("MESSAGE", ""))]


def run_bad(conf, stderr, env_stream):
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    if env_stream is not None:
        env["JOURNAL_STREAM"] = env_stream
    p = subprocess.run([kt.binary("retentiond"), "-c", conf], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=stderr, env=env, timeout=60)
    return p.returncode


def bad_config(tmp, name):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("[kafka]\nbootstrap.servers = 127.0.0.1:1\n[http]\nlisten =\n"
                "[alerts]\nthreshold = 7\n")
    return path


def case_native(tmp):
    conf = bad_config(tmp, "native.conf")
    s = stream()
    rc = run_bad(conf, s.fileno(), journal_stream_value(s))
    s.close()
    kt.check(rc == 6, "A: exit %d, want 6" % rc)
    es = kt.wait_for(lambda: with_text("native.conf:6:"), 15, "A's entry in the journal")
    e = es[0]
    want = {"_TRANSPORT": "journal", "PRIORITY": "3", "CONFIG_FILE": conf,
            "CONFIG_LINE": "6", "SYSLOG_IDENTIFIER": "retentiond"}
    for k, v in want.items():
        kt.check(e.get(k) == v, "A: %s is %r, want %r: %s" % (k, e.get(k), v, e))
    kt.log("A ok:", {k: e[k] for k in want})


def case_stream(tmp):
    conf = bad_config(tmp, "stream.conf")
    s = stream()
    rc = run_bad(conf, s.fileno(), None)
    s.close()
    kt.check(rc == 6, "B: exit %d, want 6" % rc)
    es = kt.wait_for(lambda: with_text("stream.conf:6:"), 15, "B's entry in the journal")
    e = es[0]
    kt.check(e.get("_TRANSPORT") == "stdout" and e.get("PRIORITY") == "3",
             "B: want the stream transport at priority 3: %s" % e)
    kt.check(not e["MESSAGE"].startswith("<"), "B: prefix left in MESSAGE: %s" % e)
    r = subprocess.run(["journalctl", "-D", "/run/log/journal", "-p", "warning",
                        "-o", "cat", "--no-pager", "-t", "retentiond"],
                       capture_output=True, text=True)
    kt.check("stream.conf:6: threshold" in r.stdout,
             "B: journalctl -p warning hides it:\n" + r.stdout)
    kt.log("B ok:", e["MESSAGE"])


def case_redirected(tmp):
    conf = bad_config(tmp, "redirected.conf")
    s = stream()
    r, w = os.pipe()
    rc = run_bad(conf, w, journal_stream_value(s))
    os.close(w)
    out = os.read(r, 65536).decode()
    os.close(r)
    s.close()
    kt.check(rc == 6, "C: exit %d, want 6" % rc)
    kt.check(out.startswith("<3>") and "redirected.conf:6:" in out,
             "C: the pipe got %r" % out)
    kt.check(not with_text("redirected.conf"), "C: went to the journal")
    kt.log("C ok:", out.strip())


def case_partition():
    """test_outage.py's part 2 with stderr to the journal: the failed
    delivery's line carries its topic and partition."""
    # the repartition topic is an input: on broker 1 with hr.events
    topics = {"hr.events": (4, 1), "hr.events.repartition": (4, 1)}
    for t, n in kt.default_topics().items():
        if t != "hr.events":
            topics[t] = (n, 2)
    group = "retentiond-journal-%d" % os.getpid()
    groups = {group: 1, "kafkatest-meta": 1, "kafkatest-reader": 1}
    ids = ["J%03d" % i for i in range(10)]
    hires = [e for e in kt.workforce(ids, "j", exits=False)
             if e["type"] == "hr.employee.hired"]
    with kt.MockBroker(topics=topics, nbrokers=2, groups=groups, target=2) as broker:
        cfg = {"kafka": {"group.id": group, "message.timeout.ms": 2000},
               "alerts": {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0}}
        d = kt.Daemon(broker.bootstrap, cfg)
        s = stream()
        env = dict(os.environ, JOURNAL_STREAM=journal_stream_value(s))
        p = subprocess.Popen([kt.binary("retentiond"), "-c", d.config],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=s.fileno(), env=env)
        kt._live.append(p)
        kt.wait_for(lambda: with_text("assigned") or p.poll() is not None, 30,
                    "the assignment in the journal")
        broker.down()
        kt.produce(broker.bootstrap, "hr.events", [kt.structured(e) for e in hires])
        kt.wait_for(lambda: p.poll() is not None, 40, "the exit on failed deliveries")
        s.close()
        es = kt.wait_for(lambda: with_text("delivery to"), 15, "D's entry")
        e = es[0]
        kt.check(e.get("_TRANSPORT") == "journal" and e.get("PRIORITY") == "3",
                 "D: %s" % e)
        # The first output to fail may be an alert or, when the hires cross
        # an epoch boundary, the boundary's estimates: either names its own
        # topic and partition.
        kt.check(e.get("KAFKA_TOPIC") in ("hr.attrition.alerts", "hr.model.estimates") and
                 e.get("KAFKA_PARTITION") in ("0", "1") and
                 "%s [%s]" % (e.get("KAFKA_TOPIC"), e.get("KAFKA_PARTITION")) in e["MESSAGE"],
                 "D: fields do not match the message: %s" % e)
        kt.log("D ok:", e["MESSAGE"], e["KAFKA_TOPIC"], e["KAFKA_PARTITION"])
        d.tmp.cleanup()


def inner():
    j = start_journald()
    try:
        with tempfile.TemporaryDirectory(prefix="retentiond-journal-") as tmp:
            case_native(tmp)
            case_stream(tmp)
            case_redirected(tmp)
        # Checked last, when journald has long read whatever the stream
        # carried: a text copy of A's line would be a second entry.
        twice = with_text("native.conf:6:")
        kt.check(len(twice) == 1, "A: stored %d times: %s" % (len(twice), twice))
        kt.require_kafka()
        case_partition()
    finally:
        j.send_signal(signal.SIGTERM)
        j.wait(timeout=10)
    print("ok")


if __name__ == "__main__":
    kt.run(inner if os.environ.get(NS_ENV) else outer)
