"""Run every benchmark, one after the other: python -m bench (about 15 minutes on 2 cores)."""

import subprocess
import sys

for module in (
    "bench.parse",
    "bench.crawl",
    "bench.index",
    "bench.memory",
    "bench.alternatives",
    "bench.adversarial",
    "bench.publish",
):
    print(f"\n$ python -m {module}", flush=True)
    subprocess.run([sys.executable, "-m", module], check=True)
