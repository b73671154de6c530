"""Work per request of the load test's callbacks: one request at a time, in one process.

``bench_load.py`` measures 50 users against gunicorn, where waiting for a core dominates. This
script measures what each of those requests costs on its own: the same users, bodies and
callbacks (``bench_load.actions``), sent one after the other through Flask's test client to an
app built in this process (no HTTP, no gzip, no warm-up: each request is repeated after two
unmeasured rounds, so caches are warm as in a running server). The times include decoding the
answer's JSON, as a client does.

``--code DIR`` (repeatable) measures the app of another checkout, e.g. the commit before a
change, against the same world: an A/B of the per-request work. ``--write-docs`` puts the table
into ``docs/benchmarks.md`` between the ``bench_load_requests`` markers.

Example: ``python benchmarks/bench_load_requests.py --data-dir <world> --code before=/tmp/before
--code after=.``
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench_load_requests:start -->", "<!-- bench_load_requests:end -->"
CALLBACKS = ("risk map", "visit list", "nearby place", "nearby search")
log = logging.getLogger("bench_load_requests")


class _Answer:
    """The part of a ``requests.Response`` that ``bench_load.Browser`` reads."""

    def __init__(self, response: Any) -> None:
        self.response, self.status_code = response, response.status_code
        self.headers, self.text = response.headers, response.get_data(as_text=True)

    def json(self) -> Any:
        return self.response.get_json()

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


class _TestClientSession:
    """``requests.Session`` as far as ``bench_load.Browser`` uses it, over a Flask test client."""

    def __init__(self, client: Any, base: str) -> None:
        self.client, self.base = client, base

    def get(self, url: str, timeout: float | None = None) -> _Answer:
        return _Answer(self.client.get(url.removeprefix(self.base)))

    def post(self, url: str, json: Any = None, data: Any = None, allow_redirects: bool = True,
             timeout: float | None = None) -> _Answer:
        return _Answer(self.client.post(url.removeprefix(self.base), json=json, data=data,
                                        headers={"Origin": self.base}))


def measure(code: Path, data_dir: Path, *, rounds: int, users: int) -> dict[str, list[float]]:
    """Seconds per request of each callback for the app of checkout ``code`` (in a child
    process, so that each checkout imports its own modules)."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(code), "--data-dir",
         str(data_dir), "--rounds", str(rounds), "--users", str(users)],
        capture_output=True, text=True, check=True, env={**os.environ,
                                                         "ATLAS_DATA_DIR": str(data_dir)})
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def _child(code: Path, data_dir: Path, rounds: int, users: int) -> None:
    """Run in the child process: build the app of ``code`` and time the requests."""
    import json
    import time

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_load

    sys.path.insert(0, str(code.resolve()))  # after bench_load, which puts ROOT first
    from app.main import create_app

    everyone, _households = bench_load.make_users(data_dir, 50)
    picked = [u for role in ("outreach", "planner", "ministry")
              for u in [v for v in everyone if v.role == role][:max(1, users // 3)]]
    app = create_app(warm_up=False)
    base = "http://localhost"
    todo = []
    for user in picked:
        client = app.server.test_client()
        deps = client.get("/_dash-dependencies").get_json()
        browser = bench_load.Browser(base, user, deps)
        browser.http = _TestClientSession(client, base)
        browser.login()
        todo += bench_load.actions(browser)
    for _ in range(2):  # warm every cache the server would have warm
        for _name, act in todo:
            act()
    times: dict[str, list[float]] = {name: [] for name in CALLBACKS}
    start = time.perf_counter()
    for _ in range(rounds):
        for _name, act in todo:
            for name, seconds, error in act():
                if error:
                    raise RuntimeError(f"{name}: {error}")
                times[name].append(seconds)
    log.info("%d requests in %.1f s", sum(map(len, times.values())), time.perf_counter() - start)
    print(json.dumps(times))


def report(results: dict[str, dict[str, list[float]]], *, data_dir: Path, load: str) -> str:
    """A table of median and mean milliseconds per callback, one column pair per checkout."""
    names = list(results)
    head = "| callback | " + " | ".join(f"{n}: median ms | {n}: mean ms" for n in names) + " |"
    rows = [head, "|---|" + "---:|---:|" * len(names)]
    for callback in CALLBACKS:
        cells = []
        for name in names:
            values = results[name].get(callback) or [float("nan")]
            cells += [f"{1000 * statistics.median(values):.1f}",
                      f"{1000 * statistics.mean(values):.1f}"]
        count = len(results[names[0]].get(callback, []))
        rows.append(f"| {callback} ({count} requests) | " + " | ".join(cells) + " |")
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        f"Measured {when} on `{data_dir}`, one request at a time through Flask's test client "
        "(no HTTP, no gzip), caches warm, JSON decoding of the answer included; load average "
        f"`{load}` (1/5/15 min).", "", *rows])


def write_docs(text: str) -> None:
    """Put ``text`` between this script's markers in ``docs/benchmarks.md``."""
    import bench_load

    doc = bench_load.with_block(DOCS.read_text(encoding="utf-8"), START, END, text)
    DOCS.write_text(doc, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="ATLAS_DATA_DIR of a world")
    parser.add_argument("--code", action="append", default=None,
                        help="[LABEL=]DIR of a checkout whose app is measured (repeatable; "
                             "default: this one)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--users", type=int, default=6, help="users measured (a third per role)")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    if args.child is not None:
        _child(args.child, args.data_dir.resolve(), args.rounds, args.users)
        return 0
    results = {}
    for spec in args.code or [str(ROOT)]:
        label, _, where = spec.rpartition("=")
        code = Path(where)
        name = label or ("this checkout" if code.resolve() == ROOT else str(code))
        results[name] = measure(code, args.data_dir.resolve(), rounds=args.rounds,
                                users=args.users)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout
    text = report(results, data_dir=args.data_dir, load=load.split("load average:")[-1].strip())
    print(text)
    if args.write_docs:
        write_docs(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
