#!/usr/bin/env python3
"""/metrics of retentiond, read the way Prometheus reads it.

Starts the daemon with its embedded broker, produces a known mix of events
(hires, surveys, a duplicate, a provisional employee, an erasure, an exit,
and two invalid messages), waits until they are consumed, then parses the
whole page with prometheus_client's text parser and checks families, types,
labels and values against what was produced, histogram invariants, the
standard process_* series against /proc, that `promtool check metrics` has
nothing to say about the page, and that no employee id appears anywhere on
it.
Exit 0 pass, 1 fail, 77 skip.
"""
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_http import (BINARY, Daemon, check, event, failures, hired,  # noqa: E402
                       metric_value, skip, wait_for)

# family name (as the parser reports it) -> type
REQUIRED = {
    "retentiond_events": "counter",
    "retentiond_events_rejected": "counter",
    "retentiond_events_duplicate": "counter",
    "retentiond_events_late": "counter",
    "retentiond_employees_provisional": "counter",
    "retentiond_erasures": "counter",
    "retentiond_outputs": "counter",
    "retentiond_alerts": "counter",
    "retentiond_alerts_open": "gauge",
    "retentiond_alerts_held": "counter",
    "retentiond_plans": "counter",
    "retentiond_employees": "gauge",
    "retentiond_event_clock_seconds": "gauge",
    "retentiond_consumed": "counter",
    "retentiond_produced": "counter",
    "retentiond_delivery_failed": "counter",
    "retentiond_commits": "counter",
    "retentiond_consumer_lag": "gauge",
    "retentiond_kafka_up": "gauge",
    "retentiond_ready": "gauge",
    "retentiond_processing_seconds": "histogram",
    "retentiond_event_to_alert_seconds": "histogram",
    "retentiond_model_concordance": "gauge",
    "retentiond_model_alert_precision": "gauge",
    "retentiond_model_alert_recall": "gauge",
    "retentiond_model_impact_ratio": "gauge",
    "retentiond_model_version": "gauge",
    "retentiond_build_info": "gauge",
    # the standard process series (daemon/procstat.c)
    "process_cpu_seconds": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_virtual_memory_bytes": "gauge",
    "process_start_time_seconds": "gauge",
    "process_open_fds": "gauge",
    "process_max_fds": "gauge",
}


def samples(fams, family, name=None):
    """{frozenset(labels.items()): value} of one family's samples."""
    out = {}
    f = fams.get(family)
    for s in (f.samples if f else []):
        if name is None or s.name == name:
            out[frozenset(s.labels.items())] = s.value
    return out


def one(fams, family, name, **labels):
    return samples(fams, family, name).get(frozenset(labels.items()))


def check_histogram(fams, family):
    f = fams.get(family)
    if not check(f is not None, family + " present"):
        return
    buckets = sorted(((float(s.labels["le"]), s.value) for s in f.samples
                      if s.name == family + "_bucket"), key=lambda b: b[0])
    count = one(fams, family, family + "_count")
    total = one(fams, family, family + "_sum")
    check(len(buckets) >= 2 and buckets[-1][0] == float("inf"), family + ": has a +Inf bucket")
    check(all(buckets[i][1] <= buckets[i + 1][1] for i in range(len(buckets) - 1)),
          family + ": buckets are cumulative")
    check(count is not None and buckets and buckets[-1][1] == count, family + ": +Inf bucket == _count")
    check(total is not None and total >= 0, family + ": _sum >= 0")


