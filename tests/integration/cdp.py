"""A headless chromium driven over the DevTools protocol, for test_page.py.

Debian's chromium is started with --remote-debugging-pipe: the protocol
runs over file descriptors 3 (commands in) and 4 (replies and events out),
NUL-separated JSON, so no websocket client and no TCP port are needed. The
browser gets a fresh --user-data-dir, is told not to reach any network
service of its own, and is killed by pid when the test ends.

What a test reads back from one page load (Browser.load):
  - requests: every URL the page asked for (Network.requestWillBeSent);
  - console: console errors, uncaught exceptions and browser log entries
    of level error (a Content-Security-Policy violation is one);
  - the rendered DOM (Runtime.evaluate of outerHTML and of any expression);
  - screenshots (Page.captureScreenshot), screen or print media.
"""
import base64
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class ProtocolError(Exception):
    pass


class Browser:
    def __init__(self, binary, deadline_s=60, log_path=None):
        self.deadline_s = deadline_s
        self.dir = tempfile.mkdtemp(prefix="retentiond-chromium-")
        cmd_r, self._cmd_w = os.pipe()     # chromium reads commands on fd 3
        self._evt_r, evt_w = os.pipe()     # and writes replies on fd 4

        def child_fds():
            a, b = os.dup(cmd_r), os.dup(evt_w)     # out of the way of 3 and 4
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        args = [binary, "--headless", "--remote-debugging-pipe",
                "--user-data-dir=" + self.dir, "--no-first-run", "--no-default-browser-check",
                "--disable-gpu", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--metrics-recording-only",
                "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                "--window-size=1280,900", "about:blank"]
        if os.geteuid() == 0:           # chromium's sandbox refuses root
            args.insert(1, "--no-sandbox")
        self.log = open(log_path or os.path.join(self.dir, "chromium.log"), "wb")
        self.proc = subprocess.Popen(args, preexec_fn=child_fds, close_fds=False,
                                     start_new_session=True,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log)
        os.close(cmd_r)
        os.close(evt_w)
        self._buf = b""
        self._next = 0
        self.session = None
        self.events = []

    # ---- protocol ------------------------------------------------------

    def _send(self, method, params=None, session=True):
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        return self._next

    def _read(self, until):
        """Reads messages (events are kept) until until(msg) is true; returns it."""
        end = time.monotonic() + self.deadline_s
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "method" in msg:
                    self.events.append(msg)
                if until(msg):
                    return msg
            left = end - time.monotonic()
            if left <= 0:
                raise ProtocolError("no answer from chromium in %.0f s" % self.deadline_s)
            ready, _, _ = select.select([self._evt_r], [], [], left)
            if ready:
                chunk = os.read(self._evt_r, 1 << 20)
                if not chunk:
                    raise ProtocolError("chromium closed the pipe (exit %s)" % self.proc.poll())
                self._buf += chunk

    def call(self, method, params=None, session=True):
        i = self._send(method, params, session)
        msg = self._read(lambda m: m.get("id") == i)
        if "error" in msg:
            raise ProtocolError("%s: %s" % (method, msg["error"]))
        return msg.get("result", {})

    def wait_event(self, method):
        for m in self.events:
            if m.get("method") == method:
                self.events.remove(m)
                return m
        return self._read(lambda m: m.get("method") == method)

    # ---- a page --------------------------------------------------------

    def open(self, width=1280, height=900):
        """Attaches to a new tab with the domains the checks read enabled."""
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        res = self.call("Target.attachToTarget", {"targetId": target["targetId"],
                                                  "flatten": True}, session=False)
        self.session = res["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def load(self, url, headers=None):
        """Navigates and waits for the load event. Returns the HTTP status
        of the document."""
        self.events = []
        if headers is not None:
            self.call("Network.setExtraHTTPHeaders", {"headers": headers})
        res = self.call("Page.navigate", {"url": url})
        if res.get("errorText"):
            raise ProtocolError("navigate %s: %s" % (url, res["errorText"]))
        self.wait_event("Page.loadEventFired")
        status = None
        for m in self.events:
            if m.get("method") == "Network.responseReceived" and \
                    m["params"].get("type") == "Document":
                status = m["params"]["response"]["status"]
        return status

    def requests(self):
        return [m["params"]["request"]["url"] for m in self.events
                if m.get("method") == "Network.requestWillBeSent"]

    def errors(self):
        """Console errors, uncaught exceptions and browser log errors."""
        out = []
        for m in self.events:
            p = m.get("params", {})
            if m.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                   for a in p.get("args", [])))
            elif m.get("method") == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:500])
            elif m.get("method") == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append("log: %s %s" % (p["entry"].get("text"), p["entry"].get("url", "")))
        return out

    def evaluate(self, expression):
        res = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            raise ProtocolError("evaluate: %s" % res["exceptionDetails"].get("text"))
        return res["result"].get("value")

    def screenshot(self, path, media=None):
        """Full-page PNG; media "print" renders the print stylesheet."""
        if media:
            self.call("Emulation.setEmulatedMedia", {"media": media})
        shot = self.call("Page.captureScreenshot", {"format": "png",
                                                    "captureBeyondViewport": True})
        if media:
            self.call("Emulation.setEmulatedMedia", {"media": ""})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    def close(self):
        if self.proc.poll() is None:
            try:
                self.call("Browser.close", session=False)
                self.proc.wait(10)
            except (ProtocolError, OSError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)    # its own group
                self.proc.wait()
        for fd in (self._cmd_w, self._evt_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
