"""`make bench`: run every benchmark in turn and print their tables (nothing is asserted).

The arguments below are small on purpose, so the whole run takes under ~10 minutes on a quiet
2-core machine; bench/README.md gives the full-size commands (2,000 settings, --find-max).
A benchmark that crashes is reported and the others still run.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ["rerun.py", "--expensive"],
    ["browser_latency.py", "--presses", "3"],
    ["cold_start.py", "--repeats", "2", "--pages", "home,ill_conditioning"],
    ["load.py", "--sessions", "50", "--duration", "60"],
    ["payload.py"],
    ["memory.py", "--settings", "400", "--every", "100"],
    ["convoy.py", "--busy", "1", "--repeats", "1"],
]

failed = []
for args in BENCHES:
    print(f"\n== {' '.join(args)} ==", flush=True)
    if subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]]).returncode:
        failed.append(args[0])
if failed:
    sys.exit(f"\nthese benchmarks crashed: {', '.join(failed)}")
