"""Shared fixtures: the repository root and the `tariff` command-line binary to compare with."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli_path() -> Path:
    """The CLI built from this checkout (TARIFF_CLI overrides; CI builds target/debug/tariff)."""
    env = os.environ.get("TARIFF_CLI")
    if env:
        return Path(env)
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "tariff"
        if p.exists():
            return p
    pytest.skip("the tariff CLI is not built (cargo build -p tariff-cli)")


@pytest.fixture(scope="session")
def cli():
    """Runs the CLI; returns (exit code, parsed JSON stdout or None, stderr)."""
    exe = cli_path()

    def run(*args):
        p = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120)
        out = json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else None
        return p.returncode, out, p.stderr

    return run
