"""A session served from the command line: its operator API answers signed requests over HTTP on a
loopback port; a missing secret stops it before anything starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from harness.session import SECRET
from system.operator_api import derive_secret, sign

MASTER = "cli-test-master-key"


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.operations", "serve", *args]


def test_a_served_session_answers_signed_requests_over_http():
    env = {**os.environ, "ALLUSE_VENUE_SECRET": SECRET, "ALLUSE_OPERATOR_KEY": MASTER}
    process = subprocess.Popen(
        command("--profile", "paper", "--seconds", "600", "--port", "0", "--speed", "20"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        where = json.loads(process.stdout.readline())
        assert where["operator_api"].startswith("http://127.0.0.1:")
        time.sleep(1.0)  # the session trades 20 simulated seconds meanwhile

        def get(key_id: str, path: str) -> tuple[int, dict]:
            stamp = f"{(time.time() - where['epoch']) * where['speed']:.3f}"
            nonce = f"n{time.monotonic_ns()}"
            signature = sign(derive_secret(MASTER, key_id), "GET", path, stamp, nonce, b"")
            headers = {"X-Api-Key": key_id, "X-Timestamp": stamp, "X-Nonce": nonce, "X-Signature": signature}
            request = urllib.request.Request(where["operator_api"] + path, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    return answer.status, json.loads(answer.read())
            except urllib.error.HTTPError as refused:
                return refused.code, json.loads(refused.read())

        status, body = get(where["keys"]["viewer"], "/status")
        assert status == 200 and body["time"] > 5.0 and body["kill_switch"] is False
        status, body = get(where["keys"]["viewer"], "/metrics")
        assert status == 200 and body["metrics"]["trading_execution_engine.placed"] > 0
        status, body = get("nobody", "/positions")
        assert status == 401 and body == {"error": "unknown key"}
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_missing_secret_stops_the_command_by_name():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLUSE_")}
    done = subprocess.run(command("--seconds", "5"), env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "venue.secret" in done.stderr and "ALLUSE_VENUE_SECRET" in done.stderr


@pytest.mark.parametrize("bad", [["--speed", "0"], ["--seconds", "-1"]])
def test_bad_arguments_are_refused(bad):
    done = subprocess.run(command(*bad), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
