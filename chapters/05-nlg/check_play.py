#!/usr/bin/python3
"""Checks chapter 05's playground (the play program) the way a learner and a careless client use it.

  /usr/bin/python3 chapters/05-nlg/check_play.py --play build/chapters/05-nlg/play --model DIR --http
  /usr/bin/python3 chapters/05-nlg/check_play.py --play build/chapters/05-nlg/play --model DIR --browser [--screenshot PNG]

Starts `play --port 0 --model DIR` (any free port; it prints the address), then:

--http, over plain HTTP:
  * the page and /info are served; a request streams one chunk per event (start, one per
    token, done), each token with a probability in (0, 1];
  * greedy decoding, top-k with k = 1 and beam search with one beam write the same text; the
    same seed samples the same text; beam search sends its tokens at the end;
  * a long request stops at the model's context; an unknown prime character becomes <unk>;
  * every bad request gets 400 and a JSON {"error": ...} saying what is wrong (an empty,
    too long or invalid UTF-8 prime, an unknown strategy, each setting out of range);
    a huge address 414, an unknown path 404, garbage that is not HTTP an error;
  * clients that hang up mid-stream and requests that arrive together leave it answering;
  * SIGTERM stops it with exit status 0.
--browser, in headless Chromium (over the DevTools pipe, as tests/docs/check_site.py does):
  * the page loads with no console error and no request that leaves 127.0.0.1;
  * typing a prime and pressing Generate shows the tokens as they arrive, each a <span> whose
    title is its probability; hovering one shows the probability below the poem;
  * a setting out of range shows the server's message; the next request works again.

Exit status 0 when all checks pass, 1 otherwise (each failure printed), 77 for --browser
when Chromium is missing.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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


def check(condition: bool, good: str, bad: str) -> bool:
    if condition:
        ok(good)
    else:
        fail(bad)
    return condition


# ----------------------------------------------------------------------------------
# The server


class Server:
    """play on a free port of 127.0.0.1, its requests logged to a file."""

    def __init__(self, play: str, model: str, workdir: Path, flags: list[str]):
        self.log_path = workdir / "play.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([play, "--model", model, "--port", "0", *flags], stdout=subprocess.PIPE,
                                     stderr=self.log, stdin=subprocess.DEVNULL)
        line = b""
        deadline = time.time() + 60
        while not line.endswith(b"\n"):
            left = deadline - time.time()
            r, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not r:
                raise RuntimeError("play did not say where it listens within 60 s")
            chunk = os.read(self.proc.stdout.fileno(), 1)
            if not chunk:
                raise RuntimeError(f"play ended at the start: {self.log_text()}")
            line += chunk
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line.decode())
        if not m:
            raise RuntimeError(f"play printed no address: {line!r}")
        self.port = int(m.group(1))
        self.base = f"http://127.0.0.1:{self.port}/"

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-2000:]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> tuple[int, str]:
        """SIGTERM; the exit status and what it printed on stdout after the address."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        self.log.close()
        return self.proc.returncode, out.decode(errors="replace")


def get(server: Server, path: str, timeout: float = 60) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
    finally:
        conn.close()


def query(**params) -> str:
    return "/generate?" + urllib.parse.urlencode(params)


