"""An installed wheel is a whole hailong: built from the checkout, installed into a fresh virtual
environment outside it, it migrates, loads the demo, serves pages with their static files and
takes a ballot, with nothing read from a checkout or the directory it runs in."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.factories import six_answers
from tests.serving import CHECKOUT, free_port, wait_until_answered

# What a clean clone holds and a developer's checkout may add: none of it goes into the build.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
)


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin/`` of a fresh virtual environment with the wheel built from this checkout."""
    root = tmp_path_factory.mktemp("package")
    source = root / "source"
    shutil.copytree(CHECKOUT, source, ignore=NOT_SOURCE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAILONG_", "PYTHON"))}
    _run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(root / "dist"), str(source)],
        cwd=root,
        env=env,
    )
    [wheel] = (root / "dist").glob("hailong-*.whl")
    _run([sys.executable, "-m", "venv", str(root / "venv")], cwd=root, env=env)
    bin_dir = root / "venv" / "bin"
    _run([str(bin_dir / "pip"), "install", "--quiet", str(wheel)], cwd=root, env=env)
    return bin_dir


@pytest.mark.one_database
def test_the_installed_wheel_migrates_loads_the_demo_serves_and_takes_a_ballot(
    installed: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "elsewhere"  # an empty directory: no surveys/, static/ or migrations/
    run_dir.mkdir()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HAILONG_", "PYTHON"))},
        "HAILONG_DATABASE_URL": f"sqlite:///{tmp_path / 'hailong.db'}",
        "HAILONG_PORT": str(port),
        "HAILONG_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    hailong = str(installed / "hailong")
    # The package is the installed one, not this checkout's.
    where = _run(
        [str(installed / "python"), "-c", "import app; print(app.__file__)"], cwd=run_dir, env=env
    )
    assert str(installed.parent) in where
    assert str(CHECKOUT) not in where

    assert "up to date" in _run([hailong, "migrate"], cwd=run_dir, env=env)
    surveys = _run([hailong, "surveys", "check"], cwd=run_dir, env=env)
    assert surveys.count("\nok  ") + surveys.startswith("ok  ") == 4
    assert "demo data loaded: 50 ballots" in _run(
        [hailong, "demo", "--ballots", "50"], cwd=run_dir, env=env
    )
    code = "16003.MC"  # the demo's commune counter, on the default six criteria
    assert f"\n{code}," in _run([hailong, "office", "list"], cwd=run_dir, env=env)

    server = subprocess.Popen(
        [hailong, "serve"],
        cwd=run_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answered(f"{base}/healthz")
        form = httpx.get(f"{base}/s/{code}", timeout=10)
        assert form.status_code == 200
        assert "Bộ phận một cửa xã Thiệu Hóa" in form.text
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', form.text)
        assert assets
        for asset in assets:
            assert httpx.get(f"{base}{asset}", timeout=10).status_code == 200, asset
        sent = httpx.post(
            f"{base}/api/v1/offices/{code}/responses", json={"answers": six_answers(4)}, timeout=10
        )
        assert sent.status_code == 201, sent.text
        assert httpx.get(f"{base}/docs", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=15)
    checked = _run([hailong, "verify", "--db"], cwd=run_dir, env=env)
    assert checked.startswith("ok: 51 ballots")  # the demo's 50 and this one, chains intact
    assert list(run_dir.iterdir()) == []  # nothing written where it ran


@pytest.mark.one_database
def test_the_installed_wheel_takes_surveys_from_hailong_surveys_dir(
    installed: Path, tmp_path: Path
) -> None:
    own = tmp_path / "own-surveys"
    shipped = installed.parent / "lib"
    [builtin] = shipped.glob("python*/site-packages/app/surveys/builtin")
    shutil.copytree(builtin, own)
    (own / "co-so-vat-chat.toml").unlink()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HAILONG_", "PYTHON"))},
        "HAILONG_DATABASE_URL": f"sqlite:///{tmp_path / 'hailong.db'}",
        "HAILONG_SURVEYS_DIR": str(own),
    }
    checked = _run([str(installed / "hailong"), "surveys", "check"], cwd=tmp_path, env=env)
    assert "co-so-vat-chat" not in checked
    assert "ok  cong-chuc@1" in checked
