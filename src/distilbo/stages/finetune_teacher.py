"""Fine-tune the teacher (distilbo.training.teacher.finetune)."""

from distilbo.logs import setup_logging
from distilbo.stages.compute import claim_compute
from distilbo.stages.settings import JobSettings
from distilbo.study.tracking import from_env, log_training_run, teacher_params
from distilbo.training.teacher import finetune


def run(job) -> None:
    """Run the finetune_teacher job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    _gpus = claim_compute(job)  # held until the job ends
    s = JobSettings.of(job.params)
    finetune(s.teacher, s.scoring, s.windows, dict(job.input), dict(job.output))
    # tracking (config tracking:): the teacher as its MLflow run; never fails the job
    log_training_run(from_env(), "teacher", dict(job.output), teacher_params(s.teacher), {"role": "teacher"})
