# distilbo: distill a question-answering teacher of any supported family into smaller students chosen by
# multi-objective Bayesian optimization. Stages live in workflow/rules/*.smk; logic in src/distilbo.
import os
import sys

from snakemake.utils import min_version, validate

from distilbo.records.schema import SCHEMA
from distilbo.study.config import check_config, check_layers
from distilbo.study.validation import upgrade_config, validate_config

min_version("8.0")
# Long round chains recurse deeply in Snakemake's DAG code (it fails near 120 rounds by default).
sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))


# config.yaml is the default study. A --configfile names a whole study instead of a layer over it
# (Snakemake would merge the two: the smoke study would search the default study's space too).
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


# A layer (a file that says layer_over) needs the study under it. upgrade_config reads a key a
# release renamed under its new name, with a warning. validate_config refuses a mistake in one line;
# Snakemake's validate then fills every default. check_config refuses what a schema cannot express. The models' and data files are read once, where the study starts, not again at
# each job's parse (a job's Snakemake runs in subprocess or remote mode).
CONFIGFILES = [
    f if os.path.relpath(f).startswith("..") else os.path.relpath(f)
    for f in map(str, workflow.overwrite_configfiles or ["config.yaml"])
]
check_layers(config, CONFIGFILES)
upgrade_config(config, where=", ".join(CONFIGFILES))
validate_config(config, where=", ".join(CONFIGFILES))
validate(config, str(SCHEMA))
check_config(config, models=not (workflow.subprocess_exec or workflow.remote_exec))


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/teacher.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/deploy.smk"
include: "workflow/rules/frontier.smk"
include: "workflow/rules/report.smk"


# Cheap bookkeeping jobs run on the submitting host, not as cluster jobs.
localrules:
    all,
    suggest,
    promote,
    observe,
    retain,
    progress,
    frontier,
    computed_importance,
    report,


rule all:
    default_target: True
    input:
        rules.finetune_teacher.output.metrics,
        rules.frontier.output,
        rules.report.output.page,
        [L.progress_page(r) for r in ROUNDS],
