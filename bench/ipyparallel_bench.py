#!/usr/bin/python3
"""The same measurements as bench/run.mjs, for ipyparallel (Debian's python3-ipyparallel),
so the two can be compared on one machine: /usr/bin/python3 bench/ipyparallel_bench.py"""
import json
import sys
import time

import ipyparallel as ipp
import numpy as np

ENGINES = 2
out = []


def record(name, value, unit):
    out.append({"name": name, "value": value, "unit": unit})
    if "--json" not in sys.argv:
        print(f"{name:<44} {value:>12} {unit}")


t = time.perf_counter()
cluster = ipp.Cluster(n=ENGINES, log_level=40)
rc = cluster.start_and_connect_sync()
rc.wait_for_engines(ENGINES, timeout=60)
record(f"start {ENGINES} engines", round((time.perf_counter() - t) * 1000), "ms")
try:
    one = rc[0]
    dv = rc[:]
    lv = rc.load_balanced_view()
    for _ in range(100):
        one.apply_sync(lambda: 0)
    n = 1000
    t = time.perf_counter()
    for _ in range(n):
        one.apply_sync(lambda: 0)
    record("trivial apply round trip, sequential", round((time.perf_counter() - t) * 1000 / n, 3), "ms")

    tasks = 3000
    t = time.perf_counter()
    ars = [lv.apply_async(lambda: 0) for _ in range(tasks)]
    for ar in ars:
        ar.get()
    record(f"load-balanced apply throughput ({tasks} tasks)", round(tasks / (time.perf_counter() - t)), "tasks/s")

    big = np.arange(10_000_000, dtype=np.float64)
    dv.scatter("a", big, block=True)
    t = time.perf_counter()
    dv.scatter("a", big, block=True)
    record("scatter 80 MB float64 array", round(big.nbytes / 1e6 / (time.perf_counter() - t)), "MB/s")
    t = time.perf_counter()
    dv.gather("a", block=True)
    record("gather 80 MB float64 array", round(big.nbytes / 1e6 / (time.perf_counter() - t)), "MB/s")
finally:
    t = time.perf_counter()
    cluster.stop_cluster_sync()
    record(f"stop {ENGINES} engines", round((time.perf_counter() - t) * 1000), "ms")
if "--json" in sys.argv:
    print(json.dumps({"engines": ENGINES, "results": out}, indent=2))
