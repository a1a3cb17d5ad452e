"""Snakemake adapter: fine-tune the teacher (distilbo.teacher.finetune)."""
import torch

from distilbo.config import completed
from distilbo.devices import take_devices
from distilbo.logs import setup_logging
from distilbo.teacher import finetune

setup_logging(snakemake.log[0])
# a GPU of its own on a workstation (profiles/workstation), held until the job ends
gpus = take_devices(int(getattr(snakemake.resources, "gpu", 0)))
torch.set_num_threads(snakemake.threads)
p = snakemake.params
finetune(completed(p.teacher, "teacher"), completed(p.scoring, "scoring"), p.windows, dict(snakemake.input),
         dict(snakemake.output))
