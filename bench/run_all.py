"""`make bench`: run every benchmark in turn and print their tables (nothing is asserted)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [["rerun.py", "--expensive"]]

for args in BENCHES:
    print(f"\n== {args[0]} ==", flush=True)
    subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]], check=True)
