"""The documented reverse proxy, for real: Debian's nginx runs `deploy/nginx.conf` in front of
two `hailong serve` processes and a live one. Limits count the citizen's address, not nginx's;
a spoofed X-Forwarded-For is not believed; a dashboard's stream, sent to the live pool, gets a
ballot within two seconds."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_database
from tests.factories import login_form, six_answers
from tests.serving import CHECKOUT, free_port, inside_one_minute, load_demo, wait_until_answered

CONFIG = CHECKOUT / "deploy" / "nginx.conf"
REQUIRED = os.environ.get("HAILONG_REQUIRE_NGINX") == "1"
OFFICE = "16003.MC"


def _nginx() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        if REQUIRED:
            pytest.fail("nginx is required (HAILONG_REQUIRE_NGINX=1) but not installed")
        pytest.skip("nginx is not installed: apt-get install nginx")
    return found


def _from(address: str, base: str) -> httpx.Client:
    """A client whose connections come from ``address`` (any 127.x is this machine)."""
    return httpx.Client(
        base_url=base, timeout=10, transport=httpx.HTTPTransport(local_address=address)
    )


@pytest.fixture
def deployment(backend: str, tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """nginx's address, the folder of the workers' logs, and the officer's password."""
    nginx = _nginx()
    url = fresh_database(backend, "nginx")
    demo = load_demo(url)
    env = {**os.environ, "HAILONG_DATABASE_URL": url}
    password = re.search(r"demo\.canbo\s+officer\s+(\S+)", demo).group(1)  # type: ignore[union-attr]
    env |= {
        "HAILONG_TRUSTED_PROXIES": "127.0.0.1",
        "HAILONG_REDIS_URL": os.environ.get("HAILONG_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "HAILONG_REDIS_PREFIX": f"nginx-{uuid.uuid4().hex}",
        "HAILONG_LIMIT_ADDRESS": "5 per minute",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    ports = {"8000": free_port(), "8002": free_port(), "8001": free_port()}
    processes = []
    for name, port in ports.items():
        command = [sys.executable, "-m", "app", "serve", "--port", str(port)]
        log = (tmp_path / f"worker-{name}.log").open("w")
        processes.append(subprocess.Popen(command, cwd=CHECKOUT, env=env, stdout=log, stderr=log))
    listen = free_port()
    site = CONFIG.read_text()
    for documented, port in ports.items():
        site = site.replace(f"127.0.0.1:{documented};", f"127.0.0.1:{port};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    (tmp_path / "site.conf").write_text(site)
    temp = tmp_path / "temp"
    temp.mkdir()
    temp.chmod(0o777)  # nginx's workers run as nobody when started by root
    (tmp_path / "nginx.conf").write_text(
        f"""daemon off;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {tmp_path}/site.conf;
}}
"""
    )
    test = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert test.returncode == 0, test.stderr
    proxy = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")])
    try:
        for port in ports.values():
            wait_until_answered(f"http://127.0.0.1:{port}/readyz")
        base = f"http://127.0.0.1:{listen}"
        wait_until_answered(f"{base}/healthz")
        yield base, tmp_path, password
    finally:
        proxy.terminate()
        proxy.wait(timeout=15)
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _rate(http: httpx.Client, **headers: str) -> int:
    sent = http.post(
        f"/api/v1/offices/{OFFICE}/responses", json={"answers": six_answers(4)}, headers=headers
    )
    return sent.status_code


def test_limits_count_the_citizens_address_behind_nginx(
    deployment: tuple[str, Path, str],
) -> None:
    base, logs, _ = deployment
    inside_one_minute()
    with _from("127.0.0.2", base) as citizen:
        # Five a minute from one address, however the two workers share them (through Redis).
        assert [_rate(citizen) for _ in range(6)] == [201] * 5 + [429]
    with _from("127.0.0.3", base) as neighbour:
        # nginx's own address is not what is counted: another citizen is still welcome.
        assert _rate(neighbour) == 201
    with _from("127.0.0.4", base) as liar:
        # Writing another address in X-Forwarded-For does not make a new citizen: nginx adds
        # the real one on the right, and that is the one read.
        answers = [_rate(liar, **{"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(6)]
        assert answers == [201] * 5 + [429]
    served = {
        name: (logs / f"worker-{name}.log")
        .read_text()
        .count("POST /api/v1/offices/{code}/responses")
        for name in ("8000", "8002", "8001")
    }
    assert served["8000"]  # both workers took ballots
    assert served["8002"]
    assert served["8001"] == 0  # the live pool takes none


def test_a_dashboard_stream_through_nginx_gets_a_ballot_within_two_seconds(
    deployment: tuple[str, Path, str],
) -> None:
    base, logs, password = deployment
    heard: list[float] = []
    opened = threading.Event()

    def listen() -> None:
        with httpx.Client(base_url=base, timeout=30) as staff:
            signed = staff.post(
                "/login", data=login_form(staff, "demo.canbo", password), follow_redirects=False
            )
            assert signed.status_code == 303
            with staff.stream("GET", f"/staff/offices/{OFFICE}/events") as events:
                assert events.status_code == 200
                assert events.headers["content-type"].startswith("text/event-stream")
                opened.set()
                for line in events.iter_lines():
                    if line.startswith("event: figures"):
                        heard.append(time.monotonic())
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(20)
    time.sleep(0.3)
    with _from("127.0.0.5", base) as citizen:
        sent_at = time.monotonic()
        assert _rate(citizen) == 201
    listener.join(timeout=10)
    assert heard, "the stream heard nothing"
    assert heard[0] - sent_at < 2.0
    live = (logs / "worker-8001.log").read_text()
    assert "GET /staff/offices/{code}/events 200" in live  # served by the live pool
    for name in ("8000", "8002"):
        assert "/events" not in (logs / f"worker-{name}.log").read_text()
