"""The compute a job that runs a model holds: a GPU of its own on a workstation and its CPU threads.
Its own module: the bookkeeping stages never import torch (tests/test_envs.py)."""

from __future__ import annotations

import torch

from distilbo.training.devices import take_devices


def claim_compute(job):
    """A GPU of its own on a workstation (resources gpu, profiles/workstation;
    distilbo.training.devices) and job.threads CPU threads for torch. The returned slots hold the
    GPU until the process ends: keep a reference to them."""
    slots = take_devices(int(getattr(job.resources, "gpu", 0)))
    torch.set_num_threads(job.threads)
    return slots
