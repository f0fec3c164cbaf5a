#!/usr/bin/python3
"""deploy/grafana-dashboard.json only charts metrics that the daemon serves,
the alerting rules deploy/retentiond.rules.yml only watch such metrics, and
socket activation works.

Plays systemd's retentiond.socket: binds a listening TCP socket on a free
loopback port and hands it to `retentiond --embedded-broker` as fd 3 with
LISTEN_FDS=1 and LISTEN_PID set ([http] listen in the file names a port
that is not used, so answers prove the passed socket is served). Then
scrapes GET /metrics and checks that every retentiond_* metric in the
dashboard's queries is there (histograms through their _bucket series).
Each response must agree with docs/openapi.json (tests/integration/
openapi_check.py).
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
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
try:
    import openapi_check
except ImportError:
    print("python3-jsonschema is not installed")
    sys.exit(77)

BIN = os.environ.get("RETENTIOND", "build/retentiond")
api_problems = []
DEADLINE_S = 60.0
HERE = os.path.dirname(os.path.abspath(__file__))
DASHBOARD = os.path.join(HERE, "..", "..", "deploy", "grafana-dashboard.json")
RULES = os.path.join(HERE, "..", "..", "deploy", "retentiond.rules.yml")


def dashboard_metrics():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    exprs += [v.get("query", "") for v in dash.get("templating", {}).get("list", [])]
    names = set()
    for e in exprs:
        names.update(re.findall(r"\bretentiond_[a-z0-9_]+", e))
    return dash, names


def rules_metrics():
    """retentiond_* names in the alerting rules' expressions, but for the
    one absent until the first checkpoint (tests/unit/test_metrics.c covers it)."""
    with open(RULES) as f:
        exprs = [ln for ln in f if not ln.lstrip().startswith("#")]
    names = set(re.findall(r"\bretentiond_[a-z0-9_]+", "".join(exprs)))
    return names - {"retentiond_checkpoint_age_seconds"}


def get(url):
    """(status, body); every response is checked against docs/openapi.json
    and what is wrong lands in api_problems."""
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            got = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        got = e.code, e.headers, e.read()
    except OSError:
        return None, ""
    api_problems.extend(openapi_check.checker().problems("GET", url, *got))
    return got[0], got[2].decode()


def main():
    dash, names = dashboard_metrics()
    if len(dash["panels"]) < 10 or len(names) < 15:
        print("FAIL the dashboard looks empty: %d panels, %d metrics" %
              (len(dash["panels"]), len(names)))
        return 1
    rule_names = rules_metrics()
    if len(rule_names) < 5:
        print("FAIL the alerting rules name only %s" % sorted(rule_names))
        return 1
    if not os.access(BIN, os.X_OK):
        print("no %s (run make first)" % BIN)
        return 1

    tmp = tempfile.TemporaryDirectory(prefix="test_dashboard.")
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    port = lsock.getsockname()[1]
    # a port for [http] listen that must stay unused: bound here, not listening
    decoy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    decoy.bind(("127.0.0.1", 0))
    conf = os.path.join(tmp.name, "retentiond.conf")
    with open(conf, "w") as f:
        f.write("[state]\ndirectory = %s/state\n[http]\nlisten = 127.0.0.1:%d\n"
                % (tmp.name, decoy.getsockname()[1]))
    fd = lsock.fileno()
    # the shell moves the socket to fd 3 and sets LISTEN_PID to its own pid,
    # which exec keeps for retentiond
    move = "" if fd == 3 else "exec 3<&%d %d<&-; " % (fd, fd)
    wrapper = move + 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"'
    env = dict(os.environ)
    for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        env.pop(k, None)
    errlog = open(os.path.join(tmp.name, "stderr.log"), "w+")
    proc = subprocess.Popen(["/bin/sh", "-c", wrapper, BIN, "--embedded-broker", "-c", conf],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=errlog, env=env, pass_fds=(fd,))
    lsock.close()
    ok = False
    try:
        ok = check(proc, port, names | rule_names)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        decoy.close()
        if not ok:
            errlog.seek(0)
            print("---- daemon stderr (last 30 lines) ----")
            print("".join(errlog.readlines()[-30:]))
        errlog.close()
        tmp.cleanup()
    for p in api_problems:
        print("FAIL OpenAPI: " + p)
    return 0 if ok and not api_problems else 1


def check(proc, port, names):
    base = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + DEADLINE_S
    status = None
    while time.monotonic() < deadline and proc.poll() is None:
        status, _ = get(base + "/readyz")
        if status == 200:
            break
        time.sleep(0.1)
    if status != 200:
        print("FAIL /readyz on the passed socket: %s (daemon %s)" %
              (status, "exited %s" % proc.returncode if proc.poll() is not None
               else "running"))
        return False
    status, text = get(base + "/metrics")
    if status != 200:
        print("FAIL GET /metrics: %s" % status)
        return False
    # a family counts when declared: some have no sample before data arrives
    served = set(re.findall(r"^(retentiond_[a-z0-9_]+)", text, re.M))
    for name, kind in re.findall(r"^# TYPE (retentiond_[a-z0-9_]+) ([a-z]+)", text, re.M):
        served.add(name)
        if kind == "histogram":
            served.add(name + "_bucket")
    missing = sorted(n for n in names
                     if n not in served and not n.endswith("_bucket"))
    missing += sorted(n for n in names
                      if n.endswith("_bucket") and n not in served)
    if missing:
        print("FAIL the dashboard or the rules use metrics that /metrics lacks: %s" % missing)
        return False
    print("socket activation on port %d; %d dashboard and rules metrics all served (%d served)"
          % (port, len(names), len(served)))
    return True


if __name__ == "__main__":
    sys.exit(main())
