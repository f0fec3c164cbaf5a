#!/usr/bin/python3
"""The systemd service protocol, end to end.

Plays the service manager: binds a Unix datagram socket, starts
`retentiond --embedded-broker -c CONF` with NOTIFY_SOCKET and WATCHDOG_USEC
set, and checks what arrives:
  - READY=1, a STATUS= line and WATCHDOG=1 pings once it runs;
  - SIGHUP with a valid file: RELOADING=1 (with MONOTONIC_USEC=) then READY=1,
    and "configuration reloaded" in the log;
  - SIGHUP with an invalid file: RELOADING=1 then READY=1 again, the daemon
    keeps running (and pinging the watchdog) and logs that the reload was
    rejected, naming file:line;
  - SIGTERM: STOPPING=1 and exit status 0.
Every stderr line carries an sd-daemon "<N>" priority prefix.
Waits poll with deadlines; the daemon is killed on every exit path.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("RETENTIOND", "build/retentiond")
DEADLINE_S = 60.0          # generous: sanitizer builds start slowly
WATCHDOG_USEC = 500000     # pings expected at least every 0.25 s

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


class Manager:
    """The notify socket and everything received on it, in order."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []   # list of dicts, one per datagram

    def pump(self):
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return
        fields = {}
        for line in data.decode("utf-8", "replace").split("\n"):
            if "=" in line:
                k, v = line.split("=", 1)
                fields[k] = v
        self.messages.append(fields)

    def wait_for(self, pred, start, proc, what):
        """Index of the first message at or after start matching pred."""
        deadline = time.monotonic() + DEADLINE_S
        i = start
        while time.monotonic() < deadline:
            while i < len(self.messages):
                if pred(self.messages[i]):
                    return i
                i += 1
            if proc.poll() is not None:
                fail("%s: daemon exited with %s" % (what, proc.returncode))
                return None
            self.pump()
        fail("%s: not received within %.0f s" % (what, DEADLINE_S))
        return None


def log_text(path):
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        return f.read()


def wait_log(path, pattern, proc, what):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        m = re.search(pattern, log_text(path), re.M)
        if m:
            return m
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    fail("%s: no log line matching %r" % (what, pattern))
    return None


def write_config(path, state, threshold):
    with open(path, "w") as f:
        f.write("[state]\ndirectory = %s\n\n[http]\nlisten =\n\n"
                "[alerts]\nthreshold = %s\n" % (state, threshold))


def main():
    if not os.access(BIN, os.X_OK):
        print("no %s (run make first)" % BIN)
        return 1
    tmp = tempfile.TemporaryDirectory(prefix="test_notify.")
    conf = os.path.join(tmp.name, "retentiond.conf")
    state = os.path.join(tmp.name, "state")
    errlog = os.path.join(tmp.name, "stderr.log")
    write_config(conf, state, "0.5")
    mgr = Manager(os.path.join(tmp.name, "notify.sock"))

    env = dict(os.environ)
    env["NOTIFY_SOCKET"] = os.path.join(tmp.name, "notify.sock")
    env["WATCHDOG_USEC"] = str(WATCHDOG_USEC)
    env.pop("WATCHDOG_PID", None)
    env.pop("LISTEN_FDS", None)
    with open(errlog, "w") as err:
        proc = subprocess.Popen([BIN, "--embedded-broker", "-c", conf],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err, env=env)
    try:
        run(mgr, proc, conf, state, errlog)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        mgr.sock.close()
        if failures:
            print("---- daemon stderr (last 40 lines) ----")
            print("\n".join(log_text(errlog).splitlines()[-40:]))
        tmp.cleanup()
    return 1 if failures else 0


def run(mgr, proc, conf, state, errlog):
    # start-up
    i = mgr.wait_for(lambda m: m.get("READY") == "1", 0, proc, "READY=1")
    if i is None:
        return
    if mgr.wait_for(lambda m: "STATUS" in m, 0, proc, "STATUS=") is not None:
        print("status: %s" % next(m["STATUS"] for m in mgr.messages if "STATUS" in m))
    w = mgr.wait_for(lambda m: m.get("WATCHDOG") == "1", 0, proc, "WATCHDOG=1")
    if w is None:
        return
    # pings keep coming: two more after the first
    w = mgr.wait_for(lambda m: m.get("WATCHDOG") == "1", w + 1, proc, "2nd WATCHDOG=1")
    if w is None:
        return
    if not os.path.exists(os.path.join(state, "bootstrap.servers")):
        fail("--embedded-broker did not write <state>/bootstrap.servers")

    # a valid reload
    write_config(conf, state, "0.6")
    start = len(mgr.messages)
    proc.send_signal(signal.SIGHUP)
    r = mgr.wait_for(lambda m: m.get("RELOADING") == "1", start, proc, "RELOADING=1")
    if r is None:
        return
    if not re.fullmatch(r"[0-9]+", mgr.messages[r].get("MONOTONIC_USEC", "")):
        fail("RELOADING=1 without MONOTONIC_USEC=: %r" % mgr.messages[r])
    if mgr.wait_for(lambda m: m.get("READY") == "1", r + 1, proc,
                    "READY=1 after a reload") is None:
        return
    wait_log(errlog, r"configuration reloaded", proc, "valid reload")

    # an invalid file is rejected and the daemon keeps going
    with open(conf, "a") as f:
        f.write("[alerts]\ncritical_threshold = 2\n")
    start = len(mgr.messages)
    proc.send_signal(signal.SIGHUP)
    r = mgr.wait_for(lambda m: m.get("RELOADING") == "1", start, proc,
                     "RELOADING=1 (bad file)")
    if r is None:
        return
    if mgr.wait_for(lambda m: m.get("READY") == "1", r + 1, proc,
                    "READY=1 after a rejected reload") is None:
        return
    m = wait_log(errlog, r"^<4>.*reload.*rejected.*" + re.escape(conf) + r":10: ",
                 proc, "rejected reload")
    if m:
        print("rejected: %s" % m.group(0))
    if mgr.wait_for(lambda m: m.get("WATCHDOG") == "1", r + 1, proc,
                    "WATCHDOG=1 after a rejected reload") is None:
        return

    # stop
    start = len(mgr.messages)
    proc.send_signal(signal.SIGTERM)
    if mgr.wait_for(lambda m: m.get("STOPPING") == "1", start, proc, "STOPPING=1") is None:
        if proc.poll() is None:
            return
    try:
        rc = proc.wait(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        fail("no exit within %.0f s of SIGTERM" % DEADLINE_S)
        return
    if rc != 0:
        fail("exit status %d after SIGTERM, want 0" % rc)

    lines = log_text(errlog).splitlines()
    bad = [ln for ln in lines if not re.match(r"<[0-7]>", ln)]
    if not lines:
        fail("nothing logged")
    elif bad:
        fail("stderr lines without a <N> prefix: %r" % bad[:3])
    print("%d notifications, %d log lines" % (len(mgr.messages), len(lines)))


if __name__ == "__main__":
    sys.exit(main())
