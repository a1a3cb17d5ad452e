"""Head importance: the teacher's attention-head importance (distilbo.training.teacher.write_head_importance)."""

from distilbo.logs import setup_logging
from distilbo.stages.compute import claim_compute
from distilbo.training.teacher import write_head_importance


def run(job) -> None:
    """Run the head_importance job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    _gpus = claim_compute(job)  # held until the job ends
    write_head_importance(job.input.model, job.input.train_features, job.output[0])
