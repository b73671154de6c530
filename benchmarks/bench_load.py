"""50 concurrent users on the production server: p50/p95/max per callback, errors, requests/s.

Starts ``gunicorn -c gunicorn.conf.py`` (what ``make run`` serves) on a built world (the embedded
store under ``--data-dir``; default: the demo world of ``make run``), waits for its one-time
warm-up, then runs ``--users`` simulated users on loopback for ``--seconds``. Each user logs in
through the form as a realistic role -- outreach workers of different 읍면동 (the most populous
ones, two workers each), planners of their 시군구, ministry users -- and repeats, with a think
time drawn uniformly from ``--think`` (1-3 s, locust's ``between(1, 3)``) before each request:

* ``risk map``: the map callback as the page posts it (outreach: their 시군구's 읍면동 with
  household points; planner: their 시군구's 읍면동; ministry: national 시군구);
* ``visit list``: the list callback with the page's default filters (outreach only: the other
  roles may not open it);
* ``nearby``: the place callback (the 읍면동 picked in the region box) and then the search
  callback with the page's current map figure as state, as the browser sends it.

The bodies are built from the server's own ``/_dash-dependencies`` (the callback's inputs and
state, in the renderer's order) with the values the page's layout holds, so they are the POSTs a
browser makes. A response is an error when it is not HTTP 200 or carries the failure notice
(``shell-alert``). ``--write-docs`` puts the table into ``docs/benchmarks.md`` between the
``bench_load`` markers, with the world size and the ``uptime`` load averages, under the heading
``--title`` and followed by ``--note`` (what changed since the run before), and rewrites the
section's row of the summary table at the top of the file from the same figures.

Example: ``flock /tmp/atlas-heavy.lock python benchmarks/bench_load.py --data-dir var --write-docs``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("bench_load")
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench_load:start -->", "<!-- bench_load:end -->"
PASSWORD = "load-test-user-1"  # synthetic users of a benchmark world
TARGET_P95_S = 1.0


@dataclass(frozen=True)
class SimUser:
    """One simulated user: login name, role and the area it works on."""

    username: str
    role: str
    emd: str  # the 읍면동 it searches from (outreach: its own)
    sigungu: str


@dataclass
class Tally:
    """Latencies (s) per callback name, and errors with a sample of their reasons."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reasons: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.times[name].append(seconds)
            if error:
                self.errors[name] += 1
                if len(self.reasons) < 20:
                    self.reasons.append(f"{name}: {error}")


