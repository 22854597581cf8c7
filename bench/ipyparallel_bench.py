#!/usr/bin/python3
"""The references of `npm run bench`, measured on the same machine: ipyparallel (Debian's
python3-ipyparallel + python3-numpy) with 2 engines, and multiprocessing.Pool(2).map of tiny
tasks (chunksize 1).

    /usr/bin/python3 bench/ipyparallel_bench.py [--runs N] [--json] [--quick]
                                                 [--only ipyparallel|multiprocessing] [--list]

Every figure is given as min / median / max over N repetitions (default 3); --json prints one
object, {"figures": [{id, group, who, unit, better, samples, min, median, max}], "skipped": [...]},
the shape bench/run.mjs merges into its own (it calls this with --runs 1 between its repetitions,
so that both share the machine's load). Without ipyparallel or numpy only multiprocessing runs.
IPython needs IPYTHONDIR's parent directory to exist (else it silently uses a temporary profile);
without IPYTHONDIR, a temporary one is used and removed.
"""
import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time

ENGINES = 2
SIZES = {
    "full": {"applies": 1000, "lb_tasks": 3000, "scatter_length": 10_000_000, "pi_samples": 200_000_000, "map_items": 100_000},
    "quick": {"applies": 50, "lb_tasks": 200, "scatter_length": 125_000, "pi_samples": 10_000_000, "map_items": 5_000},
}


def tiny(x):
    return x


def numpy_pi(samples, seed):
    """Hits of `samples` uniform points in the unit square, in chunks numpy vectorises."""
    import numpy as np

    rng = np.random.default_rng(seed)
    inside, left = 0, samples
    while left > 0:
        k = min(left, 5_000_000)
        x, y = rng.random(k), rng.random(k)
        inside += int(np.count_nonzero(x * x + y * y <= 1.0))
        left -= k
    return inside


