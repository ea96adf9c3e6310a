"""Stopping the child servers the reliability scripts start (localstripe, the fault
proxy): SIGTERM, then SIGKILL after 10 s, and the pipe closed. No Django import, so
the scripts can use it before Django is set up."""

from __future__ import annotations

import subprocess


def stop_process(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
