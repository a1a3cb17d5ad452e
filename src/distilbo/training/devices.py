"""GPUs on one machine: each GPU job takes a device of its own.

Snakemake counts GPUs (`--resources gpu=K` with `profiles/workstation`) but assigns none, so every
job would take cuda:0. A job instead takes a free device slot under a file lock (one lock file per
device, in a directory every job on the machine shares) and sets CUDA_VISIBLE_DEVICES to it
before torch initializes CUDA. The kernel drops the lock when the process ends, killed or not, so
a dead job never holds a device. Under SLURM (SLURM_JOB_ID set) the scheduler assigns devices
itself and nothing is taken here.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


def machine_devices() -> list[str]:
    """The GPUs jobs may take: DISTILBO_GPUS or CUDA_VISIBLE_DEVICES (comma lists) when set, else
    every GPU nvidia-smi lists (none without it)."""
    for var in ("DISTILBO_GPUS", "CUDA_VISIBLE_DEVICES"):
        if os.environ.get(var) is not None:
            return [d.strip() for d in os.environ[var].split(",") if d.strip()]
    try:
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [str(i) for i, line in enumerate(listed.splitlines()) if line.startswith("GPU ")]


def lock_dir() -> Path:
    """Where the slots' lock files live: DISTILBO_GPU_LOCKS, else one folder per user in /tmp."""
    return Path(os.environ.get("DISTILBO_GPU_LOCKS") or Path(tempfile.gettempdir()) / f"distilbo-gpus-{os.getuid()}")


@dataclass
class DeviceSlots:
    """The devices one job holds, until release() or the process ends."""

    devices: list[str]
    _files: list = field(default_factory=list, repr=False)

    def release(self) -> None:
        for f in self._files:
            f.close()  # closing the file drops its lock
        self._files.clear()


def take_devices(wanted: int, devices: list[str] | None = None, locks: Path | None = None,
                 timeout_s: float | None = None, poll_s: float = 0.5) -> DeviceSlots | None:
    """Take `wanted` free devices of `devices` (machine_devices()), waiting for them up to
    timeout_s (None: as long as it takes), and make them the process's CUDA_VISIBLE_DEVICES.
    None when there is nothing to take: no GPU wanted, none on the machine, or SLURM assigns them."""
    devices = machine_devices() if devices is None else devices
    if wanted <= 0 or not devices or os.environ.get("SLURM_JOB_ID"):
        return None
    if wanted > len(devices):
        raise ValueError(f"a job wants {wanted} GPUs, the machine has {len(devices)} ({', '.join(devices)})")
    locks = locks or lock_dir()
    locks.mkdir(parents=True, exist_ok=True)
    began, slots = time.monotonic(), DeviceSlots([])
    while True:
        for device in devices:
            if len(slots.devices) == wanted:
                break
            if device not in slots.devices and _lock(locks / f"gpu-{device}.lock", slots):
                slots.devices.append(device)
        if len(slots.devices) == wanted:
            os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(slots.devices)
            log.info("GPU slot(s) %s taken (locks in %s)", ",".join(slots.devices), locks)
            return slots
        if timeout_s is not None and time.monotonic() - began > timeout_s:
            slots.release()
            raise TimeoutError(f"no free GPU of {', '.join(devices)} after {timeout_s:g} s (locks in {locks}): "
                               "run with --resources gpu=K, K at most the number of GPUs")
        time.sleep(poll_s)


def _lock(path: Path, slots: DeviceSlots) -> bool:
    f = open(path, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return False
    f.truncate(0)
    f.write(f"{os.getpid()}\n")
    f.flush()
    slots._files.append(f)
    return True
