#!/usr/bin/python3
"""Checks the built website the way a reader sees it.

  /usr/bin/python3 tests/docs/check_site.py build/docs/html [--screenshots DIR]

Serves the site on 127.0.0.1 and drives headless Chromium over the DevTools
protocol (--remote-debugging-pipe: no extra Python modules), then checks, from
the rendered DOM:

  * the formulas of the chapter pages are typeset by MathJax (output present,
    no raw $$ or TeX commands left in the text);
  * no page logs a console error or an uncaught exception;
  * no request leaves 127.0.0.1 (the site works offline);
  * the built-in search finds the right chapter for "卷积" and "backpropagation";
  * every internal link of every page resolves, anchors included (read from the
    HTML files);
  * every image of every page loads (naturalWidth > 0), and the lessons show the
    schematic figures of FIGURES_ON_PAGE (docs/_ext/dlbook.py draws them);

and saves screenshots of the home page and a chapter. Exit status 0 when all
checks pass, 1 otherwise (each failure printed), 77 when Chromium is missing.
"""
from __future__ import annotations

import argparse
import base64
import fcntl
import functools
import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

SKIP = 77
failures: list[str] = []


def fail(msg: str) -> None:
    failures.append(msg)
    print(f"FAIL: {msg}", flush=True)


def ok(msg: str) -> None:
    print(f"ok: {msg}", flush=True)


# ----------------------------------------------------------------------------------
# Static link check


class LinkParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a and a["id"]:
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        for key in ("href", "src"):
            if key in a and a[key] and tag in ("a", "img", "link", "script"):
                self.links.append(a[key])


def check_links(root: Path) -> None:
    pages = {}
    for path in root.rglob("*.html"):
        p = LinkParser()
        p.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = p
    broken = []
    checked = 0
    for path, p in pages.items():
        for link in p.links:
            u = urllib.parse.urlsplit(link)
            if u.scheme or link.startswith("//"):
                continue  # external links may exist; requests must not (checked in the browser)
            target = (path.parent / urllib.parse.unquote(u.path)).resolve() if u.path else path
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.exists():
                broken.append(f"{path.relative_to(root.resolve())}: {link} (no such file)")
            elif u.fragment and target.suffix == ".html":
                frag = urllib.parse.unquote(u.fragment)
                if target in pages and frag not in pages[target].ids:
                    broken.append(f"{path.relative_to(root.resolve())}: {link} (no anchor #{frag})")
    if broken:
        for b in broken[:30]:
            fail(f"link: {b}")
    else:
        ok(f"{checked} internal links on {len(pages)} pages resolve")


def check_notes(root: Path) -> None:
    """A missing measurement is announced once per page, not once per placeholder that needs
    it: no page holds two 'Not measured yet' notes with the same text (notes about different
    result files are fine)."""
    repeated = []
    for path in root.rglob("*.html"):
        page = path.read_text(encoding="utf-8")
        notes = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[m.end():m.end() + 400]))
                 for m in re.finditer(r"Not measured yet</p>", page)]
        for note in sorted(set(n for n in notes if notes.count(n) > 1)):
            repeated.append(f"{path.relative_to(root)}: {notes.count(note)} identical 'Not measured yet' notes: "
                            f"{note.strip()[:80]}")
    if repeated:
        for r in repeated:
            fail(r)
    else:
        ok("no page repeats its 'Not measured yet' note")


# ----------------------------------------------------------------------------------
# A local server


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[tuple[str, int]] = []

    def log_message(self, fmt, *args):
        pass

    def log_request(self, code="-", size="-"):
        QuietHandler.requests.append((self.path, int(code) if str(code).isdigit() else 0))


def serve(root: Path):
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ----------------------------------------------------------------------------------
# Chromium over --remote-debugging-pipe (fd 3: commands in, fd 4: events out)


class Browser:
    def __init__(self, chromium: str, profile: str):
        to_chrome_r, self.to_chrome_w = os.pipe()
        self.from_chrome_r, from_chrome_w = os.pipe()

        def child_fds():
            # Move both ends above 10 first so that neither dup2 clobbers the other.
            a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.log = open(os.path.join(profile, "chromium.log"), "wb")
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--no-default-browser-check",
             "--disable-sync", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
             "--disable-dev-shm-usage",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "--window-size=1280,900",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            preexec_fn=child_fds, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events: list[dict] = []
        self.session = None

    def _read_message(self, deadline: float) -> dict:
        import select

        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            r, _, _ = select.select([self.from_chrome_r], [], [], left)
            if r:
                chunk = os.read(self.from_chrome_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, session: bool = True, timeout: float = 30) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method: str, timeout: float = 30) -> dict:
        deadline = time.time() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            m = self._read_message(deadline)
            if m.get("method") == method:
                return m
            self.events.append(m)

    def drain(self, seconds: float = 0.3) -> None:
        deadline = time.time() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def open_page(self) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})

    def navigate(self, url: str, timeout: float = 30) -> None:
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", timeout)

    def evaluate(self, expression: str, timeout: float = 30):
        r = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                           "returnByValue": True}, timeout=timeout)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# ----------------------------------------------------------------------------------
