"""Computed importance: each computed metric's parameter importance from its formula
(distilbo.report.importance.formula_importance), so that the report, which loads no model, shows it."""

import pandas as pd

from distilbo.atomic import write_parquet
from distilbo.logs import setup_logging
from distilbo.report.importance import formula_importance
from distilbo.search import SearchSpace
from distilbo.stages.job import student_source, vocab_size
from distilbo.stages.settings import JobSettings
from distilbo.study.suggest import computed_metrics, student_config


def run(job) -> None:
    """Run the computed_importance job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    s = JobSettings.of(job.params)
    space = SearchSpace(s.space)
    functions = computed_metrics({"fixed": s.fixed}, student_config(student_source(job), vocab_size(job)))
    names = [n for n, spec in s.objectives.items() if spec.get("source") == "computed"]
    tables = [formula_importance(space, functions[n], n) for n in names]
    columns = ["parameter", "importance", "std", "metric"]
    write_parquet(pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns), job.output[0])
