#!/usr/bin/python3
"""SIGHUP with settings that need a restart (mock cluster in its own process).

The daemon runs; its file is rewritten with a new HTTP listen address, a
new broker list, a changed and a removed [kafka] key, another alerts topic
and another state directory, plus a new alert threshold (which a reload
applies). After SIGHUP the log must carry one warning per restart-only
key, naming the key and none of the new values, and none for the
threshold; the daemon must keep running on the old values: HTTP still on
the old port and not on the new one, alerts still on the old topic. A
second SIGHUP warns again (the running values were kept, so the file
still differs from them).
"""
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

RESTART_KEYS = ["[http] listen changed", "[kafka] bootstrap.servers changed",
                "[kafka] client.id changed", "[kafka] session.timeout.ms removed",
                "[topics] alerts changed", "[state] directory changed"]
NEW_VALUES = ["broker-new.invalid", "zq-client-7f3a", "hr.alerts.elsewhere", "state-new"]


def reloads(d):
    return d.output().count("configuration reloaded")


def main():
    kt.require_kafka()
    port, port2 = kt.free_port(), kt.free_port()
    with kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        cfg = {"kafka": {"client.id": "retentiond-old"},
               "alerts": {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0},
               "http": {"listen": "127.0.0.1:%d" % port}}
        with kt.Daemon(bs, cfg) as d:
            kt.wait_for(lambda: kt.http_get(port, "/readyz")[0] == 200, 40, "ready")
            new_state = os.path.join(d.tmp.name, "state-new")
            os.mkdir(new_state)
            kt.write_config(d.config, {
                "kafka": {"bootstrap.servers": "broker-new.invalid:9092",
                          "group.id": d.group, "client.id": "zq-client-7f3a"},
                "state": {"directory": new_state},
                "http": {"listen": "127.0.0.1:%d" % port2},
                "topics": {"alerts": "hr.alerts.elsewhere"},
                "alerts": {"threshold": 0.03, "clear_threshold": 0.01, "min_exits": 0}})
            for round_ in (1, 2):
                d.proc.send_signal(signal.SIGHUP)
                kt.wait_for(lambda: reloads(d) >= round_ or not d.alive(), 20,
                            "reload %d in the log" % round_)
                out = d.output()
                kt.check(d.alive(), "died on SIGHUP:\n" + out[-3000:])
                kt.check("configuration reloaded; %d setting(s) wait for a restart"
                         % len(RESTART_KEYS) in out, "reload line:\n" + out[-3000:])
                for k in RESTART_KEYS:
                    lines = [ln for ln in out.splitlines() if k in ln]
                    kt.check(len(lines) == round_, "%d lines for %r after reload %d:\n%s"
                             % (len(lines), k, round_, out[-3000:]))
                    kt.check(all(ln.startswith("<4>") and "needs a restart" in ln
                                 for ln in lines), "not a warning: %s" % lines)
            kt.check(not re.search(r"reload: .*(threshold|group\.id)", out),
                     "a warning for a key that applies or did not change:\n" + out)
            for v in NEW_VALUES:
                kt.check(v not in out, "value %r in the log:\n%s" % (v, out))

            kt.check(kt.http_get(port, "/healthz")[0] == 200, "old HTTP port gone")
            kt.check(kt.http_get(port2, "/healthz")[0] is None, "new HTTP port served")
            hire = [e for e in kt.workforce(["H001"], "rl", exits=False)
                    if e["type"] == "hr.employee.hired"]
            kt.produce(bs, "hr.events", [kt.structured(e) for e in hire])
            recs = kt.consume(bs, "hr.attrition.alerts", until=lambda rs: len(rs) >= 1,
                              timeout=30)
            kt.check(recs[0].key == "H001", "alert on the old topic: %r" % recs)
            kt.check(kt.http_get(port, "/readyz")[0] == 200, "not ready after reloads")
            kt.log("log after the reloads:\n" + "\n".join(
                ln for ln in d.output().splitlines() if "reload" in ln))
            rc = d.stop()
            kt.check(rc == 0, "exit %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
    print("ok")


if __name__ == "__main__":
    kt.run(main)
