#!/usr/bin/python3
"""closedloop.py: carry out retentiond's monthly department budget plans in
the synthetic company (tools/sim/gencompany.c) and compare the outcome with
spending the same money uniformly and with spending nothing.

Three arms, all on the same seed with common random numbers (gencompany
--crn / --actions: every random draw is keyed by employee, time and
purpose, so the arms differ only through the effects of what they spend):

  plans    month by month: simulate up to the first day of month m with the
           actions so far, replay that stream through `retentiond --replay`,
           take the plans published for month m (topic
           hr.retention.suggestions, value.type "plan") and carry out their
           allocations at 09:00 on the following day (the generator changes
           the person's true state through its true relations and emits the
           event an HRIS would).
  uniform  each department-month, the money the plans arm actually spent in
           that department that month, split evenly as one-off bonuses over
           everyone in the department then.
  none     no actions (the generator's --crn stream without actions).

Outcomes over the plan period (months warmup .. warmup + months): the cohort
employed when the period starts and the share of it that did not leave
voluntarily, all voluntary exits in the period, and at its end the mean true
satisfaction s0 + alpha*u + care*c and mean true ability a0 + gamma*v of the
staff (noise-free, from the generator's truth file), and the money spent.

Usage: tools/sim/closedloop.py [--build build] [--scenario case|large|test]
       [--seeds 1,2,3] [--json out.json]   (--help for the rest)
Prints a table; with --json writes every run's figures.
"""
import argparse
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START = "2024-01-01"

# Scenarios. "case" is the seed document's case study: 100 employees,
# s0 = 60, alpha = 0.2, a0 = 50, gamma = 0.3; its t0 = 2 years is not a
# hazard (see docs/CLOSEDLOOP.md), so the generator's default baseline is
# kept, which gives the seed's "before" retention of about 80% a year.
SCENARIOS = {
    "case": dict(employees=100, warmup=24, months=12, budget=5000,
                 gen=["--s0", "60", "--alpha", "0.2", "--a0", "50", "--gamma", "0.3"]),
    "large": dict(employees=600, warmup=12, months=12, budget=30000,
                  gen=["--s0", "60", "--alpha", "0.2", "--a0", "50", "--gamma", "0.3"]),
    "test": dict(employees=80, warmup=12, months=3, budget=4000,
                 gen=["--s0", "60", "--alpha", "0.2", "--a0", "50", "--gamma", "0.3"]),
}

CONF = """[state]
directory = {dir}
[alerts]
threshold = {threshold}
clear_threshold = {clear}
critical_threshold = 0.6
warmup_max_se = {warmup_max_se}
confidence_z = {confidence_z}
horizon_days = 180
[suggestions]
training_hour_cost = 60
care_action_cost = 200
promotion_raise_percent = 10
department_budget_per_month = {budget}
[http]
listen =
"""


