#!/usr/bin/python3
"""Exit statuses and priorities of the main process (no -t).

Started on an invalid configuration, retentiond must exit 6 (EXIT_CONFIG),
the status the unit's RestartPreventExitStatus=6 stops restarting on, and
its error line must carry the sd-daemon prefix "<3>" so that journald
files it at priority err (`journalctl -p warning` shows it). Cases: a value
out of range, a file that does not exist, an unknown [kafka] key (caught by
librdkafka's parser), a TLS file librdkafka cannot load (caught only when
the client is created), and an unusable [state] directory for the embedded
broker. A runtime failure (the HTTP port taken) stays exit 1.
"""
import os
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("RETENTIOND", os.path.join(ROOT, "build", "retentiond"))
DEADLINE_S = 60     # a hang is a failure, not a slow pass
failures = []


def run(args):
    r = subprocess.run([BIN] + args, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=DEADLINE_S)
    return r.returncode, r.stderr


def expect(name, args, status, first_line_has):
    rc, err = run(args)
    lines = err.splitlines()
    errline = [ln for ln in lines if first_line_has in ln]
    if rc != status:
        failures.append("%s: exit %d, want %d\n%s" % (name, rc, status, err))
    elif not errline:
        failures.append("%s: no line with %r:\n%s" % (name, first_line_has, err))
    elif not errline[0].startswith("<3>"):
        failures.append("%s: error line without the <3> prefix: %r"
                        % (name, errline[0]))
    else:
        print("ok %s: exit %d, %s" % (name, rc, errline[0]))


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    if not os.access(BIN, os.X_OK):
        print("FAIL no %s (make first)" % BIN)
        return 1
    with tempfile.TemporaryDirectory(prefix="retentiond-exit-") as tmp:
        base = ("[kafka]\nbootstrap.servers = 127.0.0.1:1\n"
                "[state]\ndirectory = %s\n[http]\nlisten =\n" % tmp)
        bad = write(os.path.join(tmp, "range.conf"),
                    base + "[alerts]\nthreshold = 7\n")
        expect("value out of range", ["-c", bad], 6, "range.conf:8: threshold")
        expect("missing file", ["-c", os.path.join(tmp, "absent.conf")], 6,
               "absent.conf")
        unk = write(os.path.join(tmp, "unknown.conf"),
                    base.replace("[state]", "no.such.property = 1\n[state]"))
        expect("unknown [kafka] key", ["-c", unk], 6,
               "unknown.conf:3: [kafka] no.such.property")
        write(os.path.join(tmp, "ca.pem"), "not a certificate\n")
        tls = write(os.path.join(tmp, "tls.conf"), base.replace(
            "[state]", "security.protocol = ssl\nssl.ca.location = %s\n[state]"
            % os.path.join(tmp, "ca.pem")))
        rc, _ = run(["-t", "-c", tls])
        if rc != 0:     # the premise: -t cannot see this one
            failures.append("tls.conf: -t exit %d, expected it to pass" % rc)
        expect("TLS file refused by librdkafka", ["-c", tls], 6,
               "ssl.ca.location")
        sd = write(os.path.join(tmp, "state.conf"),
                   "[state]\ndirectory = %s/file/sub\n[http]\nlisten =\n" % tmp)
        write(os.path.join(tmp, "file"), "")
        expect("unusable state directory", ["--embedded-broker", "-c", sd], 6,
               "[state] directory")

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        busy = write(os.path.join(tmp, "busy.conf"),
                     base.replace("listen =", "listen = 127.0.0.1:%d" % port))
        expect("HTTP port taken (runtime)", ["-c", busy], 1, "http")
        s.close()
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
