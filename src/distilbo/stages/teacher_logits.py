"""Teacher logits: store the teacher's logits (distilbo.training.teacher.write_logits)."""

import torch

from distilbo.logs import setup_logging
from distilbo.training.devices import take_devices
from distilbo.training.teacher import write_logits


def run(job) -> None:
    """Run the teacher_logits job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    # a GPU of its own on a workstation (profiles/workstation), held until the job ends
    _gpus = take_devices(int(getattr(job.resources, "gpu", 0)))
    torch.set_num_threads(job.threads)
    splits = job.params.splits
    write_logits(job.input.model, dict(zip(splits, job.input.features)),
                 dict(zip(splits, job.output.logits)))
