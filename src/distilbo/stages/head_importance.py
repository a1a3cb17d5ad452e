"""Head importance: the teacher's attention-head importance (distilbo.training.teacher.write_head_importance)."""

import torch

from distilbo.logs import setup_logging
from distilbo.training.devices import take_devices
from distilbo.training.teacher import write_head_importance


def run(job) -> None:
    """Run the head_importance job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    # a GPU of its own on a workstation (profiles/workstation), held until the job ends
    _gpus = take_devices(int(getattr(job.resources, "gpu", 0)))
    torch.set_num_threads(job.threads)
    write_head_importance(job.input.model, job.input.train_features, job.output[0])
