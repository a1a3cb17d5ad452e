"""Question answering: logits of windows (`inference`), answers from logits in the SQuAD
conventions (`postprocess`), the official SQuAD 2.0 scores (`scoring`), the answerability verifier
(`verifier`) and a model scored on the eval questions (`evaluation`). Answering with a saved model
is deployment's (distilbo.deploy.answer)."""
