"""Helpers of test_takeover.py and test_scaleout_kill.py: instances that
publish their partitions' images to retentiond.checkpoints, and the
comparison of what they serve with a single instance's.

Compared per employee (GET /v1/employees/{id}): the fields that come from
events (department, job level, hire, exit, last event, provisional, and
the features that are not as of a clock). With model=True the model- and
clock-dependent figures too (risk, expected tenure, status, alert, scoring
time, drivers, tenure, relative pay, months since raise, promotion and
manager change): those equal a single instance's only where every
instance scores with the model of the whole input at the same clock (one
instance that took all partitions over from one other, or once the
shared statistics are in).
"""
import json
import os

import kafkatest as kt

IN = "hr.events"
ALL = {0, 1, 2, 3}
CKPT = "retentiond.checkpoints"
MODEL_KEYS = ("risk", "expected_tenure_days", "status", "alert_firing",
              "scored_at", "drivers")
# as of the instance's clock (its partitions' latest event), not of the
# employee's events: several instances' clocks differ
CLOCK_FEATURES = ("relative_pay", "months_since_raise", "months_since_promotion",
                  "months_with_manager")


def key_file(tmp):
    """A shared erasure key (every instance of a group hashes erased ids
    with it), 0600."""
    path = os.path.join(tmp, "erasure.key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"00112233445566778899aabbccddeeff\n")
    os.close(fd)
    return path


def instance(bs, group, port, key, images=True, repartition=None):
    cfg = {"kafka": {"group.id": group, "heartbeat.interval.ms": 1000},
           "http": {"listen": "127.0.0.1:%d" % port},
           "state": {"checkpoint_seconds": 1, "erasure_key_file": key},
           "alerts": {"threshold": 0.02, "clear_threshold": 0.01}}
    topics = {"checkpoints": CKPT} if images else {}
    if repartition is not None:
        topics["repartition"] = repartition
    if topics:
        cfg["topics"] = topics
    return kt.Daemon(bs, cfg)


REF_REPARTITION = IN + ".repartition.ref"


def reference(bs, port, key):
    """The single instance the others are compared with: its own group,
    no checkpoint topic, and a repartition topic of its own. On the
    group's topic it would read the group's copies too (it owns every
    partition, so each is its own), late ones included: a copy the group
    re-sends after a takeover, read once the reference is in the closing
    epoch, is held to that epoch's end and keeps its commits short of the
    ends (scaleout_kill.py's failures of session 7), and its state would
    depend on the group's. check_alone() checks it reads only its own."""
    return instance(bs, "retentiond-ref-" + str(os.getpid()), port, key,
                    images=False, repartition=REF_REPARTITION)


def check_alone(port):
    """The reference read back exactly what it re-routed, nothing of the
    group's."""
    sent = kt.metric(port, "retentiond_repartitioned_total")
    back = kt.metric(port, "retentiond_repartition_consumed_total")
    kt.check(sent == back, "the reference re-routed %s events and read back "
             "%s: it reads another instance's repartition records" % (sent, back))


def served(port, emp):
    """The employee as the instance on port serves it: dict, or None for a
    404; fails on any other answer."""
    st, body = kt.http_get(port, "/v1/employees/" + emp)
    if st == 404:
        return None
    kt.check(st == 200, "GET %s on :%d: %s %s" % (emp, port, st, body[:300]))
    return json.loads(body)


def event_fields(rec):
    state = dict(rec["state"])
    feats = dict(state.pop("features"))
    state.pop("tenure_days", None)
    for k in CLOCK_FEATURES:
        feats.pop(k, None)
    return {"state": state, "features": feats}


def model_fields(rec):
    out = {k: rec.get(k) for k in MODEL_KEYS}
    out["tenure_days"] = rec["state"].get("tenure_days")
    for k in CLOCK_FEATURES:
        out[k] = rec["state"]["features"].get(k)
    return out


def differences(ids, ports, ref_port, model, gone=()):
    """What differs from ref: each employee must be served by exactly one
    of ports, as ref serves it; the employees in gone by none (nor by
    ref). Returns a list of problems, [] when none."""
    out = []
    for emp in ids:
        want = served(ref_port, emp)
        got = [(p, served(p, emp)) for p in ports]
        got = [(p, r) for p, r in got if r is not None]
        if emp in gone:
            if want is not None or got:
                out.append("erased %s still served: ref %s, %s"
                           % (emp, want is not None, [p for p, _ in got]))
            continue
        if want is None or len(got) != 1:
            out.append("%s: ref serves it: %s; served by %s"
                       % (emp, want is not None, [p for p, _ in got]))
            continue
        rec = got[0][1]
        if event_fields(rec) != event_fields(want):
            out.append("%s differs from one instance's:\n%s\n%s"
                       % (emp, event_fields(rec), event_fields(want)))
        elif model and model_fields(rec) != model_fields(want):
            out.append("%s: model figures differ:\n%s\n%s"
                       % (emp, model_fields(rec), model_fields(want)))
    return out


def compare(ids, ports, ref_port, model, gone=(), timeout=60):
    """Waits until differences() finds none (events held at an epoch
    boundary are applied once every source of it has crossed, which can
    be after the commits reached the end: an earlier owner committed them);
    fails with what still differs. Returns how many were compared."""
    state = {}

    def same():
        state["d"] = differences(ids, ports, ref_port, model, gone)
        return not state["d"]
    try:
        kt.wait_for(same, timeout, "the instances to serve what one instance does",
                    interval=1)
    except kt.Timeout:
        kt.fail("%d differences, first: %s" % (len(state["d"]), state["d"][0]))
    return len(ids) - len(gone)


def wait_owned(daemons, parts, timeout=60):
    def split():
        for d in daemons:
            kt.check(d.alive(), "an instance died:\n%s" % d.output()[-3000:])
        owned = [d.owned() for d in daemons]
        union = set().union(*owned)
        return all(owned) and sum(len(o) for o in owned) == len(union) == len(parts) \
            and union == parts
    kt.wait_for(split, timeout, "the instances to share the partitions")


def total(ports, name):
    vals = [kt.metric(p, name) for p in ports]
    return None if None in vals else sum(vals)


def committed_at_end(bs, group, topic, timeout):
    """True once group's committed offsets of topic reach its end within
    timeout; else the (end, committed) maps, for the failure message."""
    def reached():
        end = kt.end_offsets(bs, topic)
        com = kt.committed(bs, group, topic)
        return all(end[p] == 0 or com.get(p, -1) == end[p] for p in end)
    try:
        return kt.wait_for(reached, timeout, topic, interval=0.2)
    except kt.Timeout:
        return (kt.end_offsets(bs, topic), kt.committed(bs, group, topic))


def debug_metrics(port):
    """The gate's, the images' and the lag's samples, for a failure."""
    words = ("held", "epoch", "idle", "lag", "repartition", "image", "paused")
    return "\n".join("%s %s" % kv for kv in sorted(kt.metrics(port).items())
                     if any(w in kv[0] for w in words))
