"""Snakemake adapter: store the teacher's logits (distilbo.teacher.write_logits)."""
import torch

from distilbo.logs import setup_logging
from distilbo.teacher import write_logits

setup_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
write_logits(snakemake.input.model, {"train": snakemake.input.train, "transfer": snakemake.input.transfer},
             {"train": snakemake.output.train, "transfer": snakemake.output.transfer})
