"""Same-run before/after of ``choose_sites`` across a code move: an old tree against this one.

Loads ``analytics.site_selection`` from an old checkout (the modules before they moved to
``spatial.locate``, issue #8) and ``spatial.locate`` from this tree, then times
``choose_sites`` on the site-selection benchmark's instances, interleaved (each repeat runs
both once), and checks that objectives, selected sites and statuses are identical::

    git archive 97e214c | tar -x -C /tmp/old-tree
    python benchmarks/bench_locate_before_after.py --old-root /tmp/old-tree

Exits non-zero if the two disagree.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-root", type=Path, required=True, help="checkout with analytics/")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    # this tree first (its ``domain`` and ``spatial``); ``analytics``, which it no longer has
    # (a leftover ``__pycache__`` folder is only a namespace package), comes from the old tree
    sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(args.old_root)]
    import analytics.accessibility as old_accessibility
    import analytics.site_selection as old_locate
    import numpy as np
    from bench_site_selection import make_instance

    import spatial.accessibility as new_accessibility
    import spatial.locate as new_locate

    if not Path(old_locate.__file__).is_relative_to(args.old_root.resolve()):
        raise SystemExit(f"--old-root has no analytics/site_selection.py ({old_locate.__file__})")
    old_accessibility.warm_up()
    new_accessibility.warm_up()
    cases = {
        "MCLP 10,000 × 1,000": (make_instance(10_000, 1_000, 20240607), "mclp"),
        "p-median 2,000 × 200": (make_instance(2_000, 200, 20240607), "p_median"),
    }
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    ok = True
    for name, ((demand, candidates), method) in cases.items():
        seconds: dict[str, list[float]] = {"before": [], "after": []}
        results = {}
        for _ in range(args.repeat):
            for label, module in (("before", old_locate), ("after", new_locate)):
                start = time.perf_counter()
                res = module.choose_sites(
                    demand, candidates, p=5, radius_m=2000.0, weight_col="households", method=method
                )
                seconds[label].append(time.perf_counter() - start)
                sol = res.solution
                results[label] = (sol.objective, sol.selected.tolist(), sol.status)
        same = results["before"] == results["after"]
        ok &= same
        for label, times in seconds.items():
            print(
                f"{name}: {label} median {np.median(times):.3f} s, min {min(times):.3f} s; "
                f"objective {results[label][0]:,.1f}, {results[label][2]}"
            )
        print(f"{name}: identical results: {'OK' if same else 'FAILED'}")
    print(f"load average {os.getloadavg()[0]:.1f} at end")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
