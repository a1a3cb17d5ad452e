"""Snakemake adapter: fine-tune the teacher (distilbo.teacher.finetune)."""
import torch

from distilbo.config import completed
from distilbo.devices import take_devices
from distilbo.logs import setup_logging
from distilbo.teacher import finetune
from distilbo.tracking import from_env, log_training_run, teacher_params

setup_logging(snakemake.log[0])
# a GPU of its own on a workstation (profiles/workstation), held until the job ends
gpus = take_devices(int(getattr(snakemake.resources, "gpu", 0)))
torch.set_num_threads(snakemake.threads)
p = snakemake.params
teacher = completed(p.teacher, "teacher")
finetune(teacher, completed(p.scoring, "scoring"), p.windows, dict(snakemake.input), dict(snakemake.output))
# tracking (config tracking:): the teacher as its MLflow run; never fails the job
log_training_run(from_env(), "teacher", dict(snakemake.output), teacher_params(teacher), {"role": "teacher"})
