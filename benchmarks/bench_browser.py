"""What a user waits for: every page, every role, in headless Chromium against gunicorn.

Starts ``gunicorn -c gunicorn.conf.py`` (what ``make run`` serves) over an already built world
(``--data-dir``, plus ``--database-url`` for PostGIS), waits for its one-time warm-up, logs in
through the form as each demo role and opens every page in that role's navigation (and a case
page for the outreach worker). For each view it records:

* **ready_s**: from navigation start to "every callback answered and every figure drawn": no
  Dash request in flight, no component loading, every graph drawn, and no DOM change for
  ``QUIET_S`` seconds; the time is that of the last response or DOM change (so the quiet wait
  is not counted).
* **script_s**: main-thread JavaScript time (Chrome DevTools ``Performance.getMetrics``
  ``ScriptDuration``) during the view, and **task_s** (all main-thread work: script, style,
  layout, paint).
* **callbacks**, **max_cb_kb** / **total_kb**: Dash callback responses and their decoded
  sizes (the fetch wrapper counts decoded bytes per response and names the outputs).
* **slowest_cb_ms**: the longest Dash request, request sent to response read (server time plus
  transfer), and its outputs (**slowest_output**): where the wait is when script time is small.
* **dom**: elements in the document when ready.

Targets (issue #12): ready ≤ 3 s (demo world) / ≤ 5 s (1 M households), each callback ≤ 1 MB
decoded, script ≤ 1 s per view.

Examples
--------
``python benchmarks/bench_browser.py --data-dir /tmp/demo --label "demo embedded"``
``python benchmarks/bench_browser.py --data-dir /tmp/demo-pg --database-url postgresql+psycopg://...``
``... --data-dir /tmp/1m-pg --database-url URL --copy-world-from /tmp/1m`` (one built world
measured on both stores: its bulk tables, users, models and model card are copied first)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("bench_browser")

QUIET_S: Final = 1.0
TARGET_READY_DEMO_S: Final = 3.0
TARGET_READY_1M_S: Final = 5.0
TARGET_CALLBACK_BYTES: Final = 1_000_000
TARGET_SCRIPT_S: Final = 1.0

#: Demo roles and passwords (``analytics.access_control.DEMO_USERS``; demo only).
ROLES: Final = {"public": None, "outreach": "outreach-demo", "planner": "planner-demo",
                "ministry": "ministry-demo", "admin": "admin-demo"}

#: Installed before any page script: counts Dash requests in flight, the decoded bytes of every
#: callback response with its outputs, and the time of the last DOM change.
INSTRUMENT_JS: Final = r"""
(() => {
  const s = window.__atlasPerf = {inflight: 0, lastEnd: 0, lastMutation: 0, callbacks: []};
  performance.setResourceTimingBufferSize(5000);
  const realFetch = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (!url.includes('/_dash-')) { return realFetch(input, init); }
    let output = url.split('/').pop();
    try { if (init && init.body) { output = JSON.parse(init.body).output || output; } } catch (e) {}
    const t0 = performance.now();
    s.inflight += 1;
    try {
      const response = await realFetch(input, init);
      const bytes = (await response.clone().arrayBuffer()).byteLength;
      const t1 = performance.now();
      s.callbacks.push({output: String(output).slice(0, 160), bytes: bytes,
                        status: response.status, start_ms: t0, end_ms: t1});
      s.lastEnd = Math.max(s.lastEnd, t1);
      return response;
    } finally {
      s.inflight -= 1;
      s.lastEnd = Math.max(s.lastEnd, performance.now());
    }
  };
  const observe = () => {
    new MutationObserver(() => { s.lastMutation = performance.now(); })
      .observe(document.documentElement, {subtree: true, childList: true, attributes: true,
                                          characterData: true});
  };
  if (document.documentElement) { observe(); } else {
    document.addEventListener('DOMContentLoaded', observe);
  }
})();
"""

#: True once the page is quiet (see the module docstring); returns the state for the report.
STATE_JS: Final = r"""
const s = window.__atlasPerf;
if (!s) { return null; }
const loading = document.querySelectorAll('[data-dash-is-loading="true"]').length;
const graphs = Array.from(document.querySelectorAll('.dash-graph'));
const undrawn = graphs.filter(g => g.offsetParent !== null && !g.querySelector('.main-svg')).length;
return {now: performance.now(), inflight: s.inflight, lastEnd: s.lastEnd,
        lastMutation: s.lastMutation, loading: loading, undrawn: undrawn,
        booting: !!document.querySelector('._dash-loading'),
        dom: document.getElementsByTagName('*').length, callbacks: s.callbacks.length};
