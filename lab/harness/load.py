"""A bounded, steady load on one URL (the console flow of a load balancer), recording every answer.

Used by the rolling-upgrade scenario and bench/rolling_upgrade.py: requests start at a fixed rate
from a small thread pool, each on a new TLS connection (as a browser tab or API client that does
not keep its connection alive), and the run stops at stop() or after max_seconds, whichever comes
first, so the number of requests is bounded by rate * max_seconds.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    started: float  # time.monotonic() when the request started
    ok: bool  # HTTP 200
    detail: str  # status code or error
    seconds: float  # from the start of the request to its answer or error


@dataclass
class LoadReport:
    answers: list[Answer] = field(default_factory=list)

    @property
    def failed(self) -> list[Answer]:
        return [a for a in self.answers if not a.ok]

    def slowest(self, n: int = 5) -> list[Answer]:
        """The n answers that took longest: a failed request's neighbours show whether the balancer
        stalled (all slow) or one backend did (one in three slow)."""
        return sorted(self.answers, key=lambda a: a.seconds, reverse=True)[:n]

    def unavailable_seconds(self) -> float:
        """Longest stretch with failed requests and no successful one: from the last success before
        a run of failures to the first success after it (0 when nothing failed)."""
        longest, last_ok, failing = 0.0, None, False
        for answer in sorted(self.answers, key=lambda a: a.started):
            if answer.ok:
                if failing and last_ok is not None:
                    longest = max(longest, answer.started - last_ok)
                last_ok, failing = answer.started, False
            else:
                failing = True
        if failing and last_ok is not None and self.answers:
            longest = max(longest, max(a.started for a in self.answers) - last_ok)
        return longest


class SteadyLoad:
    """GET `url` at `rate` requests a second until stop() or `max_seconds`."""

    def __init__(self, url: str, rate: float = 50.0, max_seconds: float = 900.0, timeout: float = 3.0):
        parts = urlsplit(url)
        self._host, self._port = parts.hostname, parts.port or 443
        self._path = parts.path or "/"
        self._rate, self._max_seconds, self._timeout = rate, max_seconds, timeout
        # The lab's load balancer presents a self-signed certificate.
        self._tls = ssl.create_default_context()
        self._tls.check_hostname = False
        self._tls.verify_mode = ssl.CERT_NONE
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._report = LoadReport()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "SteadyLoad":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> LoadReport:
        self._stop.set()
        self._thread.join()
        return self._report

    @property
    def report(self) -> LoadReport:
        return self._report

    def _one(self, started: float) -> None:
        try:
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout, context=self._tls)
            try:
                conn.request("GET", self._path, headers={"Connection": "close"})
                response = conn.getresponse()
                response.read()
                ok, detail = response.status == 200, str(response.status)
            finally:
                conn.close()
        except (OSError, http.client.HTTPException) as err:
            ok, detail = False, type(err).__name__
        answer = Answer(started, ok, detail, time.monotonic() - started)
        with self._lock:
            self._report.answers.append(answer)

    def _run(self) -> None:
        interval = 1.0 / self._rate
        begin = time.monotonic()
        with ThreadPoolExecutor(max_workers=32) as pool:
            n = 0
            while not self._stop.is_set():
                due = begin + n * interval
                if due - begin > self._max_seconds:
                    break
                delay = due - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
                pool.submit(self._one, time.monotonic())
                n += 1
