"""Snakemake adapter: the study report (distilbo.report.build_report)."""
import os

from transformers import AutoConfig

from distilbo.logs import setup_logging
from distilbo.report import build_report
from distilbo.study import study_objectives

setup_logging(snakemake.log[0])
teacher_dir = os.path.join(os.path.dirname(snakemake.input.teacher_metrics), "model")
objectives = study_objectives(snakemake.params.search, AutoConfig.from_pretrained(teacher_dir, trust_remote_code=True))
inputs = dict(snakemake.input)
inputs["curves"] = dict(zip(snakemake.params.trial_keys, snakemake.input.curves))
inputs["predictions"] = dict(zip(snakemake.params.trial_keys, snakemake.input.predictions))
build_report(inputs, snakemake.params.search, snakemake.params.frontier, objectives,
             os.path.dirname(snakemake.output.page))