"""


@dataclass
class View:
    """One page opened by one role."""

    store: str
    role: str
    path: str
    ready_s: float | None = None
    script_s: float = 0.0
    task_s: float = 0.0
    callbacks: int = 0
    max_cb_kb: float = 0.0
    total_kb: float = 0.0
    largest_output: str = ""
    slowest_cb_ms: float = 0.0
    slowest_output: str = ""
    dom: int = 0
    timed_out: bool = False
    failed_callbacks: int = 0
    error_notice: str = ""
    notes: list[str] = field(default_factory=list)

    def meets(self, ready_target_s: float) -> bool:
        """All three targets met, by a page that shows what it should (no error notice)."""
        return (not self.error_notice and self.ready_s is not None and self.ready_s <= ready_target_s
                and self.max_cb_kb * 1000 <= TARGET_CALLBACK_BYTES
                and self.script_s <= TARGET_SCRIPT_S)


@dataclass
class RunRecord:
    """One run of this script (``--json``): the world, when, the load average, the views."""

    label: str
    households: int
    started_utc: str
    ended_utc: str
    load_start: float
    load_end: float
    ready_target_s: float
    views: list[dict[str, Any]]


def world_households(data_dir: Path, database_url: str | None) -> int:
    """Households in the measured world."""
    if database_url:
        from geodata.store.postgis import PostgisStore

        store = PostgisStore.from_url(database_url)
        try:
            return store.count("household")
        finally:
            store.engine.dispose()
    from geodata.store.embedded import EmbeddedStore

    return EmbeddedStore(data_dir / "store").count("household")


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(data_dir: Path, database_url: str | None, port: int,
                   log_path: Path, warm_timeout_s: float) -> subprocess.Popen[bytes]:
    """Start gunicorn as ``make run`` does; return once its workers are warm."""
    env = {**os.environ, "ATLAS_DATA_DIR": str(data_dir), "ATLAS_PORT": str(port)}
    env.pop("ATLAS_DATABASE_URL", None)
    if database_url:
        env["ATLAS_DATABASE_URL"] = database_url
    handle = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    start = time.monotonic()
    healthy_at = None
    while time.monotonic() - start < warm_timeout_s:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-2000:]}")
        if healthy_at is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    healthy_at = time.monotonic() - start
                    log.info("gunicorn answers after %.1f s", healthy_at)
            except OSError:
                pass
        text = log_path.read_text(errors="replace")
        if "forking warm workers" in text and text.count("Booting worker") >= 4:
            time.sleep(2.0)  # the re-forked workers finish booting
            log.info("workers warm after %.1f s", time.monotonic() - start)
            return proc
        time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("gunicorn did not warm up in time")


def copy_world_to_postgis(source_dir: Path, database_url: str, data_dir: Path) -> dict[str, int]:
    """Copy the embedded world of ``source_dir`` into PostGIS, models and card into ``data_dir``.

    Bulk tables one at a time (``replace``), then the users (with their password hashes), so
    the same world is measured on both stores without generating, training and scoring it
    twice. Returns the rows copied per table.
    """
    from sqlalchemy import select

    from geodata.schema import BULK_TABLES, table
    from geodata.store.embedded import EmbeddedStore
    from geodata.store.postgis import PostgisStore

    source = EmbeddedStore(source_dir / "store")
    source.init()
    target = PostgisStore.from_url(database_url)
    target.init()
    rows: dict[str, int] = {}
    for name in BULK_TABLES:
        frame = source.read_frame(name)
        # an all-null column reads back untyped; leave it to the schema's default (null)
        target.write_frame(name, frame.dropna(axis=1, how="all"), mode="replace")
        rows[name] = len(frame)
        log.info("copied %s: %d rows", name, len(frame))
        del frame
    users = table("app_user")
    with source.session() as session:
        records = [dict(r) for r in session.execute(select(users)).mappings()]
    with target.session() as session:
        session.execute(users.delete())
        session.execute(users.insert(), records)
    rows["app_user"] = len(records)
    for folder in ("models", "model_card"):
        if (source_dir / folder).exists():
            shutil.copytree(source_dir / folder, data_dir / folder, dirs_exist_ok=True)
    target.engine.dispose()
    return rows


def make_driver(width: int = 1400, height: int = 1000) -> Any:
    """Headless Chromium with the offline flags of ``tests/app/conftest.py``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--no-sandbox", "--headless", "--disable-gpu", "--enable-unsafe-swiftshader",
                "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                f"--window-size={width},{height}", "--lang=ko-KR",
                f"--user-data-dir={tempfile.mkdtemp(prefix='atlas-chrome-')}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"),
                              options=options)
    driver.set_page_load_timeout(300)
    driver.set_script_timeout(300)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": INSTRUMENT_JS})
    driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})
    return driver


