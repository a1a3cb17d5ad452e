"""Snakemake adapter: the teacher's attention-head importance (distilbo.teacher.write_head_importance)."""
import torch

from distilbo.devices import take_devices
from distilbo.logs import setup_logging
from distilbo.teacher import write_head_importance

setup_logging(snakemake.log[0])
# a GPU of its own on a workstation (profiles/workstation), held until the job ends
gpus = take_devices(int(getattr(snakemake.resources, "gpu", 0)))
torch.set_num_threads(snakemake.threads)
write_head_importance(snakemake.input.model, snakemake.input.train_features, snakemake.output[0])