def raw_chunks(server: Server, path: str) -> tuple[int, dict, list[bytes]]:
    """GET `path` on a bare socket and return the HTTP chunks as they were sent (not joined)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    chunks = []
    if headers.get("transfer-encoding") == "chunked":
        while body:
            size_line, _, body = body.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            chunks.append(body[:size])
            body = body[size + 2:]
    else:
        chunks.append(body)
    return status, headers, chunks


def events_of(chunks: list[bytes]) -> list[dict]:
    text = b"".join(chunks).decode()
    return [json.loads(block[len("data: "):]) for block in text.split("\n\n") if block.startswith("data: ")]


def generate(server: Server, **params) -> list[dict]:
    status, headers, body = get(server, query(**params))
    if status != 200:
        raise RuntimeError(f"{params}: HTTP {status}: {body[:200]!r}")
    return events_of([body])


def tokens_of(events: list[dict]) -> list[dict]:
    return [e for e in events if "text" in e]


def text_of(events: list[dict]) -> str:
    return "".join(e["text"] for e in tokens_of(events))


# ----------------------------------------------------------------------------------
# Over HTTP


def check_http(server: Server) -> None:
    status, headers, body = get(server, "/")
    check(status == 200 and headers.get("content-type", "").startswith("text/html") and b'id="generate"' in body,
          "GET / serves the page", f"GET /: HTTP {status} {headers.get('content-type')}")
    status, _, body = get(server, "/info")
    info = json.loads(body)
    vocab, context = info["vocab_size"], info["n_positions"]
    check(status == 200 and vocab > 1 and info["limits"]["max_new_tokens"] == 500,
          f"GET /info: a vocabulary of {vocab}, a context of {context}", f"GET /info: HTTP {status} {info}")

    # One chunk per event, the tokens as they are produced.
    status, headers, chunks = raw_chunks(server, query(prime="月", strategy="greedy", max_new_tokens=10))
    events = events_of(chunks)
    check(status == 200 and headers.get("content-type", "").startswith("text/event-stream")
          and headers.get("transfer-encoding") == "chunked",
          "a generation is a chunked text/event-stream", f"generate: HTTP {status}, headers {headers}")
    check(len(chunks) == len(events) == 12 and all(c.count(b"data: ") == 1 for c in chunks),
          "greedy, 10 tokens: 12 chunks, each one event (start, 10 tokens, done)",
          f"greedy, 10 tokens: {len(chunks)} chunks holding {len(events)} events")
    tokens = tokens_of(events)
    check(events[0].get("start") is True and events[-1].get("done") is True and events[-1]["tokens"] == 10
          and "length" in events[-1]["stopped"],
          f"start and done events frame the tokens ({events[-1].get('stopped')!r})", f"events: {events[:1]} ... {events[-1:]}")
    check(all(len(t["text"]) == 1 and 0 < t["probability"] <= 1 for t in tokens),
          "each token is one character with a probability in (0, 1]", f"tokens: {tokens}")

    greedy = text_of(generate(server, prime="月", strategy="greedy", max_new_tokens=12))
    top1 = text_of(generate(server, prime="月", strategy="top-k", top_k=1, max_new_tokens=12, seed=3))
    beam1 = text_of(generate(server, prime="月", strategy="beam", beam_width=1, max_new_tokens=12))
    check(greedy == top1 == beam1 and len(greedy) == 12,
          f"greedy, top-k with k = 1 and one beam write the same text ({greedy!r})",
          f"greedy {greedy!r}, top-k k=1 {top1!r}, beam 1 {beam1!r}")
    a = generate(server, prime="床前", strategy="sample", temperature=1.5, max_new_tokens=30, seed=7)
    b = generate(server, prime="床前", strategy="sample", temperature=1.5, max_new_tokens=30, seed=7)
    check(text_of(a) == text_of(b) and a[0].get("seed") == 7, "the same seed samples the same text",
          f"seed 7 twice: {text_of(a)!r} and {text_of(b)!r}")
    check("seed" in generate(server, prime="床", max_new_tokens=2)[0],
          "a sampling request without a seed is told the seed it got", "no seed in the start event")
    beam = generate(server, prime="月", strategy="beam", beam_width=4, max_new_tokens=8)
    check(len(tokens_of(beam)) == 8 and all(0 < t["probability"] <= 1 for t in tokens_of(beam)),
          "beam search (4 beams) sends its 8 tokens, each with a probability",
          f"beam search: {beam}")
    for strategy, extra in (("top-p", {"top_p": 0.5}), ("top-k", {"top_k": 3}), ("sample", {"temperature": 0.3})):
        events = generate(server, prime="月", strategy=strategy, max_new_tokens=5, seed=1, **extra)
        check(len(tokens_of(events)) == 5, f"{strategy} {extra} writes 5 tokens", f"{strategy}: {events}")

    long = generate(server, prime="月", strategy="sample", max_new_tokens=500, seed=2)
    check(len(tokens_of(long)) == 500 == long[-1]["tokens"] and long[-1]["slides"] >= 500 // context,
          f"500 tokens with a context of {context}: the context slides {long[-1]['slides']} times",
          f"a long request: {len(tokens_of(long))} tokens, {long[-1]}")
    beam = generate(server, prime="月" * 60, strategy="beam", beam_width=2, max_new_tokens=10)
    check(len(tokens_of(beam)) == context - 60 and "context" in beam[-1]["stopped"],
          f"beam search stops at the end of the context ({len(tokens_of(beam))} tokens after 60)",
          f"beam search near the end of the context: {beam[-1]}")
    odd = generate(server, prime="月Ω月", max_new_tokens=1)
    check(odd[0].get("unknown") == ["Ω"] and odd[0].get("prime_tokens") == 3,
          "a prime character outside the vocabulary is read as <unk> and reported", f"start event: {odd[0]}")

    check_bad_requests(server, vocab)
    check_careless_clients(server)


BAD_REQUESTS = [
    # (parameters, what the message must say)
    ({}, "prime is empty"),
    ({"prime": ""}, "prime is empty"),
    ({"prime": "月" * 201}, "prime is too long"),
    ({"prime": b"\xe6\x9c"}, "not valid UTF-8"),
    ({"prime": b"\xff\xfe"}, "not valid UTF-8"),
    ({"prime": "月", "strategy": "nucleus"}, "unknown strategy"),
    ({"prime": "月", "temperature": "0"}, "temperature must be greater than 0"),
    ({"prime": "月", "temperature": "-1"}, "temperature must be greater than 0"),
    ({"prime": "月", "temperature": "6"}, "at most 5"),
    ({"prime": "月", "temperature": "nan"}, "temperature must be a number"),
    ({"prime": "月", "temperature": "1e999"}, "temperature must be a number"),
    ({"prime": "月", "strategy": "top-k", "top_k": "0"}, "top_k must be between 1 and"),
    ({"prime": "月", "strategy": "top-k", "top_k": "VOCAB+1"}, "top_k must be between 1 and"),
    ({"prime": "月", "strategy": "top-k", "top_k": "2.5"}, "top_k must be a whole number"),
    ({"prime": "月", "strategy": "top-p", "top_p": "0"}, "top_p must be greater than 0 and at most 1"),
    ({"prime": "月", "strategy": "top-p", "top_p": "1.5"}, "top_p must be greater than 0 and at most 1"),
    ({"prime": "月", "max_new_tokens": "0"}, "max_new_tokens must be between 1 and 500"),
    ({"prime": "月", "max_new_tokens": "501"}, "max_new_tokens must be between 1 and 500"),
    ({"prime": "月", "max_new_tokens": "99999999999999999999999"}, "max_new_tokens is far too large"),
    ({"prime": "月", "strategy": "beam", "beam_width": "0"}, "beam_width must be between 1 and 8"),
    ({"prime": "月", "strategy": "beam", "beam_width": "9"}, "beam_width must be between 1 and 8"),
    ({"prime": "月", "strategy": "beam", "max_new_tokens": "101"}, "between 1 and 100 with beam search"),
    ({"prime": "月", "seed": "-1"}, "seed must be between 0 and"),
    ({"prime": "月", "temprature": "1"}, "unknown parameter 'temprature'"),
]


def check_bad_requests(server: Server, vocab: int) -> None:
    refused = 0
    for params, expected in BAD_REQUESTS:
        params = {k: (str(vocab + 1) if v == "VOCAB+1" else v) for k, v in params.items()}
        status, headers, body = get(server, query(**params))
        try:
            message = json.loads(body).get("error", "")
        except ValueError:
            message = ""
        if status == 400 and headers.get("content-type") == "application/json" and expected in message:
            refused += 1
        else:
            fail(f"{params}: want 400 with {expected!r}, got HTTP {status}: {body[:200]!r}")
    check(refused == len(BAD_REQUESTS), f"{refused} bad requests get 400 and a message saying what is wrong",
          f"{len(BAD_REQUESTS) - refused} bad requests were not refused properly")
    status, _, body = get(server, "/generate?prime=a&prime=b")
    check(status == 400 and b"more than once" in body, "a parameter given twice gets 400", f"prime twice: {status} {body!r}")

    status, _, body = get(server, "/generate?prime=" + "a" * 20000)
    check(status == 414 and b"too long" in body, "a 20 kB address gets 414 and a message", f"20 kB: {status} {body[:100]!r}")
    status, _, body = get(server, "/no/such/page")
    check(status == 404 and b"error" in body, "an unknown path gets 404 and a message", f"404: {status} {body!r}")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
        reply = s.recv(1000)
    check(not reply or reply.startswith(b"HTTP/1.1 4"), "bytes that are not HTTP get an error or a closed connection",
          f"garbage: {reply[:80]!r}")


def check_careless_clients(server: Server) -> None:
    # Hang up right after asking, and after the first bytes of the stream.
    for read in (0, 100):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(f"GET {query(prime='月', strategy='greedy', max_new_tokens=500)} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            if read:
                s.recv(read)
    # Requests that arrive together wait for each other (one generation at a time).
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        runs = list(pool.map(lambda i: generate(server, prime="月", strategy="sample", max_new_tokens=40, seed=i),
                             range(6)))
    check(all(len(tokens_of(r)) == 40 and r[-1].get("done") for r in runs),
          "6 requests at once each get their 40 tokens", f"concurrent requests: {[len(tokens_of(r)) for r in runs]}")
    events = generate(server, prime="月", strategy="greedy", max_new_tokens=3)
    check(server.alive() and len(tokens_of(events)) == 3, "after all that the server still answers",
          f"the server after the bad requests: alive {server.alive()}; {server.log_text()}")


# ----------------------------------------------------------------------------------
# In Chromium

WAIT_READY = """
new Promise((resolve) => {
  const start = Date.now();
  (function poll() {
    const state = document.getElementById('status').dataset.state;
    if (state !== 'loading' || Date.now() - start > 15000) resolve(state); else setTimeout(poll, 50);
  })();
})
"""

WAIT_FINISHED = """
new Promise((resolve) => {
  const start = Date.now();
  (function poll() {
    const state = document.getElementById('status').dataset.state;
    if (state === 'done' || state === 'error' || Date.now() - start > 30000) resolve(state); else setTimeout(poll, 20);
  })();
})
"""

OUTPUT = """
(() => ({
  state: document.getElementById('status').dataset.state,
  status: document.getElementById('status').textContent,
  prime: (document.querySelector('#output .prime') || {}).textContent,
  tokens: Array.from(document.querySelectorAll('#output span.token')).map(s => ({text: s.textContent, title: s.title})),
  error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent,
  font: getComputedStyle(document.getElementById('output')).fontFamily,
}))()
"""

# Counts the tokens each time the output changes, so the check can see them arrive one by one.
WATCH_OUTPUT = """
(() => {
  window.tokenCounts = [];
  new MutationObserver(() => window.tokenCounts.push(document.querySelectorAll('#output span.token').length))
    .observe(document.getElementById('output'), {childList: true});
  return true;
})()
"""


def set_field(browser, element_id: str, value: str) -> None:
    browser.evaluate(f"""(() => {{ const e = document.getElementById({json.dumps(element_id)});
        e.value = {json.dumps(value)}; e.dispatchEvent(new Event('input', {{bubbles: true}}));
        e.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()""")


def click(browser, selector: str) -> None:
    """A real mouse click at the middle of the element (as a learner's)."""
    box = browser.evaluate(f"""(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();
        return {{x: r.x + r.width / 2, y: r.y + r.height / 2}}; }})()""")
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"], "button": "left",
                                                  "clickCount": 1})


def problems(browser, base: str, expected_400: int) -> None:
    """Console errors, exceptions and requests that leave the server; `expected_400` refusals are allowed."""
    browser.drain()
    for e in browser.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            fail(f"uncaught exception: {d.get('exception', {}).get('description') or d.get('text')}")
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            fail("console error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            text = p["entry"].get("text", "")
            if "status of 400" in text and expected_400 > 0:
                expected_400 -= 1
            else:
                fail(f"console error: {text} {p['entry'].get('url', '')}")
        elif m == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if not (url.startswith(base) or url.split(":", 1)[0] in ("data", "blob", "about")):
                fail(f"a request leaves the local server: {url}")
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            fail(f"request failed: {p.get('errorText')}")
    browser.events.clear()


def check_browser(server: Server, chromium: str, screenshot: Path | None) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "docs"))
    from check_site import Browser  # the docs site's test drives Chromium the same way

    profile = tempfile.mkdtemp(prefix="dlbook-play-chromium-")
    browser = Browser(chromium, profile)
    try:
        browser.open_page()
        browser.navigate(server.base)
        state = browser.evaluate(WAIT_READY)
        check(state == "idle", "the page loads and reads the model's settings", f"the page's state: {state}")
        browser.evaluate(WATCH_OUTPUT)

        # Type a prime, pick sampling, press Generate.
        browser.evaluate("(() => { const t = document.getElementById('prime'); t.focus(); t.select(); return true; })()")
        browser.send("Input.insertText", {"text": "春眠"})
        set_field(browser, "strategy", "top-k")
        set_field(browser, "temperature", "0.9")
        set_field(browser, "top_k", "5")
        set_field(browser, "max_new_tokens", "24")
        click(browser, "#generate")
        state = browser.evaluate(WAIT_FINISHED, timeout=40)
        out = browser.evaluate(OUTPUT)
        counts = browser.evaluate("window.tokenCounts")
        check(state == "done" and out["prime"] == "春眠" and len(out["tokens"]) == 24,
              f"typing 春眠 and pressing Generate writes 24 tokens ({''.join(t['text'] for t in out['tokens'])!r}; "
              f"{out['status']})", f"after Generate: {out}")
        seen = sorted(set(c for c in counts if c > 0))
        check(len(seen) >= 8, f"the tokens appear as they arrive ({len(seen)} different counts on the page)",
              f"token counts as the output changed: {counts[:30]}")
        titles = [t["title"] for t in out["tokens"]]
        check(titles and all(re.fullmatch(r"p = (\d\.\d{3}|\d\.\de-\d+)", t) for t in titles),
              f"every token's title is its probability ({titles[0] if titles else None})", f"titles: {titles}")
        check("WenQuanYi" in out["font"] or "CJK" in out["font"], "the poem's font list has a Chinese font",
              f"the output's font: {out['font']}")
        # Hover the third token: its probability shows below the poem.
        box = browser.evaluate("""(() => { const r = document.querySelectorAll('#output span.token')[2].getBoundingClientRect();
            return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()""")
        browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": box["x"], "y": box["y"]})
        hover = browser.evaluate("document.getElementById('hover').textContent")
        check(titles and titles[2] in hover and out["tokens"][2]["text"].strip() in hover,
              f"hovering a token shows its probability ({hover.strip()!r})", f"hover text {hover!r}, title {titles[2:3]}")
        if screenshot:
            browser.screenshot(screenshot)
        problems(browser, server.base, expected_400=0)

        # A setting out of range: the server's message on the page, then a good request again.
        set_field(browser, "strategy", "top-p")
        set_field(browser, "top_p", "1.5")
        click(browser, "#generate")
        state = browser.evaluate(WAIT_FINISHED, timeout=40)
        out = browser.evaluate(OUTPUT)
        check(state == "error" and out["error"] and "top_p must be greater than 0 and at most 1" in out["error"],
              f"top_p 1.5 shows the server's message ({out['error']!r})", f"after top_p 1.5: {out}")
        problems(browser, server.base, expected_400=1)
        set_field(browser, "top_p", "0.9")
        set_field(browser, "strategy", "beam")
        set_field(browser, "beam_width", "3")
        set_field(browser, "max_new_tokens", "10")
        click(browser, "#generate")
        state = browser.evaluate(WAIT_FINISHED, timeout=40)
        out = browser.evaluate(OUTPUT)
        check(state == "done" and len(out["tokens"]) == 10 and out["error"] is None,
              f"then beam search (3 beams) writes 10 tokens ({out['status']})", f"after the refusal: {out}")
        problems(browser, server.base, expected_400=0)
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--play", required=True, help="the play program")
    ap.add_argument("--model", required=True, help="a model folder (make_play_test_model writes a tiny one)")
    ap.add_argument("--http", action="store_true", help="the checks over HTTP")
    ap.add_argument("--browser", action="store_true", help="the checks in headless Chromium")
    ap.add_argument("--screenshot", type=Path, help="with --browser: save the page after a generation here")
    ap.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    args = ap.parse_args()
    if not (args.http or args.browser):
        ap.error("give --http, --browser or both")
    if args.browser and not args.chromium:
        print("chromium not found (Debian package chromium); browser checks skipped")
        return SKIP

    workdir = Path(tempfile.mkdtemp(prefix="dlbook-play-"))
    # A server for each part: in the browser, 50 ms between tokens, slow enough to see them arrive
    # apart even on a busy machine (over HTTP that pause would make concurrent requests wait too long).
    phases = ([("http", [])] if args.http else []) + ([("browser", ["--delay-ms", "50"])] if args.browser else [])
    try:
        for phase, flags in phases:
            server = Server(args.play, args.model, workdir, flags)
            try:
                if phase == "http":
                    check_http(server)
                else:
                    check_browser(server, args.chromium, args.screenshot)
                check(server.alive(), "the server is still running", f"the server ended: {server.log_text()}")
            finally:
                code, out = server.stop()
            check(code == 0 and "stopped" in out, "SIGTERM stops it with exit status 0",
                  f"after SIGTERM: exit {code}, {out!r}; its log: {server.log_path.read_text(errors='replace')[-2000:]}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        print(f"{len(failures)} problem(s)")
        return 1
    print("all playground checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
