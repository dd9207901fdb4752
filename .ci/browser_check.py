#!/usr/bin/env python3
"""Render HTML reports in headless Chromium and fail on console errors, failed loads or broken images.

Standard library only (run it with any python3). It drives Chromium over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: JSON messages separated by NUL bytes on file descriptors 3 and 4), so it needs no
websocket client and no network. For each page it records:

- console messages of level error (``Runtime.consoleAPICalled``) and uncaught exceptions;
- browser log entries of level error (``Log.entryAdded``: blocked or failed loads, Content-Security-Policy
  violations);
- failed network requests (``Network.loadingFailed``) and any request that is not ``file:`` or ``data:``;
- images that did not decode (``naturalWidth == 0``).

Before checking the reports it checks itself on a page that is broken on purpose (a ``console.error`` call, an
exception, a missing image and an external URL) and stops if it would not have seen those: a check that cannot see
errors must not pass.

Usage::

    python3 .ci/browser_check.py [--screenshots DIR] [--chromium PATH] [FILE.html ...]   # default: reports/*.html
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars", "--disable-dev-shm-usage",
         "--remote-debugging-pipe"]
TIMEOUT = 60.0


class Browser:
    """One headless Chromium, spoken to over the DevTools pipe."""

    def __init__(self, binary: str):
        self.profile = tempfile.mkdtemp(prefix="bmes-chromium-")
        r_cmd, w_cmd = os.pipe()   # we write commands -> chromium reads fd 3
        r_ev, w_ev = os.pipe()     # chromium writes fd 4 -> we read
        self.proc = self._spawn(binary, r_cmd, w_ev)
        os.close(r_cmd)
        os.close(w_ev)
        self.out = os.fdopen(w_cmd, "wb", buffering=0)
        self.inp = os.fdopen(r_ev, "rb", buffering=0)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def _spawn(self, binary: str, r_cmd: int, w_ev: int) -> subprocess.Popen:
        def child_fds():
            # the pipe ends become fds 3 and 4 of the child (duplicated first, so neither clobbers the other);
            # every other descriptor Python opened is close-on-exec (PEP 446) and disappears at exec
            a, b = os.dup(r_cmd), os.dup(w_ev)
            os.dup2(a, 3)
            os.dup2(b, 4)

        return subprocess.Popen([binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=child_fds, close_fds=False)

    # -------------------------------------------------------------------------------------- protocol
    def _read_message(self, deadline: float) -> dict:
        import select

        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self.inp], [], [], left)
            if ready:
                chunk = self.inp.read(1 << 16)
                if not chunk:
                    raise RuntimeError(f"Chromium closed the DevTools pipe (exit code {self.proc.poll()})")
                self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = TIMEOUT) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.out.write(json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        for i, ev in enumerate(self.events):
            if ev.get("method") == method and ev.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            ev = self._read_message(deadline)
            if ev.get("method") == method and ev.get("sessionId") == session:
                return ev
            self.events.append(ev)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    # -------------------------------------------------------------------------------------- a page
    def check(self, url: str, screenshot: Path | None = None) -> list[str]:
        """Load ``url`` in a fresh tab; return the problems seen (empty when the page is clean)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        self.events.clear()
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        self.drain(0.5)  # late console messages and log entries
        problems = []
        for ev in self.events:
            if ev.get("sessionId") != session:
                continue
            method, p = ev.get("method"), ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                problems.append(f"console.{p['type']}: {text}")
            elif method == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                problems.append(f"uncaught exception: {d.get('exception', {}).get('description') or d.get('text')}")
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                e = p["entry"]
                problems.append(f"log error ({e.get('source')}): {e.get('text')} {e.get('url', '')}".rstrip())
            elif method == "Network.loadingFailed" and not p.get("canceled"):
                problems.append(f"failed load: {p.get('errorText')} ({p.get('blockedReason', '')})")
            elif method == "Network.requestWillBeSent":
                req = p.get("request", {}).get("url", "")
                if not req.startswith(("file:", "data:", "about:")):
                    problems.append(f"external request: {req}")
        broken = self.send("Runtime.evaluate", {
            "expression": "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
                          ".map(i => i.alt || i.src.slice(0, 60))",
            "returnByValue": True}, session=session)["result"].get("value", [])
        problems += [f"image did not load: {alt}" for alt in broken]
        if screenshot is not None:
            shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                             session=session)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        self.send("Target.closeTarget", {"targetId": target})
        return problems


SELF_TEST = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>self-test</title></head><body>
<p>broken on purpose</p><img src="does-not-exist.png" alt="missing">
<img src="https://example.invalid/x.png" alt="external">
<script>console.error("bmes-selftest-console-error"); throw new Error("bmes-selftest-exception");</script>
</body></html>"""


def find_chromium(explicit: str | None) -> str:
    for name in ([explicit] if explicit else ["chromium", "chromium-browser", "google-chrome", "chrome"]):
        path = shutil.which(name) if name else None
        if path:
            return path
    sys.exit("browser check: no Chromium found (on Debian: apt-get install -y chromium)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, help="HTML files (default: reports/*.html)")
    ap.add_argument("--screenshots", type=Path, default=None, help="save a full-page PNG of each file here")
    ap.add_argument("--chromium", default=None, help="the browser binary (default: chromium on PATH)")
    args = ap.parse_args(argv)
    files = args.files or sorted((ROOT / "reports").glob("*.html"))
    if not files:
        print("browser check: no HTML files to check", file=sys.stderr)
        return 1
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    browser = Browser(find_chromium(args.chromium))
    failed = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            page = Path(tmp) / "self-test.html"
            page.write_text(SELF_TEST, encoding="utf-8")
            seen = "\n".join(browser.check(page.as_uri()))
            missing = [what for what, mark in (("console.error", "bmes-selftest-console-error"),
                                               ("uncaught exception", "bmes-selftest-exception"),
                                               ("broken image", "image did not load: missing"),
                                               ("external request", "example.invalid"))
                       if mark not in seen]
            if missing:
                print(f"browser check: the self-test page was not caught ({', '.join(missing)}); saw:\n{seen}",
                      file=sys.stderr)
                return 2
            print("browser check: self-test ok (a broken page is caught)")
        for f in files:
            shot = args.screenshots / f"{f.stem}.png" if args.screenshots else None
            problems = browser.check(f.resolve().as_uri(), shot)
            if problems:
                failed += 1
                print(f"FAIL {f}", *(f"  {p}" for p in problems), sep="\n")
            else:
                print(f"ok   {f}" + (f"  (screenshot {shot})" if shot else ""))
    finally:
        browser.close()
    print(f"browser check: {len(files) - failed} of {len(files)} pages clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