# ------------------------------------------------------------------ users and server
def make_users(data_dir: Path, count: int) -> tuple[list[SimUser], int]:
    """Create (once) the simulated users in the world's store; the users and the world size."""
    from geodata.regions import sigungu_of
    from geodata.store.embedded import EmbeddedStore
    from services.users import create_user

    store = EmbeddedStore(data_dir / "store")
    households = store.read_frame("household", columns=["emd_code"])
    top = households["emd_code"].value_counts().index.tolist()
    n_outreach, n_ministry = round(count * 0.6), max(1, round(count * 0.1))
    n_planner = count - n_outreach - n_ministry
    users = [SimUser(f"load-outreach-{i:02d}", "outreach", top[i // 2], sigungu_of(top[i // 2]))
             for i in range(n_outreach)]
    planner_areas = list(dict.fromkeys(sigungu_of(e) for e in top))
    users += [SimUser(f"load-planner-{i:02d}", "planner",
                      next(e for e in top if sigungu_of(e) == planner_areas[i % len(planner_areas)]),
                      planner_areas[i % len(planner_areas)]) for i in range(n_planner)]
    users += [SimUser(f"load-ministry-{i:02d}", "ministry", top[i], sigungu_of(top[i]))
              for i in range(n_ministry)]
    for user in users:
        if store.users.by_username(user.username) is None:
            scope = {"outreach": user.emd, "planner": user.sigungu, "ministry": None}[user.role]
            create_user(store, username=user.username, password=PASSWORD, role=user.role,
                        jurisdiction_code=scope, display_name=user.username)
    return users, len(households)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, port: int, log_path: Path) -> subprocess.Popen:
    """gunicorn as ``make run`` starts it; returns once the warmed workers answer."""
    env = {**os.environ, "ATLAS_DATA_DIR": str(data_dir), "ATLAS_PORT": str(port)}
    env.pop("ATLAS_DATABASE_URL", None)
    out = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        warm = "forking warm workers" in text
        if warm and text.split("forking warm workers", 1)[1].count("Booting worker") >= 2:
            time.sleep(2)  # the old workers retire
            return proc
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{text[-3000:]}")
        time.sleep(1)
    proc.terminate()
    raise RuntimeError("gunicorn did not finish its warm-up in 600 s")


# ------------------------------------------------------------------ what the browser posts
class Browser:
    """A logged-in user agent: a cookie session and the page's callback bodies."""

    def __init__(self, base: str, user: SimUser, deps: list[dict[str, Any]]) -> None:
        self.base, self.user = base, user
        self.http = requests.Session()
        self.http.headers.update({"Origin": base, "Accept-Encoding": "gzip"})
        self.deps = {d["output"]: d for d in deps}
        self.page_values: dict[str, dict[str, dict[str, Any]]] = {}

    def login(self) -> None:
        page = self.http.get(f"{self.base}/login", timeout=30).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = self.http.post(f"{self.base}/login", allow_redirects=False, timeout=30,
                                data={"username": self.user.username, "password": PASSWORD,
                                      "csrf_token": token, "next": "/"})
        if answer.status_code != 303 or "error" in answer.headers.get("Location", ""):
            raise RuntimeError(f"login of {self.user.username} failed: {answer.status_code}")

    def open_page(self, path: str) -> None:
        """Read a page's layout once (what the browser renders): component id → props."""
        if path in self.page_values:
            return
        body = self.body(".._pages_content.children..._pages_store.data..",
                         {"_pages_location.pathname": path, "_pages_location.search": ""})
        answer = self.http.post(f"{self.base}/_dash-update-component", json=body, timeout=60)
        answer.raise_for_status()
        tree = answer.json()["response"]["_pages_content"]["children"]
        values: dict[str, dict[str, Any]] = {}
        _collect(tree, values)
        self.page_values[path] = values

    def body(self, output: str, values: dict[str, Any], *, path: str | None = None,
             changed: str | None = None) -> dict[str, Any]:
        """The renderer's POST for ``output``: every input and state with its current value."""
        dep = self.deps[output]
        props = self.page_values.get(path or "", {})

        def item(spec: dict[str, Any]) -> dict[str, Any]:
            key = f"{spec['id']}.{spec['property']}"
            value = values[key] if key in values else props.get(spec["id"], {}).get(spec["property"])
            return {"id": spec["id"], "property": spec["property"], "value": value}

        outputs = [{"id": p.split("@")[0].rsplit(".", 1)[0], "property": p.split("@")[0].rsplit(".", 1)[1]}
                   for p in (output[2:-2].split("...") if output.startswith("..") else [output])]
        inputs = [item(s) for s in dep["inputs"]]
        return {"output": output, "outputs": outputs if output.startswith("..") else outputs[0],
                "inputs": inputs, "state": [item(s) for s in dep["state"]],
                "changedPropIds": [changed or f"{inputs[0]['id']}.{inputs[0]['property']}"]}

    def call(self, body: dict[str, Any]) -> tuple[float, str | None, Any]:
        start = time.perf_counter()
        try:
            answer = self.http.post(f"{self.base}/_dash-update-component", json=body, timeout=120)
        except requests.RequestException as exc:
            return time.perf_counter() - start, f"{type(exc).__name__}: {exc}", None
        seconds = time.perf_counter() - start
        if answer.status_code != 200:
            return seconds, f"HTTP {answer.status_code}: {answer.text[:120]}", None
        data = answer.json()
        if "shell-alert" in data.get("sideUpdate", {}):
            return seconds, f"notice: {data['sideUpdate']['shell-alert']}", data
        return seconds, None, data


def _collect(node: Any, out: dict[str, dict[str, Any]]) -> None:
    if isinstance(node, list):
        for child in node:
            _collect(child, out)
    elif isinstance(node, dict) and "props" in node:
        props = node["props"]
        if isinstance(props.get("id"), str):
            out[props["id"]] = props
        for value in props.values():
            if isinstance(value, list | dict):
                _collect(value, out)


MAP_OUT = "..riskmap-graph.figure...riskmap-title.children...riskmap-note.children...riskmap-table.children.."
LIST_OUT = "..visits-table-box.children...visits-count.children...visits-error.children.."
PLACE_OUT = "nearby-place.data"
NEARBY_OUT = ("..nearby-map.figure...nearby-origin.children...nearby-table.children..."
              "nearby-error.children..")


def actions(browser: Browser) -> list[tuple[str, Any]]:
    """The user's repeated requests: (callback name, a function doing it and tallying)."""
    user = browser.user
    for path in ("/risk-map", "/nearby") + (("/visits",) if user.role == "outreach" else ()):
        browser.open_page(path)
    state = ({"level": "sigungu", "parent": None} if user.role == "ministry"
             else {"level": "emd", "parent": user.sigungu})
    layers = ["points"] if user.role == "outreach" else []
    map_body = browser.body(MAP_OUT, {"riskmap-state.data": state, "riskmap-layers.value": layers},
                            path="/risk-map")
    out: list[tuple[str, Any]] = [("risk map", lambda: [("risk map", *browser.call(map_body)[:2])])]
    if user.role == "outreach":
        list_body = browser.body(LIST_OUT, {}, path="/visits")
        out.append(("visit list", lambda: [("visit list", *browser.call(list_body)[:2])]))

    def nearby() -> list[tuple[str, float, str | None]]:
        place_body = browser.body(PLACE_OUT, {"nearby-region.value": user.emd}, path="/nearby",
                                  changed="nearby-region.value")
        s1, e1, data = browser.call(place_body)
        done = [("nearby place", s1, e1)]
        if e1 is None:
            place = data["response"]["nearby-place"]["data"]
            body = browser.body(NEARBY_OUT, {"nearby-place.data": place}, path="/nearby")
            done.append(("nearby search", *browser.call(body)[:2]))
        return done

    out.append(("nearby", nearby))
    return out


def run_user(browser: Browser, tally: Tally, stop_at: float, think: tuple[float, float],
             rng: random.Random) -> None:
    """Log in, then repeat a random action after each think time until ``stop_at``."""
    try:
        browser.login()
        todo = actions(browser)
    except Exception as exc:  # a user that cannot start counts as one error
        tally.add("login/page", 0.0, f"{type(exc).__name__}: {exc}")
        return
    while True:
        pause = rng.uniform(*think)
        if time.monotonic() + pause >= stop_at:
            return
        time.sleep(pause)
        _name, act = rng.choice(todo)
        for name, seconds, error in act():
            tally.add(name, seconds, error)


def load_average() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(tally: Tally, *, seconds: float, users: list[SimUser], households: int,
           before: str, after: str, think: tuple[float, float], world: str,
           title: str = "Latest run (written by `bench_load.py --write-docs`)",
           note: str = "", when: str | None = None) -> str:
    total = sum(len(v) for v in tally.times.values())
    rows = ["| callback | requests | p50 s | p95 s | max s | errors | p95 ≤ 1 s? |",
            "|---|---:|---:|---:|---:|---:|---|"]
    for name in ("risk map", "visit list", "nearby place", "nearby search", "login/page"):
        times = tally.times.get(name)
        if not times:
            continue
        p95 = percentile(times, 0.95)
        rows.append(f"| {name} | {len(times):,} | {statistics.median(times):.3f} | {p95:.3f} | "
                    f"{max(times):.3f} | {tally.errors.get(name, 0)} | "
                    f"{'yes' if p95 <= TARGET_P95_S else '**no**'} |")
    roles = defaultdict(int)
    for user in users:
        roles[user.role] += 1
    errors = sum(tally.errors.values())
    when = when or _now()
    lines = [
        f"### {title}", "",
        f"Measured {when} on {world} ({households:,} households, embedded store), "
        f"`gunicorn -c gunicorn.conf.py` (2 workers × 4 threads, warmed) on loopback; "
        f"{len(users)} users ({', '.join(f'{n} {r}' for r, n in roles.items())}) for "
        f"{seconds:.0f} s, think time uniform {think[0]:g}–{think[1]:g} s before each request "
        "(locust's `between(1, 3)`); bodies built from `/_dash-dependencies` with the pages' "
        "own values. The client threads run on the same 2 cores.", "",
        *rows, "",
        f"**{total:,} requests, {total / seconds:.1f} requests/s, {errors} errors.** "
        f"Load before: `{before.split('load average:')[-1].strip()}`; "
        f"after: `{after.split('load average:')[-1].strip()}` (1/5/15 min).",
    ]
    if tally.reasons:
        lines += ["", "Errors seen: " + "; ".join(tally.reasons[:5])]
    if note:
        lines += ["", note]
    return "\n".join(lines)


SUMMARY_ROW_START = "| 50 users on gunicorn: map, visit-list, nearby callbacks |"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def summary_row(tally: Tally, *, seconds: float, households: int, before: str, after: str,
                run: str, when: str | None = None) -> str:
    """The section's row of the summary table at the top of ``docs/benchmarks.md``."""
    p95 = {name: percentile(tally.times[name], 0.95) for name in
           ("risk map", "visit list", "nearby place", "nearby search") if tally.times.get(name)}
    total = sum(len(v) for v in tally.times.values())
    errors = sum(tally.errors.values())
    missed = [n for n, v in p95.items() if v > TARGET_P95_S]
    when = (when or _now()).removesuffix(" UTC")
    load = (f"{before.split('load average:')[-1].split(',')[0].strip()} → "
            f"{after.split('load average:')[-1].split(',')[0].strip()}")
    figures = ", ".join(f"{n} {v:.2f} s" for n, v in p95.items())
    met = "yes" if not missed and not errors else (
        f"**no** ({len(missed)} of {len(p95)} callbacks{', errors' if errors else ''})")
    return (f"{SUMMARY_ROW_START} p95 ≤ 1 s, 0 errors | p95 {figures}; {errors} errors of "
            f"{total:,}, {total / seconds:.1f} req/s on the {households:,}-household demo world "
            f"({run}, {when}, load {load}) | {met} | section below |")


def with_block(doc: str, start: str, end: str, text: str) -> str:
    """``doc`` with the block between the ``start`` and ``end`` markers replaced by ``text``
    (appended at the end, markers included, when ``doc`` has no such block)."""
    block = f"{start}\n{text}\n{end}"
    if start in doc:
        return re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, doc, flags=re.S)
    return doc.rstrip("\n") + "\n\n" + block + "\n"


