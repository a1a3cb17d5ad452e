"""Teacher logits: store the teacher's logits (distilbo.training.teacher.write_logits)."""

from distilbo.logs import setup_logging
from distilbo.stages.compute import claim_compute
from distilbo.training.teacher import write_logits


def run(job) -> None:
    """Run the teacher_logits job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    _gpus = claim_compute(job)  # held until the job ends
    splits = job.params.splits
    write_logits(job.input.model, dict(zip(splits, job.input.features)),
                 dict(zip(splits, job.output.logits)))
