"""distilbo: distill a question-answering teacher (BERT, RoBERTa, DeBERTa, ModernBERT, ...) into smaller
students chosen by multi-objective Bayesian optimization."""

__version__ = "0.17.0"


def answer(model_dir: str, question: str, context: str, **kwargs):
    """Answer one question with a saved model (see `distilbo.deploy.answer.answer`)."""
    from distilbo.deploy.answer import answer as _answer

    return _answer(model_dir, question, context, **kwargs)