def login(driver: Any, base: str, username: str, password: str) -> None:
    """Log in through the form."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 120).until(ec.presence_of_element_located((By.ID, "user-badge")))


def _metrics(driver: Any) -> dict[str, float]:
    reply = driver.execute_cdp_cmd("Performance.getMetrics", {})
    return {m["name"]: float(m["value"]) for m in reply["metrics"]}


def wait_ready(driver: Any, timeout_s: float) -> tuple[float | None, dict[str, Any]]:
    """Poll until quiet; ready time in seconds from navigation start (None on time-out)."""
    start = time.monotonic()
    state: dict[str, Any] = {}
    while time.monotonic() - start < timeout_s:
        state = driver.execute_script(STATE_JS) or {}
        if state and not state["booting"] and state["inflight"] == 0 and state["loading"] == 0 \
                and state["undrawn"] == 0:
            last = max(state["lastEnd"], state["lastMutation"])
            if state["now"] - last >= QUIET_S * 1000:
                return last / 1000.0, state
        time.sleep(0.2)
    return None, state


def measure(driver: Any, base: str, store: str, role: str, path: str,
            timeout_s: float) -> View:
    """Open ``path`` and measure it (see the module docstring)."""
    view = View(store=store, role=role, path=path)
    before = _metrics(driver)
    driver.get(f"{base}{path}")
    ready, state = wait_ready(driver, timeout_s)
    after = _metrics(driver)
    view.ready_s = ready
    view.timed_out = ready is None
    for key, attr in (("ScriptDuration", "script_s"), ("TaskDuration", "task_s")):
        delta = after.get(key, 0.0) - before.get(key, 0.0)
        setattr(view, attr, round(delta if delta >= 0 else after.get(key, 0.0), 3))
    calls = driver.execute_script("return window.__atlasPerf ? window.__atlasPerf.callbacks : []")
    updates = [c for c in calls if c["output"] not in ("_dash-layout", "_dash-dependencies")]
    view.callbacks = len(updates)
    view.failed_callbacks = sum(1 for c in updates if c["status"] >= 400 and c["status"] != 204)
    if updates:
        largest = max(updates, key=lambda c: c["bytes"])
        view.max_cb_kb = round(largest["bytes"] / 1000, 1)
        view.largest_output = largest["output"][:80]
        view.total_kb = round(sum(c["bytes"] for c in updates) / 1000, 1)
        slowest = max(updates, key=lambda c: c["end_ms"] - c["start_ms"])
        view.slowest_cb_ms = round(slowest["end_ms"] - slowest["start_ms"], 1)
        view.slowest_output = slowest["output"][:80]
    view.dom = int(state.get("dom", 0)) if state else 0
    view.error_notice = driver.execute_script(ERROR_NOTICE_JS) or ""
    return view


#: The text of an error the page shows instead of its content: the database notice of a failed
#: layout (``app.failures.DB_NOTICE_ID``; any store error, a query bug too) or a failed callback's
#: notice in the shell's alert box. A fast page that shows one has not met its targets.
ERROR_NOTICE_JS = """
const db = document.getElementById('db-unavailable');
if (db) return db.innerText.slice(0, 120);
const alert = document.getElementById('shell-alert');
return alert && alert.innerText.trim() ? alert.innerText.trim().slice(0, 120) : '';
"""


def role_paths(driver: Any, base: str, role: str) -> list[str]:
    """Pages in the role's navigation, plus one case page for the outreach worker."""
    driver.get(f"{base}/")
    wait_ready(driver, 60)
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('#shell-nav a')).map(a => a.pathname)")
    paths = list(dict.fromkeys(h for h in hrefs if h))
    if role == "outreach" and "/visits" in paths:
        driver.get(f"{base}/visits")
        wait_ready(driver, 60)
        case = driver.execute_script(
            "const a = document.querySelector('a[href^=\"/case/\"]'); return a && a.pathname")
        if case:
            paths.insert(paths.index("/visits") + 1, case)
    return paths


def run(data_dir: Path, database_url: str | None, store: str, roles: list[str],
        only: list[str] | None, timeout_s: float, warm_timeout_s: float) -> list[View]:
    """Start gunicorn, measure every role's pages, stop gunicorn."""
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="atlas-bench-")) / "gunicorn.log"
    proc = start_gunicorn(data_dir, database_url, port, log_path, warm_timeout_s)
    base = f"http://127.0.0.1:{port}"
    views: list[View] = []
    from selenium.common.exceptions import WebDriverException

    try:
        for role in roles:
            driver = _logged_in(base, role)
            try:
                paths = role_paths(driver, base, role)
                for path in paths:
                    if only and not any(path == p or (p != "/" and path.startswith(p)) for p in only):
                        continue
                    try:
                        view = measure(driver, base, store, role, path, timeout_s)
                    except WebDriverException as exc:  # the page froze the browser
                        view = View(store=store, role=role, path=path, ready_s=timeout_s,
                                    timed_out=True, notes=[str(exc).splitlines()[0][:120]])
                        driver.quit()
                        driver = _logged_in(base, role)
                    log.info("%s", json.dumps(asdict(view), ensure_ascii=False))
                    views.append(view)
            finally:
                driver.quit()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return views


