"""The site under gunicorn with production settings, on the test's PostgreSQL database,
and a patient that talks to it over HTTP the way a browser behind nginx would."""

import http.client
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from tests.production import production_env

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, static_root: Path, **extra_env):
        self.port = free_port()
        self.env = production_env(
            DJANGO_STATIC_ROOT=str(static_root),
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY="4",
            **extra_env,
        )
        self.process = None

    def manage(self, *args):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True)

    def __enter__(self):
        self.manage("createcachetable")
        # A file, not a pipe: nobody reads a pipe until the end, and once it is full
        # every worker blocks writing its log line.
        self.log_file = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:aspire.gunicorn_conf", "aspire.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if Client(self.port).get("/healthz").status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.process.kill()
        raise RuntimeError(f"gunicorn did not start: {self.read_log()}")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log = self.read_log()
        self.log_file.close()

    def read_log(self) -> str:
        self.log_file.seek(0)
        return self.log_file.read()


@dataclass
class Answer:
    status: int
    body: str
    headers: dict


@dataclass
class Client:
    """One browser: its cookies, over HTTPS as far as Django can tell (behind nginx)."""

    port: int
    cookies: dict = field(default_factory=dict)

    def request(self, method: str, path: str, data: dict | None = None) -> Answer:
        origin = f"https://127.0.0.1:{self.port}"
        headers = {"X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{self.port}", "Origin": origin}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = origin + path
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return Answer(response.status, text, dict(response.getheaders()))
        finally:
            conn.close()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def csrf_token(self, slot_id: int) -> str | None:
        """Open a slot's form, as a patient does first; its token serves every later post."""
        form = self.get(f"/book/slot/{slot_id}/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
        return match.group(1) if match else None

    def book(self, slot_id: int, *, token: str, name: str, phone: str, session_type_id: int) -> Answer:
        data = {"csrfmiddlewaretoken": token, "name": name, "phone": phone, "session_type": session_type_id}
        return self.request("POST", f"/book/slot/{slot_id}/", {**data, "consent": "on"})