def ipyparallel_repetition(ipp, np, sizes):
    """One repetition of the ipyparallel figures, each measured once after a warm-up."""
    values = {}
    t = time.perf_counter()
    cluster = ipp.Cluster(n=ENGINES, log_level=40)
    rc = cluster.start_and_connect_sync()
    try:
        rc.wait_for_engines(ENGINES, timeout=120)
        values["start"] = (time.perf_counter() - t) * 1000
        one, dv, lv = rc[0], rc[:], rc.load_balanced_view()
        for _ in range(max(10, sizes["applies"] // 10)):
            one.apply_sync(lambda: 0)
        t = time.perf_counter()
        for _ in range(sizes["applies"]):
            one.apply_sync(lambda: 0)
        values["apply"] = (time.perf_counter() - t) * 1000 / sizes["applies"]

        t = time.perf_counter()
        for ar in [lv.apply_async(lambda: 0) for _ in range(sizes["lb_tasks"])]:
            ar.get()
        values["lbApply"] = sizes["lb_tasks"] / (time.perf_counter() - t)

        big = np.arange(sizes["scatter_length"], dtype=np.float64)
        dv.scatter("a", big, block=True)
        t = time.perf_counter()
        dv.scatter("a", big, block=True)
        values["scatter"] = big.nbytes / 1e6 / (time.perf_counter() - t)
        t = time.perf_counter()
        back = dv.gather("a", block=True)
        values["gather"] = big.nbytes / 1e6 / (time.perf_counter() - t)
        if len(back) != len(big) or back[-1] != big[-1]:
            raise RuntimeError("gather returned other data than was scattered")
        dv.execute("a = None", block=True)

        share = sizes["pi_samples"] // ENGINES
        rc[:].apply_sync(numpy_pi, 1_000_000, 1)
        t = time.perf_counter()
        sum(ar.get() for ar in [rc[i].apply_async(numpy_pi, share, 42 + i) for i in range(ENGINES)])
        values["piNumpy"] = share * ENGINES / (time.perf_counter() - t) / 1e6
    finally:
        t = time.perf_counter()
        cluster.stop_cluster_sync()
        values["stop"] = (time.perf_counter() - t) * 1000
    return values


def multiprocessing_repetition(sizes):
    with multiprocessing.Pool(ENGINES) as pool:
        pool.map(tiny, range(1000), chunksize=1)
        t = time.perf_counter()
        pool.map(tiny, range(sizes["map_items"]), chunksize=1)
        return {"lbMap": sizes["map_items"] / (time.perf_counter() - t)}


def ipyparallel_figures(sizes):
    mb = round(sizes["scatter_length"] * 8 / 1e6)
    return [
        ("start", "start", "ms", "lower", f"ipyparallel ({ENGINES} engines)"),
        ("stop", "stop", "ms", "lower", "ipyparallel"),
        ("apply", "apply", "ms", "lower", "ipyparallel"),
        ("lbApply", "lbApply", "tasks/s", "higher", f"ipyparallel ({sizes['lb_tasks']:,} tasks)"),
        ("scatter", "scatter", "MB/s", "higher", f"ipyparallel ({mb} MB float64)"),
        ("gather", "gather", "MB/s", "higher", f"ipyparallel ({mb} MB float64)"),
        ("piNumpy", "piSeeded", "M/s", "higher", f"ipyparallel numpy, {sizes['pi_samples']:.0e} samples".replace("e+0", "e").replace("e+", "e")),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["ipyparallel", "multiprocessing"])
    parser.add_argument("--list", action="store_true", help="print the figures this would measure (JSON), measure nothing")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be ≥ 1")
    sizes = SIZES["quick" if args.quick else "full"]

    temp_home = None
    if "IPYTHONDIR" in os.environ:
        os.makedirs(os.path.dirname(os.path.abspath(os.environ["IPYTHONDIR"])), exist_ok=True)
    else:
        temp_home = tempfile.mkdtemp(prefix="clusterdesk-ipython-")
        os.environ["IPYTHONDIR"] = os.path.join(temp_home, "ipython")

    skipped, declared, samples = [], [], {}
    ipp = np = None
    if args.only != "multiprocessing":
        try:
            import ipyparallel as ipp
            import numpy as np
        except ImportError as err:
            skipped.append({"name": "ipyparallel", "reason": f"{err} (apt-get install python3-ipyparallel python3-numpy)"})
        else:
            for key, group, unit, better, who in ipyparallel_figures(sizes):
                declared.append({"id": f"{key}.ipyparallel", "group": group, "who": who, "unit": unit, "better": better})
    if args.only != "ipyparallel":
        declared.append({"id": "lbMap.multiprocessing", "group": "lbMap", "who": f"multiprocessing Pool({ENGINES}).map, {sizes['map_items']:,} items", "unit": "tasks/s", "better": "higher"})

    if args.list:
        print(json.dumps({"figures": declared, "skipped": skipped}))
        return
    try:
        for _ in range(args.runs):
            if ipp is not None:
                for key, value in ipyparallel_repetition(ipp, np, sizes).items():
                    samples.setdefault(f"{key}.ipyparallel", []).append(value)
            if args.only != "ipyparallel":
                for key, value in multiprocessing_repetition(sizes).items():
                    samples.setdefault(f"{key}.multiprocessing", []).append(value)
    finally:
        if temp_home:
            shutil.rmtree(temp_home, ignore_errors=True)

    figures = []
    for f in declared:
        xs = samples.get(f["id"], [])
        figures.append({**f, "samples": xs, "min": min(xs), "median": statistics.median(xs), "max": max(xs)})
    out = {"engines": ENGINES, "python": sys.version.split()[0], "versions": versions(ipp, np), "runs": args.runs, "figures": figures, "skipped": skipped}
    if args.json:
        print(json.dumps(out))
        return
    for s in skipped:
        print(f"skipped {s['name']}: {s['reason']}")
    print(f"{'figure':<12} {'measured by':<44} {'min':>10} {'median':>10} {'max':>10}  unit")
    for f in figures:
        print(f"{f['group']:<12} {f['who']:<44} {fmt(f['min']):>10} {fmt(f['median']):>10} {fmt(f['max']):>10}  {f['unit']}")


def fmt(x):
    """3 significant digits, as bench/run.mjs shows them."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}" if abs(x) >= 1 else f"{x:.3f}"


def versions(ipp, np):
    return {name: mod.__version__ for name, mod in (("ipyparallel", ipp), ("numpy", np)) if mod is not None}


if __name__ == "__main__":
    main()
