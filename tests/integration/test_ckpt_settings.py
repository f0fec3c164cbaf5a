#!/usr/bin/python3
"""A checkpoint made under one [model] epoch_hours is refused under
another: the daemon stops at start with EXIT_CONFIG and a message that
names the setting, both values, the file and what to do; it neither falls
back to the .prev (made under the same setting) nor starts empty. Under
the setting it was made with, the same state directory restores.

  1. a daemon with the default epoch_hours (24) applies a day of hires and
     stops (SIGTERM checkpoints them);
  2. restarted on that state directory with epoch_hours 12: exit 6, the
     message, and the checkpoint file still there, unchanged;
  3. restarted with 24 again: "state restored", every employee there.
"""
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN = "hr.events"
PARTS = 2
N = 12


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    kt.require_kafka()
    ids = ["S%03d" % i for i in range(N)]
    with kt.MockBroker(topics=kt.default_topics(PARTS)) as broker, \
            tempfile.TemporaryDirectory(prefix="ckpt-settings-") as tmp:
        bs = broker.bootstrap
        state = os.path.join(tmp, "state")
        os.mkdir(state, 0o700)
        port = kt.free_port()
        cfg = {"kafka": {"group.id": "ckpt-settings"},
               "state": {"directory": state},
               "http": {"listen": "127.0.0.1:%d" % port}}
        with kt.Daemon(bs, cfg) as d:
            kt.wait_for(lambda: d.owned() == set(range(PARTS)) or not d.alive(), 40,
                        "the daemon to own every partition")
            hires = kt.workforce(ids, "h", exits=False)[:N]
            kt.produce(bs, IN, [kt.structured(h) for h in hires])
            kt.wait_committed(bs, d.group, IN, timeout=30)
            rc = d.stop()
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
        path = os.path.join(state, "checkpoints", IN + ".ckpt")
        kt.check(os.path.exists(path), "no checkpoint at %s" % path)
        before = digest(path)
        dump = subprocess.run([kt.binary("retentiond"), "--dump-checkpoint", path],
                              capture_output=True, text=True, timeout=30)
        kt.check(dump.returncode == 0 and '"S000"' in dump.stdout,
                 "--dump-checkpoint: exit %d: %s" % (dump.returncode, dump.stderr))

        cfg["model"] = {"epoch_hours": 12}
        with kt.Daemon(bs, cfg) as d:
            kt.wait_for(lambda: not d.alive(), 40, "the daemon to refuse the checkpoint")
            rc = d.stop()
            out = d.output()
        kt.check(rc == 6, "exit %s under another epoch_hours (want 6):\n%s"
                 % (rc, out[-3000:]))
        for want in ("checkpoint %s refused" % path, "[model] epoch_hours = 24,",
                     "configured 12", "Set the setting back",
                     "move %s and its .prev" % path, "a new group.id",
                     "rebuild the state from the input"):
            kt.check(want in out, "%r not in the log:\n%s" % (want, out[-3000:]))
        kt.check("state restored" not in out, "restored anyway:\n" + out[-3000:])
        kt.check(digest(path) == before, "the refused checkpoint was changed")

        cfg["model"] = {"epoch_hours": 24}
        with kt.Daemon(bs, cfg) as d:
            d.wait_log("state restored", timeout=30)
            for e in ids:
                st, _ = kt.http_get(port, "/v1/employees/" + e)
                kt.check(st == 200, "GET %s after the restore: %s" % (e, st))
            rc = d.stop()
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
    print("ok: a checkpoint of epoch_hours 24 refused under 12 (exit 6), "
          "restored under 24")


if __name__ == "__main__":
    kt.run(main)
