"""SIGTERM and `ovocr predict --engine ray`: exit 143 with one `ovocr: terminated` line, no
stack dump, no hang, and no partial output file, whenever the signal comes.

Ray's own handler (set by ray.init) raised SystemExit wherever the main thread was: inside
a lock of `logging` it hung the process for good; otherwise Python's teardown with Ray's
threads alive crashed now and then (exit 139 in 2 of 8 runs under load). The CLI now ends a
Ray run at once (`common.stop_at_once`), so these tests send the signal at several moments
of real runs, found from what the run leaves on disk: while Python starts, while ray.init
starts the local Ray, while the actors start, and mid-run.
"""

from __future__ import annotations

import glob
import os
import queue
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import render_text
from ovocr.cli.predict import _on_own_thread
from PIL import Image

OVOCR = [sys.executable, "-m", "ovocr.cli"]
OLD = '{"image": "old"}\n'
CRASH_SIGNS = ("Segmentation", "SIGSEGV", "*** ", "Fatal Python error", "Traceback", "core dumped")
RAY_TMP = "/tmp/ray"  # where a local Ray keeps its sessions: session_<date>_<driver pid>
# When to send SIGTERM: a moment of the run (see `reached`), then a delay. A failure in 1 run
# of 4 is missed by all seven with probability 0.75**7 = 0.13.
MOMENTS = (
    ("start", 1.0),  # Python imports ovocr
    ("session", 0.0),  # ray.init starts the local Ray (Ray's own SIGTERM handler was on)
    ("session", 1.0),
    ("session", 2.5),
    ("driver", 0.0),  # the driver joined: Ray Data plans, actors start
    ("driver", 1.5),
    ("record", 0.0),  # mid-run: records reach the temporary output file
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, requires_models):
    pytest.importorskip("ray", reason="ray[data] is not installed (pip install ovocr[scale])")
    path = tmp_path_factory.mktemp("signs")
    Image.fromarray(render_text(["EXIT 4"])).save(path / "sign_00.png")
    for i in range(1, 60):  # enough that the job is still running after its first record
        (path / f"sign_{i:02d}.png").write_bytes((path / "sign_00.png").read_bytes())
    return path


def start(folder, out) -> subprocess.Popen:
    env = {**os.environ, "OVOCR_DEVICE": "CPU", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    args = ["predict", str(folder), "--engine", "ray", "-q", "-o", str(out)]
    return subprocess.Popen(
        [*OVOCR, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def stopped(proc: subprocess.Popen, out) -> tuple[int, str]:
    """SIGTERM now; the exit code and stderr. The process must be gone within seconds."""
    proc.send_signal(signal.SIGTERM)
    try:
        _, stderr = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:  # the old hang: Ray's handler inside logging's lock
        proc.kill()
        _, stderr = proc.communicate()
        pytest.fail(f"no exit within 20 s of SIGTERM:\n{stderr}")
    return proc.returncode, stderr


def check(code: int, stderr: str, out, when: str) -> None:
    assert code == 143, f"{when}: exit {code}\n{stderr}"
    assert not any(sign in stderr for sign in CRASH_SIGNS), f"{when}:\n{stderr}"
    ours = [line for line in stderr.splitlines() if line.startswith("ovocr:")]
    assert ours == ["ovocr: terminated"], f"{when}:\n{stderr}"
    assert out.read_text() == OLD, when  # the old results stay
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name], when  # no temp file


def reached(moment: str, proc: subprocess.Popen, out) -> bool:
    if moment == "start":
        return True
    sessions = glob.glob(f"{RAY_TMP}/session_*_{proc.pid}")
    if moment == "session":
        return bool(sessions)
    if moment == "driver":
        return any(glob.glob(f"{s}/logs/python-core-driver-*_{proc.pid}.log") for s in sessions)
    return any(p.stat().st_size for p in out.parent.glob(".out.jsonl.*"))


@pytest.mark.parametrize("moment, delay", MOMENTS)
def test_sigterm_at_any_moment_of_a_ray_run_is_exit_143(folder, tmp_path, moment, delay):
    out = tmp_path / "out.jsonl"
    out.write_text(OLD)
    proc = start(folder, out)
    deadline = time.monotonic() + 240
    while not reached(moment, proc, out):
        assert proc.poll() is None and time.monotonic() < deadline, f"{moment} never came"
        time.sleep(0.05)
    time.sleep(delay)
    check(*stopped(proc, out), out, f"SIGTERM {delay} s after {moment}")


def test_the_handler_removes_the_temporary_output_and_exits_143(tmp_path):
    # Without Ray: the handler of stop_at_once with a half-written -o file.
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from ovocr.cli.common import output, stop_at_once
        with stop_at_once(), output({str(tmp_path / "out.jsonl")!r}) as out:
            out.write({{"image": "new"}})
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(30)
        """
    )
    (tmp_path / "out.jsonl").write_text(OLD)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 143, done.stderr
    assert done.stderr == "ovocr: terminated\n"
    assert os.listdir(tmp_path) == ["out.jsonl"]
    assert (tmp_path / "out.jsonl").read_text() == OLD


def test_results_from_the_job_thread_come_in_order_and_errors_are_raised_again():
    def job():
        yield from range(100)
        raise ValueError("the job failed")

    got = []
    with pytest.raises(ValueError, match="the job failed"):
        for value in _on_own_thread(job()):  # type: ignore[arg-type]
            got.append(value)
    assert got == list(range(100))


def test_closing_early_ends_the_job_thread():
    closed: queue.Queue[str] = queue.Queue()

    def job():
        try:
            yield from range(10_000)
        finally:
            closed.put("closed")

    results = _on_own_thread(job())  # type: ignore[arg-type]
    assert [next(results) for _ in range(3)] == [0, 1, 2]
    results.close()  # type: ignore[attr-defined]
    assert closed.get(timeout=10) == "closed"
