#!/usr/bin/python3
"""Fast subset of `make eval`: fails when a model falls below its goal.

Runs tools/eval/eval.py as `make eval` does (5 folds on the IBM attrition set,
goal ROC AUC >= 0.81; 5 folds on the Babushkin turnover set, goal
concordance >= 0.60; the 2000-employee, 36-month synthetic company whose
estimates must recover the generator's truth: s0, alpha, care, a0, gamma,
kappa within 2 standard errors or 10 %, right sign of the satisfaction
effect on the hazard) and leaves out only the batch anchors, which need
numpy and do not gate anything. The replays take about 10 s in all.

It also runs the measurement against the truth's own limit
(tools/eval/oracle.py) on one generator seed instead of make eval's five,
with 8 simulated futures per row instead of 16 (about 12 s more): AUC at months 12, 18 and 24 beside the true risk's, alert
precision and recall beside the oracle's at equal volume, calibration. Its
sanity checks gate (every employee on staff scored, the truth's AUC at
least 0.55, the oracle's figures defined), and so do the issue 12 goals
themselves (TRUTH_GATE): AUC >= 0.95 of the truth's at every landmark,
alert precision and recall >= 0.8 of the oracle's at equal volume,
Hosmer-Lemeshow p >= 0.05. They were reported without failing until the
model met them over make eval's five seeds (docs/EVALUATION.md);
RETENTIOND_EVAL_TRUTH_GATE=0 shows them as "pass (not gated)" / "fail (not
gated)" instead, for diagnosis. One seed is a smoke test of the figures,
not their record: make eval reports five, and a change that keeps them
over the goals on seed 1 can still miss them on the five.
The IBM folds run with the default configuration, so the daemon detects
the data set's left truncation itself (no observation_start). The IBM
framing check of make eval (four more sets of IBM folds: undated values at
the hire or near the snapshot, with and without observation_start) is left
out here to keep the run short.

It used to run 2 folds and a 500-employee, 24-month company. Both were
dropped on purpose, not to make a check easier: with half the data per
fold the online model measures a different thing than the figure of
record, and at 500 x 24 months the sampling spread of alpha (about 0.045
over generator seeds 1..6 and 42, against a plain standard error of 0.03)
made seed 42's draw of 0.89 fail by chance (docs/EVALUATION.md).

Exit 0 pass, 1 fail, 77 skip (binary not built, or neither the data sets
in ../shared/data nor the generator present).
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# The issue 12 goals against the truth: gated since the model meets them
# over five seeds (branch s4-model); 0 only reports them.
TRUTH_GATE = os.environ.get("RETENTIOND_EVAL_TRUTH_GATE", "1") == "1"
TRUTH_SEEDS = "1"


def main():
    build = os.environ.get("BUILD", "build")
    if not os.path.isabs(build):
        build = os.path.join(REPO, build)
    binary = os.environ.get("RETENTIOND", "")
    if not os.access(binary, os.X_OK):
        binary = os.path.join(build, "retentiond")
    if not os.access(binary, os.X_OK):
        print("SKIP: %s not built" % binary)
        return 77
    argv = [sys.executable, os.path.join(REPO, "tools", "eval", "eval.py"),
            "--build", build, "--binary", binary,
            "--no-anchors", "--only", "ibm,turnover,synthetic,truth",
            "--truth-seeds", TRUTH_SEEDS, "--truth-paths", "8",
            "--truth-goals", "gate" if TRUTH_GATE else "report"]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=600)
    out = p.stdout.decode("utf-8", "replace")
    sys.stdout.write(out)
    if p.returncode == 77:
        return 77
    if p.returncode == 0 and "PASS" not in out:
        print("FAIL: eval passed without a single checked row")
        return 1
    if p.returncode != 0:
        print("FAIL: a model is below its goal (exit %d); see the table above"
              % p.returncode)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
