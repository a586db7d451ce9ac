"""Run a server process for a test: start it, wait until it answers, and always stop it."""
from __future__ import annotations

import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, Sequence

import pytest

from helpline.settings import PROJECT_ROOT


@contextmanager
def running(argv: Sequence[str], *, env: Dict[str, str], log_path: Path, ready: Callable[[], bool],
            what: str, timeout: float = 120.0) -> Iterator[subprocess.Popen]:
    """``argv`` in its own process group, logging to ``log_path``; fails the test with the log's tail if it never gets ready."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(list(argv), cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while not ready():
                if process.poll() is not None or time.monotonic() > deadline:
                    state = "exited" if process.poll() is not None else f"not ready in {timeout:g} s"
                    pytest.fail(f"{what} {state}:\n{log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.3)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
