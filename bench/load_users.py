"""The simulated users of bench/load.py: an HTTP client with its own cookies, and what each role
does between its think times. Standard library only (http.client), one thread per user."""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

# Statuses that are an answer the page means, not a failure: a sheet saved by someone else in the
# meantime (409) is the optimistic lock doing its job.
EXPECTED = {"sheet_save": {409}}
VERSION_RE = re.compile(rb'name="version" value="(\d+)"')


@dataclass
class Plan:
    """Everything the users need to know about the data, read once by bench/load.py."""

    year: int
    groups: list[str]
    unit_ids: list[int]
    # Leaf criteria a value may be typed for: id -> (max_points, step).
    criteria: dict[int, tuple]
    # Per user: (username, role, [assessment ids this user alone saves on], field it writes).
    accounts: list[tuple[str, str, list[int], str]]
    password: str
    # Assessment id -> unit id, for the unit heads' own unit page.
    unit_of_assessment: dict[int, int] = field(default_factory=dict)


@dataclass
class Tally:
    """What the users measured; one per run, shared under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    expected: int = 0
    requests: int = 0
    # (assessment, criterion, field) -> value of the last save the server confirmed (302).
    writes: dict[tuple[int, int, str], str] = field(default_factory=dict)
    saves: int = 0
    # Cells whose last save got no answer (connection error): either value may be stored.
    uncertain: dict[tuple[int, int, str], set[str]] = field(default_factory=dict)

    def record(self, kind: str, status: int, seconds: float, *, detail: str = "") -> None:
        with self.lock:
            self.requests += 1
            self.times.setdefault(kind, []).append(seconds)
            counts = self.statuses.setdefault(kind, {})
            counts[status] = counts.get(status, 0) + 1
            if status in EXPECTED.get(kind, ()):
                self.expected += 1
            elif status == 0 or status >= 400:
                self.errors.append(f"{kind} {status} {detail}"[:300])


class Client:
    """One browser: a keep-alive connection (reopened when gunicorn closes it) and its cookies.
    Cookies are kept by hand: production sets them Secure, which a cookie jar would not send over
    the plain HTTP of the loopback."""

    def __init__(self, host: str, port: int, tally: Tally, timeout: float = 120.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.tally = tally
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(
        self, kind: str, method: str, path: str, form: dict | None = None
    ) -> tuple[int, dict, bytes]:
        # The kind goes in a header that gunicorn's access log records with the server time.
        headers = {"Host": f"{self.host}:{self.port}", "Accept-Language": "vi", "X-Load-Kind": kind}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            headers["Origin"] = f"http://{self.host}:{self.port}"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.tally.record(kind, 0, time.perf_counter() - started, detail=f"{path} {exc!r}")
            return 0, {}, b""
        elapsed = time.perf_counter() - started
        for raw in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(raw)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        detail = path if response.status < 500 else f"{path} {data[:200]!r}"
        self.tally.record(kind, response.status, elapsed, detail=detail)
        return response.status, dict(response.getheaders()), data

    def login(self, username: str, password: str) -> bool:
        self.request("login_page", "GET", "/dang-nhap/")
        token = self.cookies.get("csrftoken", "")
        status, _headers, _ = self.request(
            "login",
            "POST",
            "/dang-nhap/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )
        return status == 302 and "sessionid" in self.cookies


def _sleep_until(deadline: float, seconds: float) -> None:
    time.sleep(max(0.0, min(seconds, deadline - time.monotonic())))


class User(threading.Thread):
    """One person for the length of the run: logs in, then acts, thinks, acts again."""

    def __init__(
        self,
        index: int,
        plan: Plan,
        tally: Tally,
        *,
        port: int,
        deadline: float,
        think: float,
        max_requests: int,
        seed: int,
    ):
        super().__init__(name=f"user-{index}", daemon=True)
        self.plan, self.tally = plan, tally
        self.username, self.role, self.sheets, self.field = plan.accounts[index]
        self.client = Client("127.0.0.1", port, tally)
        self.deadline, self.think, self.max_requests = deadline, think, max_requests
        self.rng = random.Random(seed * 1000 + index)
        self.base = {"period": str(plan.year)}

    def run(self) -> None:
        try:
            self._session()
        except Exception as exc:  # a bug here is an error of the run, not a silent thread
            self.tally.record("crash", 0, 0.0, detail=f"{self.name} {exc!r}")

    def _session(self) -> None:
        # Not everyone arrives in the same second: log-ins spread over the first think times.
        _sleep_until(self.deadline, self.rng.uniform(0, 2 * self.think))
        if time.monotonic() >= self.deadline:
            return
        if not self.client.login(self.username, self.plan.password):
            self.tally.record("login", 0, 0.0, detail=f"{self.username} could not log in")
            return
        actions = self._actions()
        names, weights = zip(*[(name, weight) for name, weight in actions.items()], strict=True)
        while time.monotonic() < self.deadline and self.tally.requests < self.max_requests:
            action = self.rng.choices(names, weights)[0]
            getattr(self, action)()
            _sleep_until(self.deadline, self.rng.uniform(0.5, 1.5) * self.think)

    def _actions(self) -> dict[str, int]:
        if self.role == "interior_staff":
            return {"save": 5, "assessments": 1, "ranking": 2, "export": 1, "api": 1, "home": 1}
        if self.role == "unit_head":
            return {"save": 4, "home": 2, "own_unit": 2, "ranking": 1, "api": 1}
        return {
            "ranking": 5,
            "heatmap": 2,
            "unit": 2,
            "deductions": 1,
            "climb": 1,
            "comparison": 1,
            "home": 2,
            "api": 2,
            "export": 2,
            "static": 1,
        }

    def _get(self, kind: str, path: str, params: dict | None = None) -> tuple[int, dict, bytes]:
        query = f"?{urlencode(params)}" if params else ""
        return self.client.request(kind, "GET", path + query)

    def _group(self) -> dict:
        return {**self.base, "group": self.rng.choice(self.plan.groups)}

    def home(self) -> None:
        self._get("home", "/")

    def assessments(self) -> None:
        self._get("assessment_list", "/cham-diem/", {"page": self.rng.randint(1, 5)})

    def ranking(self) -> None:
        params = self._group()
        draw = self.rng.random()
        if draw < 0.3:
            params["page"] = str(self.rng.randint(1, 4))
        elif draw < 0.4:
            params["sort"] = "name"
        self._get("ranking", "/bao-cao/xep-hang/", params)

    def heatmap(self) -> None:
        self._get("heatmap", "/bao-cao/chi-so-thanh-phan/", self._group())

    def unit(self) -> None:
        unit_id = self.rng.choice(self.plan.unit_ids)
        self._get("unit_profile", f"/bao-cao/don-vi/{unit_id}/", self.base)

    def own_unit(self) -> None:
        unit_id = self.plan.unit_of_assessment[self.sheets[0]]
        self._get("unit_profile", f"/bao-cao/don-vi/{unit_id}/", self.base)

    def deductions(self) -> None:
        self._get("deductions", "/bao-cao/tru-diem/", self._group())

    def climb(self) -> None:
        params = {**self._group(), "unit": str(self.rng.choice(self.plan.unit_ids))}
        self._get("climb", "/bao-cao/nang-hang/", params)

    def comparison(self) -> None:
        self._get("comparison", "/bao-cao/so-sanh/", self._group())

    def api(self) -> None:
        self._get("api_results", "/bao-cao/api/v1/results/", self._group())

    def export(self) -> None:
        table, fmt = self.rng.choice(
            [("ranking", "csv"), ("ranking", "xlsx"), ("heatmap", "xlsx"), ("deductions", "csv")]
        )
        self._get(f"export_{fmt}", f"/bao-cao/xuat/{table}.{fmt}", self._group())

    def static(self) -> None:
        path = self.rng.choice(["css/app.css", "vendor/bootstrap/bootstrap.min.css"])
        self._get("static", f"/static/{path}")

    def save(self) -> None:
        """Open one of this user's sheets, change one cell, save; on success remember the value."""
        assessment_id = self.rng.choice(self.sheets)
        path = f"/cham-diem/{assessment_id}/"
        status, _, page = self._get("sheet", path)
        match = VERSION_RE.search(page)
        if status != 200 or match is None:
            return
        criterion_id = self.rng.choice(list(self.plan.criteria))
        max_points, step = self.plan.criteria[criterion_id]
        cell = (assessment_id, criterion_id, self.field)
        with self.tally.lock:
            before = self.tally.writes.get(cell)
        choices = [str(step * i) for i in range(int(max_points / step) + 1)]
        value = self.rng.choice([c for c in choices if c != before] or choices)
        form = {
            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            "version": match.group(1).decode(),
            f"{self.field}-{criterion_id}": value,
        }
        status, headers, _ = self.client.request("sheet_save", "POST", path, form)
        with self.tally.lock:
            if status == 302:
                self.tally.saves += 1
                self.tally.writes[cell] = value
                self.tally.uncertain.pop(cell, None)
            elif status == 0:
                self.tally.uncertain.setdefault(cell, {before} if before else set()).add(value)
        if status == 302:
            self._get("sheet", headers.get("Location", path))