# Page checks

WAIT_MATHJAX = """
new Promise((resolve) => {
  const start = Date.now();
  if (!document.querySelector('script[src*="MathJax.js"]')) return resolve(null);
  (function poll() {
    if (window.MathJax && MathJax.Hub && MathJax.Hub.Queue) {
      MathJax.Hub.Queue(() => resolve(true));
    } else if (Date.now() - start > 15000) {
      resolve(false);
    } else {
      setTimeout(poll, 100);
    }
  })();
})
"""

MATH_STATE = """
(() => {
  const main = document.querySelector('article') || document.body;
  const text = main.innerText;
  return {
    math: document.querySelectorAll('.math').length,
    typeset: document.querySelectorAll('.MathJax_CHTML, .mjx-chtml').length,
    rawDollars: (text.match(/\\$\\$/g) || []).length,
    rawTex: (text.match(/\\\\(frac|sum|begin|mathbb|partial)\\b/g) || []).slice(0, 5),
  };
})()
"""

# Display formulas wider than the text column (they would spill into the margin or
# need a scroll bar): the rendered MathJax box against its container's width.
WIDE_MATH = """
(() => {
  const wide = [];
  for (const box of document.querySelectorAll('div.math')) {
    const rendered = box.querySelector('.MathJax_CHTML, .mjx-chtml, .MathJax_Display') || box;
    const column = box.parentElement.getBoundingClientRect().width;
    const width = Math.max(rendered.scrollWidth, rendered.getBoundingClientRect().width);
    if (column > 0 && width > column + 1) wide.push(box.textContent.trim().slice(0, 60) + ' (' + Math.round(width) + ' px in ' + Math.round(column) + ')');
  }
  return wide;
})()
"""

SEARCH_RESULTS = """
new Promise((resolve) => {
  const start = Date.now();
  (function poll() {
    const items = document.querySelectorAll('#search-results ul.search li a');
    const status = document.querySelector('#search-results p.search-summary');
    if ((status && status.textContent.trim()) || Date.now() - start > 15000) {
      resolve(Array.from(items).map(a => a.getAttribute('href')));
    } else {
      setTimeout(poll, 100);
    }
  })();
})
"""

# Every <img> once it has loaded or failed (lazy images are switched to eager first).
IMAGES = """
new Promise((resolve) => {
  const images = Array.from(document.images);
  for (const img of images) img.loading = 'eager';
  const start = Date.now();
  (function poll() {
    if (images.every(img => img.complete) || Date.now() - start > 15000) {
      resolve(images.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth, complete: img.complete})));
    } else {
      setTimeout(poll, 100);
    }
  })();
})
"""

# The schematic figures (`<!-- figure: NAME -->`) each lesson must show, by file name.
FIGURES_ON_PAGE = {
    "chapters/01-": ["autograd_scalar", "autograd_mlp"],  # Graphviz SVGs of dl::to_dot's output
    "chapters/02-": ["conv_sliding_window", "im2col", "receptive_field"],
    "chapters/03-": ["lstm_cell", "bptt_lanes"],
}


def check_images(browser: Browser, page: str) -> None:
    images = browser.evaluate(IMAGES, timeout=30) or []
    broken = [i["src"] for i in images if not i["width"]]
    for src in broken:
        fail(f"{page}: image did not load: {src}")
    if images and not broken:
        ok(f"{page}: all {len(images)} images loaded")
    files = [urllib.parse.unquote(urllib.parse.urlsplit(i["src"]).path.rsplit("/", 1)[-1]) for i in images]
    for prefix, names in FIGURES_ON_PAGE.items():
        if not page.startswith(prefix):
            continue
        # Sphinx copies figures to _images/ and may append a number to a name that is taken.
        lost = [n for n in names if not any(re.fullmatch(re.escape(n) + r"\d*\.(png|svg)", f) for f in files)]
        if lost:
            fail(f"{page}: figures missing: {', '.join(lost)} (images: {files})")
        else:
            ok(f"{page}: figures {', '.join(names)} shown")


