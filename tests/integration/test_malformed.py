#!/usr/bin/python3
"""Malformed input goes to the DLQ unchanged, and the daemon carries on.

Malformed messages of every kind CONTRACT.md names (not JSON, a missing
field, a value out of range, an unknown type, over 64 KiB, a bad key, not
UTF-8, plus a wrong type, a bad binary-mode header and a tombstone) are
interleaved with valid events on hr.events, which the daemon reads from a
broker in another process. Checked:
  - each malformed record appears on hr.events.dlq exactly once, with its
    original key and value bytes and the headers `error` (one non-empty
    line), `source.topic`, `source.partition`, `source.offset` naming where
    it was produced; nothing else is on the DLQ;
  - valid events after the bad ones still cause outputs, and the daemon is
    still running;
  - the group's committed offsets reach the end of hr.events;
  - SIGTERM ends the daemon with status 0.
An input too large for the DLQ whole is test_poison.py's.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

IN, ALERTS, DLQ = "hr.events", "hr.attrition.alerts", "hr.events.dlq"


def ev(etype, subj, eid, when, data=None):
    return kt.cloudevent(etype, subj, eid, when, data)


def hire(subj, eid, day):
    return ev("hr.employee.hired", subj, eid, "2025-01-%02dT09:00:00Z" % day,
              {"department": "Ops", "job_level": 2, "salary": 40000})


def js(obj):
    return json.dumps(obj).encode()


def records():
    """[(label, key, value, headers, malformed)] in production order."""
    survey = ev("hr.survey.submitted", "E300", "m-ok", "2025-01-05T00:00:00Z",
                {"satisfaction": 50})
    no_time = dict(survey, id="m-2")
    del no_time["time"]
    big = hire("E300", "m-5", 6)
    big["data"]["attributes"] = {"note": "x" * (70 * 1024)}
    binary_bad_time = kt.binary_mode(ev("hr.survey.submitted", "E301", "m-10",
                                        "yesterday", {"satisfaction": 40}))
    bad = [
        ("not json", "E300", b"this is not json {", None),
        ("missing time", "E300", js(no_time), None),
        ("out of range", "E300", js(dict(survey, id="m-3",
                                         data={"satisfaction": 150})), None),
        ("unknown type", "E300", js(dict(survey, id="m-4",
                                         type="hr.employee.teleported")), None),
        ("over 64 KiB", "E300", js(big), None),
        ("key mismatch", "E-OTHER", js(dict(survey, id="m-6")), None),
        ("bad employee id", b"\x01bad", js(dict(survey, id="m-7", subject="\u0001bad")), None),
        ("not UTF-8", "E300", js(dict(survey, id="m-8"))[:-2] + b', "x": "\xff\xfe"}}', None),
        ("wrong type", "E301", js(dict(hire("E301", "m-9", 7),
                                       data={"department": "Ops", "job_level": "three",
                                             "salary": 1})), None),
        ("binary bad time", binary_bad_time[0], binary_bad_time[1], binary_bad_time[2]),
        ("tombstone", "E300", None, None),
    ]
    good = [
        ("hire E300", *kt.structured(hire("E300", "g-1", 1))),
        ("hire E301", *kt.structured(hire("E301", "g-2", 2))),
        ("survey E300", *kt.structured(survey)),
        ("survey E301", *kt.binary_mode(ev("hr.survey.submitted", "E301", "g-3",
                                           "2025-01-08T00:00:00Z", {"satisfaction": 45}))),
    ]
    out = []
    for i, b in enumerate(bad):     # interleave: good, bad, bad, good, ...
        if i % 2 == 0 and good:
            out.append(good.pop(0) + (False,))
        out.append(b + (True,))
    out += [g + (False,) for g in good]
    # The last word: a valid hire after every bad one must still be acted on.
    out.append(("hire E399", *kt.structured(hire("E399", "g-last", 20)), False))
    return out


def header_str(r, name):
    v = r.headers.get(name)
    return v.decode("utf-8", "replace") if v is not None else None


def main():
    kt.require_kafka()
    recs = records()
    with kt.MockBroker(topics=kt.default_topics()) as broker:
        bs = broker.bootstrap
        cfg = {"alerts": {"threshold": 0.02, "clear_threshold": 0.01, "min_exits": 0}}
        with kt.Daemon(bs, cfg) as d:
            d.wait_log("assigned")
            where = kt.produce(bs, IN, [(k, v, h) for _, k, v, h, _ in recs])
            bad = [(r, w) for r, w in zip(recs, where) if r[4]]
            kt.log("%d records, %d malformed" % (len(recs), len(bad)))

            dlq = kt.consume(bs, DLQ, until=lambda rs: len(rs) >= len(bad), timeout=60)
            alerts = kt.consume(bs, ALERTS, timeout=60,
                                until=lambda rs: any(r.key == "E399" for r in rs))
            last = [r.json() for r in alerts if r.key == "E399"][0]
            kt.check(last["caused_by"] == "g-last",
                     "alert for E399 caused by %r, not the last event" % last["caused_by"])
            kt.wait_committed(bs, d.group, IN, timeout=60)
            kt.check(d.alive(), "daemon died:\n" + d.output())

            dlq = kt.consume(bs, DLQ)   # all of it, now that input is committed
            kt.check(len(dlq) == len(bad), "%d records on the DLQ, expected %d: %s"
                     % (len(dlq), len(bad), [header_str(r, "error") for r in dlq]))
            by_src = {}
            for r in dlq:
                src = (header_str(r, "source.topic"), header_str(r, "source.partition"),
                       header_str(r, "source.offset"))
                kt.check(src not in by_src, "DLQ holds %s twice" % (src,))
                by_src[src] = r
            for (label, key, value, _h, _m), (part, off) in bad:
                src = (IN, str(part), str(off))
                kt.check(src in by_src, "%s (%s[%d]@%d) is not on the DLQ with matching "
                         "source headers; DLQ sources: %s" % (label, IN, part, off,
                                                              sorted(by_src)))
                r = by_src[src]
                want_key = key.encode() if isinstance(key, str) else key
                kt.check(r.key_bytes == want_key, "%s: DLQ key %r, expected %r"
                         % (label, r.key_bytes, want_key))
                kt.check((r.value_bytes or b"") == (value or b""),
                         "%s: DLQ value differs from the original (%d vs %d bytes)"
                         % (label, len(r.value_bytes or b""), len(value or b"")))
                err = header_str(r, "error")
                kt.check(err and err.strip() and "\n" not in err and "\r" not in err,
                         "%s: error header %r is not one non-empty line" % (label, err))
                kt.log("%-16s -> %s" % (label, err))

            rc = d.stop(timeout=20)
            kt.check(rc == 0, "retentiond exited %s on SIGTERM:\n%s" % (rc, d.output()[-3000:]))
    print("ok: %d malformed records on the DLQ, unchanged" % len(bad))


if __name__ == "__main__":
    try:
        main()
    except kt.Timeout as e:
        kt.fail(str(e))
