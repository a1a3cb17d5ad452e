# distilbo: distill a BERT question-answering teacher into smaller students chosen by
# multi-objective Bayesian optimization. Stages live in workflow/rules/*.smk; logic in src/distilbo.
import sys

from snakemake.utils import min_version, validate

min_version("8.0")
# Long round chains recurse deeply in Snakemake's DAG code (it fails near 120 rounds by default).
sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/teacher.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/frontier.smk"
include: "workflow/rules/report.smk"


# Cheap bookkeeping jobs run on the submitting host, not as cluster jobs.
localrules:
    all,
    suggest,
    observe,
    frontier,
    report,


rule all:
    input:
        rules.finetune_teacher.output.metrics,
        rules.frontier.output,
        rules.report.output.page,
    default_target: True