def write_docs(text: str, row: str | None = None) -> None:
    """Put ``text`` between the markers (appended at the end without them) and ``row`` in
    place of the summary table's row of this benchmark."""
    doc = with_block(DOCS.read_text(encoding="utf-8"), START, END, text)
    if row is not None:
        lines = doc.split("\n")
        doc = "\n".join(row if line.startswith(SUMMARY_ROW_START) else line for line in lines)
    DOCS.write_text(doc, encoding="utf-8")


def run_load(data_dir: Path, users: list[SimUser], households: int, args: argparse.Namespace
             ) -> tuple[Tally, float, str, str, str]:
    """Start the server, run the users, stop the server: the tally, seconds, load averages and
    when the run started."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = data_dir / "bench_load_gunicorn.log"
    log.info("starting gunicorn on %s over %s (%d households)", base, data_dir, households)
    proc = start_server(data_dir, port, server_log)
    try:
        deps = requests.get(f"{base}/_dash-dependencies", timeout=30).json()
        tally = Tally()
        rng = random.Random(20261201)
        before, when = load_average(), _now()
        stop_at = time.monotonic() + args.seconds
        started = time.monotonic()
        threads = [threading.Thread(target=run_user, daemon=True,
                                    args=(Browser(base, u, deps), tally, stop_at,
                                          tuple(args.think), random.Random(rng.random())))
                   for u in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 300)
        elapsed = time.monotonic() - started
        after = load_average()
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    return tally, elapsed, before, after, when


def read_run(path: Path) -> tuple[Tally, float, str, str, str]:
    """A run saved with ``--json``: the tally, seconds, load averages and when it ran."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    tally = Tally()
    for name, times in raw["times"].items():
        tally.times[name].extend(times)
    tally.errors.update(raw["errors"])
    tally.reasons.extend(raw["reasons"])
    when = raw.get("measured_at") or dt.datetime.fromtimestamp(
        path.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return tally, float(raw["seconds"]), raw["load_before"], raw["load_after"], when


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="ATLAS_DATA_DIR of a built world (default: the settings' data_dir)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0))
    parser.add_argument("--world", default="the demo world (`make run`)",
                        help="how the docs name the world measured")
    parser.add_argument("--json", type=Path, default=None, help="write raw figures here")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--title", default="Latest run (written by `bench_load.py --write-docs`)",
                        help="heading of the run in the docs, e.g. 'Run 5: after ...'")
    parser.add_argument("--run", default="latest run", help="how the summary row names the run")
    parser.add_argument("--note", default="", help="what changed since the run before (docs)")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="report (and --write-docs) a run saved with --json instead of running")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from geodata.settings import get_settings

    data_dir = (args.data_dir or get_settings().data_dir).resolve()
    users, households = make_users(data_dir, args.users)
    if args.from_json:
        tally, elapsed, before, after, when = read_run(args.from_json)
    else:
        tally, elapsed, before, after, when = run_load(data_dir, users, households, args)
    text = report(tally, seconds=elapsed, users=users, households=households, before=before,
                  after=after, think=tuple(args.think), world=args.world, title=args.title,
                  note=args.note, when=when)
    print(text)
    if args.json and not args.from_json:
        args.json.write_text(json.dumps({"times": tally.times, "errors": tally.errors,
                                         "reasons": tally.reasons, "seconds": elapsed,
                                         "load_before": before, "load_after": after,
                                         "measured_at": when}, indent=1))
    if args.write_docs:
        write_docs(text, summary_row(tally, seconds=elapsed, households=households,
                                     before=before, after=after, run=args.run, when=when))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