def month_start(m):
    """ISO date of the first day of month m after START."""
    y, mo = int(START[:4]), int(START[5:7]) - 1 + m
    return "%04d-%02d-01" % (y + mo // 12, mo % 12 + 1)


def next_day(date):
    import datetime
    d = datetime.date.fromisoformat(date) + datetime.timedelta(days=1)
    return d.isoformat()


def ev_time(line):
    k = line.find('"time":"')
    return line[k + 8:k + 28]


class Run:
    """One arm of one seed: the generator's settings and the actions so far."""

    def __init__(self, a, sc, seed, tmp, name):
        self.a, self.sc, self.seed, self.tmp, self.name = a, sc, seed, tmp, name
        self.actions = []          # (when, employee, action, amount, cost)
        self.gen = os.path.join(a.build, "gencompany")
        self.path = os.path.join(tmp, "%s-%d.actions" % (name, seed))

    def generate(self, months, truth=None):
        with open(self.path, "w") as f:
            for act in self.actions:
                f.write("%s %s %s %.6g %.2f\n" % act)
        argv = [self.gen, "--seed", str(self.seed), "--employees",
                str(self.sc["employees"]), "--months", str(months), "--start", START,
                "--actions", self.path] + self.sc["gen"]
        if truth:
            argv += ["--truth", truth]
        r = subprocess.run(argv, capture_output=True, timeout=600)
        if r.returncode != 0:
            sys.exit("closedloop: gencompany failed: %s" % r.stderr.decode()[-500:])
        return r.stdout.decode().splitlines()


def staff_at(lines, cut):
    """{employee: department} of those employed just before time `cut`."""
    dept = {}
    for line in lines:
        if ev_time(line) >= cut:
            break
        if '"hr.employee.hired"' in line:
            ev = json.loads(line)
            dept[ev["subject"]] = ev["data"]["department"]
        elif '"hr.employee.exited"' in line or '"hr.employee.erased"' in line:
            dept.pop(json.loads(line)["subject"], None)
    return dept


def action_day(lines, m):
    """The day after the first event of month m (ISO date): the plans for m
    are out by then (the daemon plans when its clock enters the month)."""
    ms = month_start(m)[:7]
    for line in lines:
        t = ev_time(line)
        if t[:7] == ms:
            return next_day(t[:10])
        if t[:7] > ms:
            break
    return next_day(month_start(m))


def replay_plans(a, sc, lines, month, tmp, tag):
    path = os.path.join(tmp, tag + ".jsonl")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    conf = os.path.join(tmp, tag + ".conf")
    st = os.path.join(tmp, tag + ".state")
    os.makedirs(st, exist_ok=True)
    with open(conf, "w") as f:
        f.write(CONF.format(dir=st, threshold=a.threshold, clear=a.clear,
                            warmup_max_se=a.warmup_max_se, confidence_z=a.confidence_z,
                            budget=sc["budget"]))
    r = subprocess.run([os.path.join(a.build, "retentiond"), "--replay", path, "-c", conf],
                       capture_output=True, timeout=600)
    if r.returncode != 0:
        sys.exit("closedloop: retentiond --replay failed: %s" % r.stderr.decode()[-500:])
    plans = []
    for line in r.stdout.decode().splitlines():
        o = json.loads(line)
        v = o.get("value")
        if (o.get("topic") == "hr.retention.suggestions" and isinstance(v, dict)
                and v.get("type") == "plan" and v.get("month") == month):
            plans.append(v)
    return plans


def outcomes(lines, truth, cut0, end, actions):
    """Figures of one arm over [cut0, end)."""
    employed, cohort, vol = {}, set(), 0
    left_vol = set()
    for line in lines:
        t = ev_time(line)
        if '"hr.employee.hired"' in line:
            employed[json.loads(line)["subject"]] = 1
        elif '"hr.employee.exited"' in line:
            ev = json.loads(line)
            employed.pop(ev["subject"], None)
            if t >= cut0 and ev["data"]["voluntary"]:
                vol += 1
                left_vol.add(ev["subject"])
        if t < cut0:
            cohort = set(employed)
    cl = truth["closed_loop"]
    by_kind = {}
    for act in actions:
        by_kind[act[2]] = by_kind.get(act[2], 0) + act[4]
    return {
        "cohort": len(cohort),
        "retention": 1 - len(cohort & left_vol) / max(1, len(cohort)),
        "voluntary_exits": vol,
        "satisfaction": cl["mean_true_satisfaction_at_end"],
        "ability": cl["mean_true_ability_at_end"],
        "spend": cl["spend"],
        "actions_applied": cl["actions_applied"],
        "spend_by_action": by_kind,
    }


def run_seed(a, scname, seed):
    sc = SCENARIOS[scname]
    w, M = sc["warmup"], sc["months"]
    with tempfile.TemporaryDirectory(prefix="closedloop-") as tmp:
        plan = Run(a, sc, seed, tmp, "plans")
        spent = {}                # (month, department) -> money the plans spent
        days, budgets_ok, planned = {}, True, 0
        for m in range(w, w + M):
            lines = plan.generate(m + 1)
            day = action_day(lines, m)
            days[m] = day
            prefix = [ln for ln in lines if ev_time(ln) < day]
            plans = replay_plans(a, sc, prefix, month_start(m)[:7], tmp, "r%d" % seed)
            staff = staff_at(lines, day + "T09:00:00Z")
            for p in plans:
                if p["spend"] > p["budget"] + 0.01:
                    budgets_ok = False
                for al in p["allocations"]:
                    planned += 1
                    if al["employee_id"] not in staff:
                        continue      # left before the plan could be carried out
                    plan.actions.append((day, al["employee_id"], al["action"],
                                         al["amount"], al["cost"]))
                    key = (m, p["department"])
                    spent[key] = spent.get(key, 0) + al["cost"]

        uni = Run(a, sc, seed, tmp, "uniform")
        for m in range(w, w + M):
            lines = uni.generate(m + 1)
            staff = staff_at(lines, days[m] + "T09:00:00Z")
            for dep in sorted(set(staff.values())):
                money = spent.get((m, dep), 0)
                people = sorted(e for e, d in staff.items() if d == dep)
                if money <= 0 or not people:
                    continue
                share = int(money / len(people) * 100) / 100.0   # never above
                for e in people:
                    uni.actions.append((days[m], e, "incentive", share, share))

        none = Run(a, sc, seed, tmp, "none")
        res = {"seed": seed, "scenario": scname, "plans_budget_ok": budgets_ok,
               "allocations_planned": planned}
        cut0 = days[w] + "T09:00:00Z"
        end = month_start(w + M)
        for arm in (plan, uni, none):
            truth = os.path.join(tmp, arm.name + ".truth")
            lines = arm.generate(w + M, truth)
            with open(truth) as f:
                tr = json.load(f)
            res[arm.name] = outcomes(lines, tr, cut0, end, arm.actions)
        return res


def summary(runs, scname):
    out = []
    for arm in ("plans", "uniform", "none"):
        row = {"arm": arm}
        for k in ("retention", "voluntary_exits", "satisfaction", "ability", "spend"):
            xs = [r[arm][k] for r in runs if r["scenario"] == scname]
            row[k] = (statistics.mean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.0)
        out.append(row)
    return out


def paired(runs, scname, a1, a2, k):
    d = [r[a1][k] - r[a2][k] for r in runs if r["scenario"] == scname]
    n = len(d)
    mu = statistics.mean(d)
    se = statistics.stdev(d) / n ** 0.5 if n > 1 else 0.0
    return mu, se, sum(1 for x in d if x > 0), n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                    help="case (default), large, test; repeatable")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--threshold", type=float, default=0.3)
    ap.add_argument("--clear", type=float, default=0.2)
    # The experiment's warm-up months (no plans) stand in for the daemon's
    # warm-up, so by default alerts follow the point estimate (both 0).
    ap.add_argument("--warmup-max-se", type=float, default=0.0,
                    help="[alerts] warmup_max_se of the replays (0: off)")
    ap.add_argument("--confidence-z", type=float, default=0.0,
                    help="[alerts] confidence_z of the replays (0: the point risk)")
    ap.add_argument("--budget", type=float, help="override the scenario's budget")
    ap.add_argument("--months", type=int, help="override the plan period (months)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", help="write every run's figures here")
    a = ap.parse_args()
    scen = a.scenario or ["case"]
    for s in scen:
        if a.budget is not None:
            SCENARIOS[s]["budget"] = a.budget
        if a.months is not None:
            SCENARIOS[s]["months"] = a.months
    seeds = [int(x) for x in a.seeds.split(",") if x]
    jobs = [(s, seed) for s in scen for seed in seeds]
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        runs = list(ex.map(lambda j: run_seed(a, j[0], j[1]), jobs))
    for s in scen:
        sc = SCENARIOS[s]
        n = sum(1 for r in runs if r["scenario"] == s)
        print("scenario %s: %d employees, %d warm-up months, %d plan months, budget %g "
              "per department-month, %d seeds (mean +- sd)" %
              (s, sc["employees"], sc["warmup"], sc["months"], sc["budget"], n))
        print("  %-8s %16s %14s %16s %14s %18s" % ("arm", "retention", "vol. exits",
                                                  "satisfaction", "ability", "spend"))
        for row in summary(runs, s):
            print("  %-8s %9.1f%% +-%4.1f %7.1f +-%4.1f %9.2f +-%4.2f %7.2f +-%4.2f %11.0f +-%5.0f" % (
                row["arm"], 100 * row["retention"][0], 100 * row["retention"][1],
                *row["voluntary_exits"], *row["satisfaction"], *row["ability"],
                *row["spend"]))
        for a1, a2 in (("plans", "uniform"), ("plans", "none"), ("uniform", "none")):
            parts = []
            for k, scale in (("retention", 100), ("voluntary_exits", 1),
                             ("satisfaction", 1), ("ability", 1)):
                mu, se, pos, nn = paired(runs, s, a1, a2, k)
                parts.append("%s %+.2f +-%.2f (>0 in %d/%d)" % (k, mu * scale, se * scale,
                                                                pos, nn))
            print("  %s - %s (paired, mean +- se): %s" % (a1, a2, "; ".join(parts)))
        kinds = {}
        for r in runs:
            if r["scenario"] == s:
                for k, v in r["plans"]["spend_by_action"].items():
                    kinds[k] = kinds.get(k, 0) + v / n
        print("  plans' spend by action (mean per seed): %s" %
              ", ".join("%s %.0f" % kv for kv in sorted(kinds.items())))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(runs, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
