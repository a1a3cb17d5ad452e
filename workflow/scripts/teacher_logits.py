"""Snakemake adapter: store the teacher's logits (distilbo.teacher.write_logits)."""
import torch

from distilbo.devices import take_devices
from distilbo.logs import setup_logging
from distilbo.teacher import write_logits

setup_logging(snakemake.log[0])
# a GPU of its own on a workstation (profiles/workstation), held until the job ends
gpus = take_devices(int(getattr(snakemake.resources, "gpu", 0)))
torch.set_num_threads(snakemake.threads)
splits = snakemake.params.splits
write_logits(snakemake.input.model, dict(zip(splits, snakemake.input.features)),
             dict(zip(splits, snakemake.output.logits)))
