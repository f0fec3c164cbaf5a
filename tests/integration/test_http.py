#!/usr/bin/env python3
"""HTTP API of retentiond against the real daemon and its embedded broker.

Starts `retentiond --embedded-broker` in a temp directory with [http] on a
free loopback port, produces HR events with confluent_kafka, and checks
every route of CONTRACT.md "HTTP": health, readiness, employees (404 when
unknown or erased, ids with an encoded '/'), model, what-if, errors (400,
404, 405, 413), bearer-token authentication (401), a reload that changes
settings only a restart applies, and that the daemon refuses a
non-loopback address without a token. The daemon's log must not name any
employee. Every response is checked against docs/openapi.json
(openapi_check.py), and GET /v1/openapi.json against the build's bundle.

test_metrics.py imports the helpers below (Daemon, http, wait_for, ...).
Exit 0 pass, 1 fail, 77 skip (no binary or no confluent_kafka).
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import openapi_check
except ImportError:                # no python3-jsonschema: main() skips
    openapi_check = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("RETENTIOND") or os.path.join(ROOT, os.environ.get("BUILD", "build"), "retentiond")
DEADLINE_S = float(os.environ.get("TEST_DEADLINE_S", "60"))   # sanitizer builds are slow

failures = []


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)
    return cond


def skip(why):
    print("skip: " + why)
    sys.exit(77)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(fn, what, deadline_s=DEADLINE_S, proc=None):
    """Polls fn() until it returns a true value; returns it, or None at the
    deadline (or when proc has exited)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        if proc is not None and proc.poll() is not None:
            print("daemon exited (%s) while waiting for %s" % (proc.returncode, what))
            return None
        time.sleep(0.05)
    print("timed out waiting for " + what)
    return None


def http(url, method="GET", data=None, headers=None, timeout=10):
    """Returns (status, headers, body bytes); never raises on HTTP errors.
    Status 0 when the connection failed. Every response is checked against
    docs/openapi.json (openapi_check.py); a mismatch is a failure."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            got = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        got = e.code, e.headers, e.read()
    except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
        return 0, {}, b""
    if openapi_check is not None:
        bad = openapi_check.checker().problems(method, url, *got)
        if bad:
            check(False, "OpenAPI: %s %s: %s" % (method, url.split("/", 3)[-1], "; ".join(bad)))
    return got


def raw_http(port, request, source="127.0.0.1", timeout=10):
    """Sends request bytes as they are (no client library to tidy them up)
    and returns (status, body bytes) read until the server closes or the
    timeout; status 0 when there was no status line."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    data = b""
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(request)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return 0, data
    return int(parts[1]), body


def event(eid, etype, subject, when, data=None, source="test/http"):
    e = {"specversion": "1.0", "id": str(eid), "source": source, "type": etype,
         "subject": subject, "time": when}
    if data is not None:
        e["data"] = data
    return json.dumps(e).encode()


def hired(eid, subject, when="2025-01-01T00:00:00Z", dept="Sales", level=3, salary=50000, **extra):
    data = {"department": dept, "job_level": level, "salary": salary}
    data.update(extra)
    return event(eid, "hr.employee.hired", subject, when, data)


