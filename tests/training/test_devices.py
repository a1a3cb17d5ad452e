"""GPU slots on one machine, simulated (there is no GPU here): concurrent jobs never share a
device, and a killed job's device is free again."""

import os
import signal
import subprocess
import sys

import pytest

from distilbo.training.devices import take_devices

HOLD = """
import os, sys, time
from distilbo.training.devices import take_devices
slots = take_devices(1, timeout_s=float(sys.argv[1]), poll_s=0.05)
print(os.environ["CUDA_VISIBLE_DEVICES"], flush=True)
time.sleep(float(sys.argv[2]))
"""


def _job(tmp_path, timeout_s=5.0, hold_s=30.0):
    env = {**os.environ, "DISTILBO_GPUS": "0,1", "DISTILBO_GPU_LOCKS": str(tmp_path / "locks")}
    env.pop("SLURM_JOB_ID", None)
    return subprocess.Popen([sys.executable, "-c", HOLD, str(timeout_s), str(hold_s)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_concurrent_jobs_take_devices_of_their_own_and_a_killed_jobs_is_freed(tmp_path):
    first, second = _job(tmp_path), _job(tmp_path)
    got = {first.stdout.readline().strip(), second.stdout.readline().strip()}
    assert got == {"0", "1"}
    third = _job(tmp_path, timeout_s=1.0, hold_s=0)  # both devices held: it waits, then gives up
    assert third.wait(30) != 0 and "no free GPU of 0, 1" in third.stderr.read()
    os.kill(first.pid, signal.SIGKILL)
    first.wait(30)
    fourth = _job(tmp_path, timeout_s=10.0, hold_s=0)
    freed = fourth.stdout.readline().strip()
    assert fourth.wait(30) == 0 and freed in got and freed != ""
    second.kill()
    second.wait(30)


def test_nothing_is_taken_without_a_gpu_or_under_slurm(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILBO_GPU_LOCKS", str(tmp_path))
    assert take_devices(0, ["0"]) is None and take_devices(1, []) is None
    monkeypatch.setenv("SLURM_JOB_ID", "7")
    assert take_devices(1, ["0"]) is None
    monkeypatch.delenv("SLURM_JOB_ID")
    with pytest.raises(ValueError, match="wants 2 GPUs, the machine has 1"):
        take_devices(2, ["0"])
    slots = take_devices(1, ["3"])
    assert slots.devices == ["3"] and os.environ["CUDA_VISIBLE_DEVICES"] == "3"
    slots.release()
    again = take_devices(1, ["3"], timeout_s=1)  # released: free at once
    assert again.devices == ["3"]
    again.release()