def check_process(fams, pid, started):
    """The process_* values against what /proc says about the daemon."""
    def val(name):
        return one(fams, name, name)
    start = val("process_start_time_seconds")
    # the kernel counts in 10 ms ticks from boot, and the boot time comes
    # from two clock reads: a second of margin before the fork
    check(start is not None and started - 1 <= start <= time.time(),
          "process_start_time_seconds is when the daemon started (%s, Popen at %.2f)" % (start, started))
    limit = None
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                limit = float(line.split()[3])
    check(val("process_max_fds") == limit, "process_max_fds == the soft limit (%s)" % limit)
    fds = len(os.listdir("/proc/%d/fd" % pid))
    check(val("process_open_fds") is not None and abs(val("process_open_fds") - fds) <= 8,
          "process_open_fds %s ~ %d entries in /proc/PID/fd" % (val("process_open_fds"), fds))
    with open("/proc/%d/status" % pid) as f:
        rss = next(float(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    check(val("process_resident_memory_bytes") is not None and
          0.5 * rss <= val("process_resident_memory_bytes") <= 2 * rss,
          "process_resident_memory_bytes %s ~ VmRSS %d" % (val("process_resident_memory_bytes"), rss))
    check(val("process_virtual_memory_bytes") >= val("process_resident_memory_bytes"),
          "virtual memory >= resident memory")
    cpu = one(fams, "process_cpu_seconds", "process_cpu_seconds_total")
    check(cpu is not None and cpu > 0, "process_cpu_seconds_total > 0 (%s)" % cpu)


def promtool_check(text):
    """`promtool check metrics`, Prometheus's own linter of an exposition:
    exit 0 and nothing to say."""
    tool = shutil.which("promtool")
    if not check(tool is not None, "promtool installed (tools/deps.sh: prometheus)"):
        return
    r = subprocess.run([tool, "check", "metrics"], input=text.encode(), capture_output=True,
                       timeout=60)
    out = (r.stdout + r.stderr).decode("utf-8", "replace").strip()
    check(r.returncode == 0 and out == "", "promtool check metrics: clean (%d: %s)"
          % (r.returncode, out[:500]))


def main():
    if not os.access(BINARY, os.X_OK):
        skip("no binary at " + BINARY)
    try:
        import confluent_kafka  # noqa: F401
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError as e:
        skip("missing python package: %s" % e)

    ids = ["Pers-%04d-xq" % i for i in range(6)]     # distinctive, greppable
    provisional = "Pers-prov-77zz"
    msgs = [(i, hired(n + 1, i, when="2025-01-%02dT00:00:00Z" % (n + 1),
                      attributes={"Gender": "f" if n % 2 else "m"}))
            for n, i in enumerate(ids)]
    msgs += [
        (ids[0], event(20, "hr.survey.submitted", ids[0], "2025-03-01T00:00:00Z", {"satisfaction": 5})),
        (ids[1], event(21, "hr.survey.submitted", ids[1], "2025-03-02T00:00:00Z", {"satisfaction": 90})),
        (ids[1], event(21, "hr.survey.submitted", ids[1], "2025-03-02T00:00:00Z", {"satisfaction": 90})),  # dup
        (provisional, event(22, "hr.review.completed", provisional, "2025-03-03T00:00:00Z", {"rating": 2})),
        (ids[2], event(23, "hr.employee.erased", ids[2], "2025-03-04T00:00:00Z")),
        (ids[3], event(24, "hr.employee.exited", ids[3], "2025-03-05T00:00:00Z", {"voluntary": True})),
        (ids[4], b"this is not json " + ids[4].encode()),
        (ids[5], event(25, "hr.employee.teleported", ids[5], "2025-03-06T00:00:00Z", {})),
    ]
    d = Daemon()
    try:
        started = time.time()
        d.start()
        d.produce(msgs)

        def consumed():
            st, _, body = d.get("/metrics")
            v = metric_value(body.decode(), "retentiond_consumed_total") if st == 200 else None
            return v is not None and v >= len(msgs)
        if not check(wait_for(consumed, "consumed_total", proc=d.proc), "every message consumed"):
            print("--- daemon stderr (tail) ---\n" + d.stderr()[-3000:])
            return 1
        wait_for(lambda: d.get("/readyz")[0] == 200, "ready", proc=d.proc)

        st, hdr, body = d.get("/metrics")
        text = body.decode()
        check(st == 200, "/metrics 200")
        ctype = hdr.get("Content-Type", "")
        check(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
              "Content-Type text/plain; version=0.0.4 (%s)" % ctype)

        try:
            fams = {f.name: f for f in text_string_to_metric_families(text)}
        except Exception as e:      # the parser raises ValueError and friends
            check(False, "the Prometheus parser accepts the page: %s" % e)
            return 1
        check(True, "the Prometheus parser accepts the page (%d families)" % len(fams))
        for name, typ in REQUIRED.items():
            f = fams.get(name)
            check(f is not None and f.type == typ, "%s is a %s" % (name, typ))
            check(f is not None and f.documentation != "", "%s has HELP" % name)
        for f in fams.values():
            check(f.name.startswith(("retentiond_", "process_")),
                  f.name + " is in the retentiond_ (or the standard process_) namespace")
            if f.type == "counter":
                check(all(s.name.endswith(("_total", "_created")) for s in f.samples),
                      f.name + ": counter samples end in _total")

        ev = "retentiond_events"
        check(one(fams, ev, ev + "_total", type="hr.employee.hired") == 6, "events_total{hired} == 6")
        check(one(fams, ev, ev + "_total", type="hr.survey.submitted") == 2,
              "events_total{survey} == 2 (the duplicate is not counted)")
        check(one(fams, ev, ev + "_total", type="hr.review.completed") == 1, "events_total{review} == 1")
        check(one(fams, ev, ev + "_total", type="hr.employee.erased") == 1, "events_total{erased} == 1")
        check(one(fams, ev, ev + "_total", type="hr.employee.exited") == 1, "events_total{exited} == 1")
        check(one(fams, ev, ev + "_total", type="hr.care.provided") == 0, "events_total{care} == 0")
        types = {dict(k)["type"] for k in samples(fams, ev, ev + "_total")}
        check(len(types) == 11 and all(t.startswith("hr.") for t in types), "one series per event type")

        rj = "retentiond_events_rejected"
        check(one(fams, rj, rj + "_total", reason="not_json") == 1, "rejected{not_json} == 1")
        check(one(fams, rj, rj + "_total", reason="unknown_type") == 1, "rejected{unknown_type} == 1")
        check(sum(samples(fams, rj, rj + "_total").values()) == 2, "2 rejected in all")
        check(one(fams, "retentiond_events_duplicate", "retentiond_events_duplicate_total") == 1,
              "duplicate_total == 1")
        check(one(fams, "retentiond_employees_provisional", "retentiond_employees_provisional_total") == 1,
              "employees_provisional_total == 1")
        check(one(fams, "retentiond_erasures", "retentiond_erasures_total") == 1, "erasures_total == 1")
        out = "retentiond_outputs"
        check(one(fams, out, out + "_total", kind="dlq") == 2, "outputs{dlq} == 2")
        check(set(dict(k)["kind"] for k in samples(fams, out, out + "_total")) ==
              {"alert", "suggestion", "estimates", "dlq"}, "outputs kinds")
        al = "retentiond_alerts"
        firing = one(fams, al, al + "_total", status="firing")
        check(firing is not None and one(fams, al, al + "_total", status="resolved") is not None,
              "alerts_total{firing,resolved}")
        check(firing == one(fams, out, out + "_total", kind="alert") -
              one(fams, al, al + "_total", status="resolved"),
              "alert outputs == firing + resolved")
        held = "retentiond_alerts_held"
        check(set(dict(k)["reason"] for k in samples(fams, held, held + "_total")) ==
              {"warmup", "uncertain", "backfill", "budget"}, "alerts_held reasons")
        emp = "retentiond_employees"
        # 6 hired - 1 erased + 1 provisional; one of them exited
        check(one(fams, emp, emp, status="all") == 6, "employees{all} == 6")
        check(one(fams, emp, emp, status="active") == 5, "employees{active} == 5")
        check(one(fams, "retentiond_consumed", "retentiond_consumed_total") == len(msgs),
              "consumed_total == messages produced (%d)" % len(msgs))
        check(one(fams, "retentiond_ready", "retentiond_ready") == 1, "ready == 1")
        check(one(fams, "retentiond_kafka_up", "retentiond_kafka_up") == 1, "kafka_up == 1")
        clock = one(fams, "retentiond_event_clock_seconds", "retentiond_event_clock_seconds")
        check(clock == 1741132800, "event clock == the latest valid event time (2025-03-05)")
        check((one(fams, "retentiond_model_version", "retentiond_model_version") or 0) >= 1,
              "model_version >= 1")
        for k in samples(fams, "retentiond_model_impact_ratio"):
            check(set(dict(k)) == {"attribute", "level"}, "impact_ratio labels are attribute, level")

        check_histogram(fams, "retentiond_processing_seconds")
        check_histogram(fams, "retentiond_event_to_alert_seconds")
        check(one(fams, "retentiond_processing_seconds", "retentiond_processing_seconds_count") >= len(msgs) - 2,
              "processing_seconds counts the processed messages")

        version = subprocess.run([BINARY, "-V"], capture_output=True, text=True).stdout.split()[-1]
        check(one(fams, "retentiond_build_info", "retentiond_build_info", version=version) == 1,
              "build_info{version=%s} == 1" % version)

        check_process(fams, d.proc.pid, started)
        promtool_check(text)

        leaked = [i for i in ids + [provisional] if i in text]
        check(not leaked, "no employee id on /metrics (found %d)" % len(leaked))
        check("Pers-" not in text, "no id fragment on /metrics")
        check(d.stop() == 0, "SIGTERM: exit 0")
    finally:
        if failures:
            print("--- daemon stderr (tail) ---\n" + d.stderr()[-3000:])
        d.cleanup()
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