class Daemon:
    """retentiond --embedded-broker in its own temp dir; stop() kills it by pid."""

    def __init__(self, http_section=None, extra=""):
        self.dir = tempfile.mkdtemp(prefix="retentiond-http-")
        self.state = os.path.join(self.dir, "state")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.conf = os.path.join(self.dir, "retentiond.conf")
        self.write_conf(http_section, extra)
        self.log_path = os.path.join(self.dir, "stderr.log")
        self.proc = None
        self.producer = None

    def write_conf(self, http_section=None, extra=""):
        """Low alert thresholds so that a few events raise alerts."""
        if http_section is None:
            http_section = "listen = 127.0.0.1:%d\n" % self.port
        with open(self.conf, "w") as f:
            f.write("[state]\ndirectory = %s\n\n"
                    "[alerts]\nthreshold = 0.02\nclear_threshold = 0.01\nmin_exits = 0\n\n"
                    "[model]\nidle_seconds = 1\n\n"
                    "[http]\n%s\n%s" % (self.state, http_section, extra))

    def start(self, wait=True):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([BINARY, "-c", self.conf, "--embedded-broker"],
                                     stdout=subprocess.DEVNULL, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        if wait:
            ok = wait_for(lambda: http(self.base + "/healthz", timeout=2)[0] == 200,
                          "/healthz", proc=self.proc)
            if not ok:
                raise RuntimeError("daemon did not serve /healthz:\n" + self.stderr()[-3000:])
        return self

    def bootstrap(self):
        path = os.path.join(self.state, "bootstrap.servers")
        got = wait_for(lambda: os.path.exists(path) and open(path).read().strip(),
                       "bootstrap.servers", proc=self.proc)
        if not got:
            raise RuntimeError("no bootstrap.servers:\n" + self.stderr()[-3000:])
        return got

    def produce(self, records, topic="hr.events"):
        """records: (key, value bytes) pairs; waits for every delivery."""
        import confluent_kafka
        if self.producer is None:
            self.producer = confluent_kafka.Producer({"bootstrap.servers": self.bootstrap(),
                                                      "enable.idempotence": True,
                                                      "partitioner": "murmur2_random",
                                                      "log_level": 3})
        errors = []

        def report(err, msg):
            if err is not None:
                errors.append(str(err))
        for key, value in records:
            self.producer.produce(topic, key=key, value=value, on_delivery=report)
        left = self.producer.flush(DEADLINE_S)
        if left or errors:
            raise RuntimeError("produce: %d undelivered, errors %s" % (left, errors[:3]))

    def get(self, path, **kw):
        return http(self.base + path, **kw)

    def stderr(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        """SIGTERM, then SIGKILL after the deadline. Returns the exit code."""
        self.producer = None    # closes its broker connections first
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(DEADLINE_S)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            return -9

    def cleanup(self):
        self.stop()
        if getattr(self, "log", None):
            self.log.close()
        subprocess.run(["rm", "-rf", self.dir], check=False)


def metric_value(text, line_prefix):
    """Value of the first sample line starting with line_prefix + ' '."""
    for line in text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.split(" ", 1)[1])
    return None


def jbody(body):
    try:
        return json.loads(body)
    except ValueError:
        return None


def test_api():
    d = Daemon()
    ids = ["Emp-Alpha-7731", "Emp/Slash-4410", "Emp-Gone-5521", "Emp-Exit-9034"]
    try:
        d.start()
        st, hdr, body = d.get("/healthz")
        check(st == 200 and body.strip() == b"ok", "/healthz is 200 ok")
        check(wait_for(lambda: d.get("/readyz")[0] == 200, "/readyz 200", proc=d.proc),
              "/readyz becomes 200 once consuming")

        d.produce([
            (ids[0], hired(1, ids[0], attributes={"overtime": "yes"})),
            (ids[0], event(2, "hr.survey.submitted", ids[0], "2025-03-01T00:00:00Z",
                           {"satisfaction": 12, "engagement": 20})),
            (ids[1], hired(3, ids[1], dept="R&D")),
            (ids[2], hired(4, ids[2])),
            (ids[2], event(5, "hr.employee.erased", ids[2], "2025-03-02T00:00:00Z")),
            (ids[3], hired(6, ids[3])),
            (ids[3], event(7, "hr.employee.exited", ids[3], "2025-04-01T00:00:00Z",
                           {"voluntary": True, "reason": "better offer"})),
        ])

        def applied():
            st, _, body = d.get("/metrics")
            t = body.decode()
            return st == 200 and metric_value(t, 'retentiond_events_total{type="hr.employee.hired"}') == 4 \
                and metric_value(t, 'retentiond_events_total{type="hr.employee.erased"}') == 1 \
                and metric_value(t, 'retentiond_events_total{type="hr.employee.exited"}') == 1
        if not check(wait_for(applied, "events applied", proc=d.proc),
                     "all events applied (seen on /metrics)"):
            return

        st, hdr, body = d.get("/v1/employees/" + ids[0])
        e = jbody(body)
        check(st == 200 and isinstance(e, dict), "GET /v1/employees/{id} is 200 JSON")
        check(hdr.get("Content-Type", "").startswith("application/json"), "employee: application/json")
        e = e or {}
        check(e.get("employee_id") == ids[0], "employee_id echoes the id")
        check(isinstance(e.get("risk"), (int, float)) and 0 <= e["risk"] <= 1, "risk in [0, 1]")
        check(isinstance(e.get("horizon_days"), int) and e["horizon_days"] > 0, "horizon_days > 0")
        check(isinstance(e.get("expected_tenure_days"), (int, float)) and e["expected_tenure_days"] > 0,
              "expected_tenure_days > 0")
        check(isinstance(e.get("drivers"), list), "drivers is a list")
        check(e.get("status") == "active", "status active")

        st, _, body = d.get("/v1/employees/Emp%2FSlash-4410")
        check(st == 200 and (jbody(body) or {}).get("employee_id") == ids[1],
              "percent-encoded '/' in an id is decoded after routing")
        st, _, _ = d.get("/v1/employees/Emp/Slash-4410")
        check(st == 404, "unencoded '/' is a different path (404)")

        st, _, body = d.get("/v1/employees/" + ids[3])
        check(st == 200 and (jbody(body) or {}).get("status") == "exited", "exited employee: status exited")

        st, hdr, body = d.get("/v1/employees/Nobody-0000")
        check(st == 404 and "error" in (jbody(body) or {}), "unknown employee: 404 with a JSON error")
        st, _, _ = d.get("/v1/employees/" + ids[2])
        check(st == 404, "erased employee: 404")
        st, _, body = d.get("/v1/employees/%ZZ")
        check(st == 400 and "error" in (jbody(body) or {}), "malformed percent-encoding: 400")
        st, _, _ = d.get("/v1/employees/" + "x" * 129)
        check(st == 400, "id over 128 bytes: 400")

        st, hdr, body = d.get("/v1/model")
        m = jbody(body)
        check(st == 200 and isinstance(m, dict), "GET /v1/model is 200 JSON")
        m = m or {}
        for k in ("model_version", "satisfaction", "ability", "hazard", "quality"):
            check(k in m, "model has " + k)
        schema = os.path.join(ROOT, "docs", "schemas", "estimates.json")
        if os.path.exists(schema):
            import jsonschema
            try:
                jsonschema.validate(m, json.load(open(schema)))
                check(True, "/v1/model validates against docs/schemas/estimates.json")
            except jsonschema.ValidationError as ex:
                check(False, "/v1/model validates against estimates.json: %s" % ex.message)

        check_openapi_document(d)

        url = "/v1/employees/%s/whatif" % ids[0]
        body_ok = json.dumps({"actions": [{"action": "incentive", "amount": 5000},
                                          {"action": "training", "amount": 20}]}).encode()
        st, hdr, body = d.get(url, method="POST", data=body_ok,
                              headers={"Content-Type": "application/json"})
        w = jbody(body) or {}
        risk = w.get("risk_after", w.get("risk"))
        check(st == 200 and isinstance(risk, (int, float)) and 0 <= risk <= 1,
              "POST whatif: 200 with a predicted risk in [0, 1]")
        st, _, body = d.get(url, method="POST", data=b"{not json")
        check(st == 400 and "error" in (jbody(body) or {}), "whatif, bad body: 400 JSON error")
        st, _, body = d.get(url, method="POST", data=b'{"actions": [{"action": "bribe", "amount": 1}]}')
        check(st == 400 and "error" in (jbody(body) or {}), "whatif, unknown action: 400")
        st, _, _ = d.get("/v1/employees/Nobody-0000/whatif", method="POST", data=body_ok)
        check(st == 404, "whatif, unknown employee: 404")
        st, _, _ = d.get("/v1/employees/%s/whatif" % ids[3], method="POST", data=body_ok)
        check(st == 404, "whatif, exited employee: 404")
        st, _, _ = d.get(url, method="POST", data=b" " * (64 * 1024 + 1))
        check(st == 413, "whatif, body over 64 KiB: 413")
        st, hdr, _ = d.get(url)
        check(st == 405 and "POST" in hdr.get("Allow", ""), "GET on whatif: 405 with Allow: POST")
        check_whatif_bounds(d, url)
        check_framing(d, url)

        st, hdr, _ = d.get("/metrics", method="DELETE")
        check(st == 405 and "GET" in hdr.get("Allow", ""), "DELETE /metrics: 405")
        st, _, body = d.get("/no/such/path")
        check(st == 404 and "error" in (jbody(body) or {}), "unknown path: 404 JSON error")
        st, _, _ = d.get("/v1/employees/")
        check(st == 404, "empty id: 404")

        check(d.stop() == 0, "SIGTERM: exit 0")
        log = d.stderr()
        leaked = [i for i in ids + ["Slash-4410"] if i in log]
        check(not leaked, "daemon log names no employee (found %d)" % len(leaked))
    finally:
        if failures:
            print("--- daemon stderr (tail) ---\n" + d.stderr()[-3000:])
        d.cleanup()


def check_openapi_document(d):
    """GET /v1/openapi.json: the document the build made (the file `make
    install` ships, byte for byte), self-contained, saying what
    docs/openapi.json says once both are expanded, with the daemon's
    version."""
    from jsonschema import RefResolver
    st, hdr, body = d.get("/v1/openapi.json")
    served = jbody(body)
    if not check(st == 200 and isinstance(served, dict), "GET /v1/openapi.json is 200 JSON"):
        return
    bundled = os.path.join(os.environ.get("BUILD", os.path.join(ROOT, "build")), "gen", "openapi.json")
    with open(bundled, "rb") as f:
        check(f.read() == body, "served document == %s" % os.path.relpath(bundled, ROOT))
    refs = []

    def collect(n):
        if isinstance(n, dict):
            refs.extend(v for k, v in n.items() if k == "$ref")
            for v in n.values():
                collect(v)
        elif isinstance(n, list):
            for v in n:
                collect(v)
    collect(served)
    check(refs and all(r.startswith("#/") for r in refs),
          "served document references only itself (%d references)" % len(refs))
    version = subprocess.run([BINARY, "-V"], capture_output=True, text=True).stdout.split()[-1]
    check(served["info"]["version"] == version, "info.version is the daemon's (%s)" % version)
    source = openapi_check.checker()
    mine = openapi_check.expanded(source.doc, source.resolver)
    theirs = openapi_check.expanded(served, RefResolver.from_schema(served))
    for doc in (mine, theirs):
        doc["info"].pop("version")
    extra = set(theirs["components"]["schemas"]) - set(mine["components"]["schemas"])
    check(extra >= {"estimates"}, "docs/schemas/estimates.json inlined (%s)" % sorted(extra))
    for k in extra:
        del theirs["components"]["schemas"][k]
    check(mine == theirs, "served document, expanded == docs/openapi.json, expanded")
    st, hdr, _ = d.get("/v1/openapi.json", method="POST", data=b"{}")
    check(st == 405, "POST /v1/openapi.json: 405")


def check_whatif_bounds(d, url):
    """Issue 10 item 6: the body is the documented object, and an amount
    out of its bound is told the bound."""
    arr = json.dumps([{"action": "care", "amount": 1}]).encode()
    st, _, body = d.get(url, method="POST", data=arr)
    check(st == 400 and "actions" in (jbody(body) or {}).get("error", ""),
          "whatif, bare JSON array: 400 naming the expected object")
    big = json.dumps({"actions": [{"action": "incentive", "amount": 1e12}]}).encode()
    st, _, body = d.get(url, method="POST", data=big)
    err = (jbody(body) or {}).get("error", "")
    check(st == 400 and "1000000000" in err, "whatif, amount over its bound: 400 naming the bound (%r)" % err)
    promo = json.dumps({"actions": [{"action": "promotion", "amount": 9}]}).encode()
    st, _, body = d.get(url, method="POST", data=promo)
    err = (jbody(body) or {}).get("error", "")
    check(st == 400 and "5" in err, "whatif, promotion over 5 levels: 400 naming the bound (%r)" % err)


def check_framing(d, url):
    """Issue 10 item 6: a request whose length can be read two ways is
    refused. Raw sockets: a client library would not send these."""
    body = b'{"actions": [{"action": "care", "amount": 1}]}'
    path = url.encode()

    def post(headers):
        return raw_http(d.port, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n" + headers +
                        b"Connection: close\r\n\r\n" + body)
    st, resp = post(b"Content-Length: %d\r\n" % len(body))
    check(st == 200, "raw POST with one Content-Length: 200 (%d)" % st)
    st, resp = post(b"Content-Length: %d\r\nContent-Length: 5\r\n" % len(body))
    check(st == 400 and b"Content-Length" in resp, "two conflicting Content-Length headers: 400 (%d)" % st)
    st, resp = post(b"Content-Length: 5\r\nContent-Length: %d\r\n" % len(body))
    check(st == 400, "conflicting Content-Length, shorter first: 400 (%d)" % st)
    st, _ = post(b"Content-Length: %d\r\nContent-Length: %d\r\n" % (len(body), len(body)))
    check(st == 200, "the same Content-Length twice: accepted (%d)" % st)
    st, _ = post(b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(body))
    check(st == 400, "Content-Length beside Transfer-Encoding: 400 (%d)" % st)
    st, _ = post(b"Content-Length: +%d\r\n" % len(body))
    check(st == 400, "Content-Length with a sign: 400 (%d)" % st)
    st, _ = post(b"Content-Length: 99999999999999999999999\r\n")
    check(st in (400, 413), "Content-Length past 64 bits: refused (%d)" % st)
    st, _, _ = d.get("/healthz")
    check(st == 200, "... and the server still serves")


def test_token():
    d = Daemon()
    tok = os.path.join(d.dir, "token")
    with open(os.open(tok, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("c0rrect-horse-battery\n")
    d.write_conf("listen = 127.0.0.1:%d\ntoken_file = %s\n" % (d.port, tok))
    try:
        d.start()
        st, hdr, _ = d.get("/metrics")
        check(st == 401, "token: /metrics without Authorization is 401")
        check("Bearer" in hdr.get("WWW-Authenticate", ""), "401 carries WWW-Authenticate: Bearer")
        st, _, _ = d.get("/metrics", headers={"Authorization": "Bearer c0rrect-horse-batter"})
        check(st == 401, "token: a prefix of the token is 401")
        st, _, _ = d.get("/metrics", headers={"Authorization": "Bearer c0rrect-horse-battery!"})
        check(st == 401, "token: the token plus a byte is 401")
        st, _, _ = d.get("/v1/employees/Nobody-0000")
        check(st == 401, "token: /v1/employees without Authorization is 401 (not 404)")
        st, _, body = d.get("/metrics", headers={"Authorization": "Bearer c0rrect-horse-battery"})
        check(st == 200 and b"retentiond_build_info" in body, "token: right token is 200")
        st, _, _ = d.get("/healthz")
        check(st == 200, "token: /healthz needs no token")
        st, _, _ = d.get("/readyz")
        check(st in (200, 503), "token: /readyz needs no token")
    finally:
        if failures:
            print("--- daemon stderr (tail) ---\n" + d.stderr()[-3000:])
        d.cleanup()


def test_reload_needs_restart():
    """A SIGHUP that changes settings read only at start ([http] listen,
    [kafka] bootstrap.servers) applies the rest and says, at warning
    priority, which ones need a restart; the old listener keeps serving, and
    a second SIGHUP says so again (the running values are what the reload
    compares with)."""
    d = Daemon()
    try:
        d.start()
        d.bootstrap()
        new_port = free_port()
        d.write_conf("listen = 127.0.0.1:%d\n" % new_port,
                     "[kafka]\nbootstrap.servers = 127.0.0.1:9\n")
        warnings = [re.compile(r"^<4>reload: %s changed; it needs a restart" % k, re.M)
                    for k in (r"\[kafka\] bootstrap\.servers", r"\[http\] listen")]
        for n in (1, 2):
            d.proc.send_signal(signal.SIGHUP)
            check(wait_for(lambda: all(len(w.findall(d.stderr())) >= n for w in warnings) and
                           d.stderr().count("configuration reloaded") >= n,
                           "reload %d" % n, proc=d.proc),
                  "SIGHUP %d with a new listen and broker list: a warning for each" % n)
        check("127.0.0.1:9" not in d.stderr(), "the warning names keys, not values")
        check(d.get("/healthz")[0] == 200, "the running listener still serves")
        check(http("http://127.0.0.1:%d/healthz" % new_port, timeout=2)[0] == 0,
              "the new listen address is not opened by a reload")
        check(d.stop() == 0, "SIGTERM after the reloads: exit 0")
    finally:
        if failures:
            print("--- daemon stderr (tail) ---\n" + d.stderr()[-3000:])
        d.cleanup()


def test_refuse_remote():
    d = Daemon(http_section="listen = 0.0.0.0:%d\n" % free_port())
    try:
        d.start(wait=False)
        try:
            rc = d.proc.wait(DEADLINE_S)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc is not None and rc != 0, "listen 0.0.0.0 without a token: exits non-zero (%s)" % rc)
        err = d.stderr()
        check("loopback" in err and "0.0.0.0" in err, "... with a reason on stderr")
        r = subprocess.run([BINARY, "-t", "-c", d.conf], capture_output=True, timeout=DEADLINE_S)
        check(r.returncode == 6, "-t on that config: exit 6 (%d)" % r.returncode)
    finally:
        d.cleanup()


def test_socket_activation():
    """A socket passed by systemd (LISTEN_FDS) is served instead of
    [http] listen, and is held to the same loopback rule."""
    tool = "/usr/bin/systemd-socket-activate"
    if not os.access(tool, os.X_OK):
        print("(no systemd-socket-activate: socket activation not tested)")
        return
    d = Daemon(http_section="listen = 127.0.0.1:%d\n" % free_port())
    port = free_port()
    try:
        d.log = open(d.log_path, "wb")
        d.proc = subprocess.Popen([tool, "-l", "127.0.0.1:%d" % port, BINARY, "-c", d.conf,
                                   "--embedded-broker"], stdout=subprocess.DEVNULL,
                                  stderr=d.log, stdin=subprocess.DEVNULL)
        # the first connection makes the tool exec the daemon on the socket
        ok = wait_for(lambda: http("http://127.0.0.1:%d/healthz" % port, timeout=5)[0] == 200,
                      "/healthz on the passed socket", proc=d.proc)
        check(ok, "socket activation: /healthz served on the passed socket")
        st, _, _ = http("http://127.0.0.1:%d/metrics" % port)
        check(st == 200, "socket activation: /metrics 200")
        check(http(d.base + "/healthz", timeout=2)[0] == 0, "socket activation: [http] listen not opened")
        rc = d.stop()
        check(rc == 0, "socket activation: SIGTERM exit 0 (got %s; log tail: %s)"
              % (rc, d.stderr()[-400:].replace("\n", " | ")))
        # A SIGTERM taken by the embedded broker's thread used to kill its
        # poll loop (EINTR), leaving the last outputs undeliverable.
        check("Interrupted system call" not in d.stderr() and
              "without a delivery report" not in d.stderr(),
              "socket activation: signals reach only the main thread")
    finally:
        d.cleanup()

    d = Daemon()
    try:
        d.log = open(d.log_path, "wb")
        d.proc = subprocess.Popen([tool, "-l", "0.0.0.0:%d" % free_port(), BINARY, "-c", d.conf,
                                   "--embedded-broker"], stdout=subprocess.DEVNULL,
                                  stderr=d.log, stdin=subprocess.DEVNULL)
        wait_for(lambda: "Listening on" in d.stderr(), "the tool's socket", proc=d.proc)
        port = int(d.stderr().split("Listening on 0.0.0.0:")[1].split()[0])
        http("http://127.0.0.1:%d/healthz" % port, timeout=5)
        try:
            rc = d.proc.wait(DEADLINE_S)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc is not None and rc != 0 and "loopback" in d.stderr(),
              "socket activation on 0.0.0.0 without a token: refused (%s)" % rc)
    finally:
        d.cleanup()


def main():
    if not os.access(BINARY, os.X_OK):
        skip("no binary at " + BINARY)
    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        skip("python3-confluent-kafka not installed")
    if openapi_check is None:
        skip("python3-jsonschema not installed")
    test_api()
    test_token()
    test_reload_needs_restart()
    test_refuse_remote()
    test_socket_activation()
    n = openapi_check.checker().count
    check(n >= 40, "%d responses checked against docs/openapi.json" % n)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