def collect_problems(browser: Browser, page: str, base: str) -> None:
    browser.drain()
    for e in browser.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            fail(f"{page}: uncaught exception: {d.get('exception', {}).get('description') or d.get('text')}")
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            fail(f"{page}: console error: {args}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            fail(f"{page}: console error: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        elif m == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            u = urllib.parse.urlsplit(url)
            if u.scheme in ("data", "blob", "about"):
                continue
            if u.hostname != "127.0.0.1" or not url.startswith(base):
                fail(f"{page}: request leaves the local server: {url}")
        elif m == "Network.loadingFailed":
            fail(f"{page}: request failed: {p.get('errorText')}")
        elif m == "Network.responseReceived":
            status = p.get("response", {}).get("status", 200)
            if status >= 400:
                fail(f"{page}: HTTP {status} for {p['response'].get('url')}")
    browser.events.clear()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("html", type=Path)
    ap.add_argument("--screenshots", type=Path)
    ap.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    args = ap.parse_args()

    root = args.html.resolve()
    if not (root / "index.html").exists():
        print(f"no site in {root}: build it first (cmake --build build --target docs)")
        return 1
    check_links(root)
    check_notes(root)

    if not args.chromium:
        print("chromium not found (Debian package chromium); browser checks skipped")
        return SKIP

    lessons = sorted(p.relative_to(root).as_posix() for p in root.glob("chapters/*/lesson.html"))
    math_pages = [p for p in lessons if re.match(r"chapters/0[13]-", p)]
    server = serve(root)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    profile = tempfile.mkdtemp(prefix="dlbook-chromium-")
    browser = Browser(args.chromium, profile)
    try:
        browser.open_page()
        for page in ["index.html"] + lessons + ["faq.html", "glossary.html", "api.html", "performance.html",
                                                "large-models.html", "tools.html", "learning-path.html",
                                                "exercises.html"]:
            if not (root / page).exists():
                continue
            browser.navigate(base + page)
            mathjax = browser.evaluate(WAIT_MATHJAX, timeout=30)
            state = browser.evaluate(MATH_STATE)
            if page in math_pages:
                if not mathjax:
                    fail(f"{page}: MathJax did not load")
                elif state["typeset"] == 0 or state["typeset"] < state["math"]:
                    fail(f"{page}: {state['typeset']} of {state['math']} formulas typeset")
                else:
                    ok(f"{page}: {state['typeset']} formulas typeset by MathJax")
            if mathjax:
                wide = browser.evaluate(WIDE_MATH) or []
                for w in wide[:10]:
                    fail(f"{page}: a display formula is wider than the text column: {w}")
                if not wide and state["math"]:
                    ok(f"{page}: every display formula fits the text column")
            check_images(browser, page)
            if state["rawDollars"] or state["rawTex"]:
                fail(f"{page}: raw TeX left in the text: {state['rawDollars']} '$$', {state['rawTex']}")
            if args.screenshots and page == "index.html":
                browser.screenshot(args.screenshots / "home.png")
            if args.screenshots and page.startswith("chapters/02-"):
                browser.screenshot(args.screenshots / "chapter-02.png")
            if args.screenshots and page.startswith("chapters/01-"):
                browser.evaluate("(() => { const m = document.querySelector('div.math'); "
                                 "if (m) m.scrollIntoView(); return true; })()")
                browser.screenshot(args.screenshots / "chapter-01-math.png")
            collect_problems(browser, page, base)

        for query, want in (("卷积", "chapters/02-"), ("卷积神经网络", "chapters/02-"),
                            ("backpropagation", "chapters/01-")):
            browser.navigate(base + "search.html?q=" + urllib.parse.quote(query))
            hits = browser.evaluate(SEARCH_RESULTS, timeout=30) or []
            chapters = [h for h in hits if h.startswith("chapters/")]
            if not chapters or not chapters[0].startswith(want):
                fail(f"search {query!r}: first chapter hit {chapters[:1]}, want {want}* (all hits: {hits[:8]})")
            else:
                ok(f"search {query!r}: {len(hits)} hits, first chapter {chapters[0]}")
            if args.screenshots and query == "卷积":
                browser.screenshot(args.screenshots / "search-zh.png")
            collect_problems(browser, f"search {query}", base)
    finally:
        browser.close()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)

    missing = [p for p, code in QuietHandler.requests if code >= 400]
    for p in missing:
        fail(f"the server answered {p} with an error")
    if failures:
        print(f"{len(failures)} problem(s)")
        return 1
    print("all site checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
