#!/usr/bin/env python3
"""state/protname_table.h is what tools/gen/gen_protname.py makes from this
Python's unicodedata (skips when its Unicode version is another one).
Exit 0 pass, 1 fail, 77 skip."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
r = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "gen", "gen_protname.py"), "--check"],
                   capture_output=True, text=True)
print(r.stdout + r.stderr, end="")
sys.exit(r.returncode)
