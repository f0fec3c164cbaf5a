#!/usr/bin/env python3
"""Slow HTTP clients must not blind monitoring (issue 10, item 2).

1. The attack from the issue, against the default [http] limits: 16
   connections from each of 127.0.0.1..127.0.0.5 that send one header line
   every 3 s and never finish their request. While they trickle, /healthz
   and /readyz must still answer (from an attacked address and from a
   quiet one), and the server must close every slow connection itself
   (request_timeout_seconds), although none of them is ever idle.
2. The limits themselves, with the timeout out of the way (3600 s):
   max_connections_per_address refuses the connection over the bound from
   one address and keeps the others; max_connections holds further
   clients back until a slot frees.

Deadlines bound the correctness checks; nothing here measures speed.
Exit 0 pass, 1 fail, 77 skip.
"""
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_http as th  # noqa: E402
from test_http import check, wait_for, Daemon, raw_http  # noqa: E402

TRICKLE_S = 3.0


class Slow:
    """One slow client: a request line, then a header line every few s."""

    def __init__(self, source, port):
        self.source = source
        self.closed_by_server = False
        self.answered = False
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.bind((source, 0))
        self.s.settimeout(5)
        self.s.connect(("127.0.0.1", port))
        self.s.setblocking(False)
        self.next_line = time.monotonic()
        self.n = 0
        self.send(b"GET /healthz HTTP/1.1\r\n")

    def send(self, data):
        try:
            self.s.send(data)
        except BlockingIOError:
            pass
        except OSError:
            self.closed_by_server = True

    def open(self):
        return not self.closed_by_server

    def close(self):
        self.s.close()


def pump(slow):
    """Sends the header lines that are due and notes the connections the
    server closed. Returns how many are still open."""
    now = time.monotonic()
    live = [c for c in slow if c.open()]
    for c in live:
        if now >= c.next_line:
            c.n += 1
            c.send(b"X-Slow-%d: still typing\r\n" % c.n)
            c.next_line = now + TRICKLE_S
    live = [c for c in slow if c.open()]
    if live:
        ready, _, _ = select.select([c.s for c in live], [], [], 0)
        for c in live:
            if c.s not in ready:
                continue
            try:
                data = c.s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                c.answered = True    # a slow request must never be served
            else:
                c.closed_by_server = True
    return sum(1 for c in slow if c.open())


def finish(d, slow):
    for c in slow:
        c.close()
    if th.failures:
        print("--- daemon stderr (tail) ---\n" + d.stderr()[-3000:])
    d.cleanup()


def probe(d, source, path="/healthz"):
    st, _ = raw_http(d.port, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n", source=source, timeout=2)
    return st


def test_attack():
    d = Daemon()
    slow = []
    try:
        d.start()
        for i in range(1, 6):
            for _ in range(16):
                slow.append(Slow("127.0.0.%d" % i, d.port))
        check(len(slow) == 80, "80 slow connections opened from 5 addresses")

        def answers(source, path="/healthz", want=(200,)):
            def f():
                pump(slow)
                return probe(d, source, path) in want
            return f
        # while the slow clients are still trickling
        deadline = th.DEADLINE_S / 2
        check(wait_for(answers("127.0.0.6"), "/healthz from a quiet address",
                       deadline_s=deadline, proc=d.proc),
              "/healthz answers from a quiet address under the attack")
        check(wait_for(answers("127.0.0.1"), "/healthz from an attacking address",
                       deadline_s=deadline, proc=d.proc),
              "/healthz answers from an attacking address under the attack")
        check(wait_for(answers("127.0.0.6", "/readyz", (200, 503)), "/readyz",
                       deadline_s=deadline, proc=d.proc),
              "/readyz answers under the attack")
        left = wait_for(lambda: pump(slow) == 0, "the server to close the slow connections",
                        deadline_s=th.DEADLINE_S, proc=d.proc)
        open_now = pump(slow)
        check(left is not None and open_now == 0,
              "the server closed every slow connection (%d still open)" % open_now)
        check(max(c.n for c in slow) >= 1, "the slow clients kept sending header lines")
        check(not any(c.answered for c in slow), "no slow request was answered")
        check(probe(d, "127.0.0.1") == 200, "/healthz after the attack: 200")
        check_keepalive(d)
        check(d.proc.poll() is None, "the daemon kept running")
        check("longer than 5 s" in d.stderr(), "the closing is logged (rate-limited warning)")
    finally:
        finish(d, slow)


def check_keepalive(d, timeout_s=5):
    """The deadline is per request: one keep-alive connection that asks
    every half second, each request whole, outlives the timeout."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    start, n, ok = time.monotonic(), 0, True
    buf = b""
    try:
        while ok and time.monotonic() < start + timeout_s + 1.5:
            if n > 0:
                time.sleep(0.5)     # the client's pace, not a wait for the server
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            while b"\r\n\r\nok\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    ok = False
                    break
                buf += chunk
            if ok:
                buf = buf.split(b"\r\n\r\nok\n", 1)[1]
                n += 1
    except OSError:
        ok = False
    finally:
        s.close()
    check(ok and n > timeout_s * 2, "a keep-alive connection asking again and again outlives "
          "request_timeout_seconds (%d answers)" % n)


def test_limits():
    d = Daemon(http_section=None)
    d.write_conf("listen = 127.0.0.1:%d\nmax_connections = 4\n"
                 "max_connections_per_address = 2\nrequest_timeout_seconds = 3600\n" % d.port)
    slow = []
    try:
        d.start()
        # the listen socket is served once /healthz answered; the probe's
        # connection is gone before the slow ones arrive
        slow = [Slow("127.0.0.7", d.port) for _ in range(3)]
        check(wait_for(lambda: pump(slow) == 2, "one of three refused", proc=d.proc),
              "max_connections_per_address = 2: the third connection from one address is closed")
        check(pump(slow) == 2, "... and the two within the bound stay open")
        more = [Slow("127.0.0.8", d.port) for _ in range(2)]
        slow += more
        check(pump(slow) == 4, "4 connections open in all")
        st = probe(d, "127.0.0.9")
        check(st != 200, "max_connections = 4: a fifth client is not served meanwhile (%d)" % st)
        more[0].close()
        more[0].closed_by_server = True    # (closed by us: out of the count)
        check(wait_for(lambda: probe(d, "127.0.0.9") == 200, "a freed slot", proc=d.proc),
              "once a connection closes, the next client is served")
    finally:
        finish(d, slow)


def main():
    if not os.access(th.BINARY, os.X_OK):
        th.skip("no binary at " + th.BINARY)
    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        th.skip("python3-confluent-kafka not installed")
    test_attack()
    test_limits()
    print("%d failure(s)" % len(th.failures))
    return 1 if th.failures else 0


if __name__ == "__main__":
    sys.exit(main())