def _logged_in(base: str, role: str) -> Any:
    driver = make_driver()
    if ROLES[role]:
        login(driver, base, role, ROLES[role])
    return driver


def views_from_log(path: Path) -> list[View]:
    """The views logged by an earlier run (one JSON object per ``bench_browser:`` line)."""
    views = []
    for line in path.read_text(errors="replace").splitlines():
        if " bench_browser: {" in line:
            views.append(View(**json.loads(line.split(" bench_browser: ", 1)[1])))
    return views


def met_label(view: View, ready_target_s: float) -> str:
    """The "met?" cell of a view: yes, **no**, or **no** with the error the page showed."""
    if view.meets(ready_target_s):
        return "yes"
    return f"**no** (shows an error: {view.error_notice})" if view.error_notice else "**no**"


def markdown(views: list[View], ready_target_s: float) -> str:
    """The per-view table for ``docs/benchmarks.md``."""
    lines = ["| store | role | page | ready s | script s | task s | callbacks | largest cb KB "
             "| all cbs KB | DOM | met? |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for v in views:
        ready = f"> {v.ready_s:.0f}" if v.timed_out else f"{v.ready_s:.2f}"
        page = "/case/…" if v.path.startswith("/case/") else v.path
        lines.append(f"| {v.store} | {v.role} | {page} | {ready} | {v.script_s:.2f} | "
                     f"{v.task_s:.2f} | {v.callbacks} | {v.max_cb_kb:,.0f} | {v.total_kb:,.0f} | "
                     f"{v.dom:,} | {met_label(v, ready_target_s)} |")
    return "\n".join(lines)


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="ATLAS_DATA_DIR of a built world")
    parser.add_argument("--database-url", default=None, help="PostGIS URL (else the embedded store)")
    parser.add_argument("--label", default=None, help="store column in the table")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated roles")
    parser.add_argument("--only", default="", help="comma-separated path prefixes to measure")
    parser.add_argument("--households-1m", action="store_true", help="use the 1 M ready target")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per view")
    parser.add_argument("--warm-timeout", type=float, default=300.0)
    parser.add_argument("--json", type=Path, default=None, help="write the views as JSON here")
    parser.add_argument("--copy-world-from", type=Path, default=None,
                        help="data dir of a built embedded world to copy into --database-url first")
    parser.add_argument("--from-log", type=Path, default=None,
                        help="print the table of a run's log instead of measuring")
    parser.add_argument("--write-docs", type=Path, default=None,
                        help="write the tables of --runs into this Markdown file's generated block")
    parser.add_argument("--runs", type=Path, nargs="*", default=[], help="--json files of runs")
    parser.add_argument("--before", type=Path, nargs="*", default=[],
                        help="logs of earlier runs whose ready times are the 'before' column")
    parser.add_argument("--before-note", default="", help="one paragraph on the before runs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    target = TARGET_READY_1M_S if args.households_1m else TARGET_READY_DEMO_S
    if args.write_docs:
        from benchmarks.browser_report import docs_section, read_run, write_docs

        before = [v for path in args.before for v in views_from_log(path)]
        write_docs(args.write_docs, docs_section([read_run(p) for p in args.runs], before,
                                                 args.before_note))
        return
    if args.data_dir is None:
        parser.error("--data-dir is required to measure")
    if args.from_log:
        print(markdown(views_from_log(args.from_log), target))
        return
    store = args.label or ("postgis" if args.database_url else "embedded")
    if args.copy_world_from:
        if not args.database_url:
            parser.error("--copy-world-from needs --database-url")
        args.data_dir.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        copied = copy_world_to_postgis(args.copy_world_from, args.database_url, args.data_dir)
        log.info("world copied in %.0f s: %s", time.monotonic() - start, copied)
    started, load_start = dt.datetime.now(dt.UTC), os.getloadavg()
    views = run(args.data_dir, args.database_url, store, args.roles.split(","),
                [p for p in args.only.split(",") if p] or None, args.timeout, args.warm_timeout)
    if args.json:
        record = RunRecord(label=store, households=world_households(args.data_dir, args.database_url),
                           started_utc=started.strftime("%Y-%m-%d %H:%M"),
                           ended_utc=dt.datetime.now(dt.UTC).strftime("%H:%M"),
                           load_start=round(load_start[0], 1), load_end=round(os.getloadavg()[0], 1),
                           ready_target_s=target, views=[asdict(v) for v in views])
        args.json.write_text(json.dumps(asdict(record), ensure_ascii=False, indent=1))
    print(markdown(views, target))


if __name__ == "__main__":
    main()
