"""Every ```sh block of docs/api.md runs, in order, against a fresh server: the docs cannot rot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GRPCURL = ROOT / ".tools" / "bin" / "grpcurl"


def _blocks() -> list[str]:
    text = (ROOT / "docs" / "api.md").read_text()
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


@pytest.mark.timeout(180)
def test_every_api_example_runs(tmp_path: Path) -> None:
    assert GRPCURL.exists(), "grpcurl missing: run scripts/setup.sh"
    data = tmp_path / "var"
    port_file = tmp_path / "port"
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crs",
            "serve",
            "--workers",
            "1",
            "--metrics-port",
            "0",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--data-dir",
            str(data),
        ],
        stderr=log,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            assert server.poll() is None, "server exited"
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        address = f"127.0.0.1:{port_file.read_text().strip()}"
        script = "set -euo pipefail\n" + "\n".join(_blocks())
        script = script.replace("127.0.0.1:50051", address).replace(
            "var/bootstrap-api-key", str(data / "bootstrap-api-key")
        )
        result = subprocess.run(
            ["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=150, env={**os.environ}
        )
        assert result.returncode == 0, f"docs/api.md example failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        # the documented error examples really are errors with the documented codes
        assert "InvalidArgument" in result.stderr and "NotFound" in result.stderr
        assert "4111111111111112" not in result.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
