"""Prepare the data: distilbo.data.prepare."""

from distilbo.data.prepare import prepare_data
from distilbo.logs import setup_logging
from distilbo.models.loading import load_tokenizer
from distilbo.stages.settings import JobSettings


def run(job) -> None:
    """Run the prepare_data job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    splits = job.params.splits
    prepare_data(JobSettings.of(job.params).data, load_tokenizer(job.params.tokenizer, key="teacher.init"),
                 dict(zip(splits, job.output.questions)),
                 dict(zip(splits, job.output.features)))
