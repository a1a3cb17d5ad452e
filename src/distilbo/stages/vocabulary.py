"""Vocabulary: a trimmed student vocabulary (distilbo.models.vocabulary.write_vocabulary)."""

from distilbo.logs import setup_logging
from distilbo.models.loading import load_tokenizer
from distilbo.models.vocabulary import write_vocabulary


def run(job) -> None:
    """Run the vocabulary job (`job`: Snakemake's `snakemake` object)."""
    setup_logging(job.log[0])
    i = job.input
    write_vocabulary(load_tokenizer(job.params.tokenizer), [i.train_features, i.transfer_features], i.eval_questions,
                     job.params.windows, list(i.text), dict(job.output), i.eval_features,
                     job.params.size)
