#!/usr/bin/env python3
"""Golden replay tests: each tests/golden/NAME.jsonl runs through the real
pipeline (`retentiond --replay`, with NAME.conf when present) and the
outputs, projected to the fields that carry decisions (topic, key, alert
status/reason/severity/caused_by, suggestion action kinds, DLQ reasons),
must equal NAME.ok line by line. Numbers of the models are left out on
purpose: the model tests check those; these check what the pipeline decides
and routes. UPDATE=1 rewrites the .ok files (review the diff before
committing)."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("RETENTIOND", os.path.join(HERE, "..", "..", "build", "retentiond"))


def project(rec):
    topic, key, value = rec["topic"], rec.get("key"), rec.get("value")
    if topic.endswith(".dlq"):
        return f"{topic} key={key} error={rec['error']}"
    if value is None:
        return f"{topic} key={key} tombstone"
    if topic.endswith(".alerts"):
        return (f"{topic} key={key} {value['status']} reason={value['reason']} "
                f"caused_by={value['caused_by']} id={value['alert_id'][:8]}")
    if topic.endswith(".suggestions"):
        if value["type"] == "plan":
            return (f"{topic} key={key} plan {value['department']} {value['month']} "
                    f"allocations={len(value['allocations'])}")
        acts = ",".join(a["action"] for a in value["actions"])
        return f"{topic} key={key} suggestion actions=[{acts}]"
    if topic.endswith(".estimates"):
        return f"{topic} key={key} estimates events={value['events']}"
    return f"{topic} key={key}"


def run_case(name):
    src = os.path.join(HERE, name + ".jsonl")
    conf = os.path.join(HERE, name + ".conf")
    cmd = [BIN, "--replay", src]
    if os.path.exists(conf):
        cmd += ["-c", conf]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        return [f"exit {out.returncode}: {out.stderr.strip()}"]
    return [project(json.loads(line)) for line in out.stdout.splitlines()]


def main():
    cases = sorted(f[:-6] for f in os.listdir(HERE) if f.endswith(".jsonl"))
    if not cases:
        print("no golden cases")
        return 1
    failed = 0
    for name in cases:
        got = run_case(name)
        ok_path = os.path.join(HERE, name + ".ok")
        if os.environ.get("UPDATE") == "1":
            with open(ok_path, "w") as f:
                f.write("\n".join(got) + "\n")
            print(f"updated {name}.ok")
            continue
        with open(ok_path) as f:
            want = f.read().splitlines()
        if got != want:
            failed += 1
            print(f"FAIL {name}")
            for i in range(max(len(got), len(want))):
                g = got[i] if i < len(got) else "<missing>"
                w = want[i] if i < len(want) else "<missing>"
                if g != w:
                    print(f"  line {i + 1}:\n    got  {g}\n    want {w}")
        else:
            print(f"ok {name} ({len(got)} outputs)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
