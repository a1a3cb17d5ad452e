"""The model types distilbo cuts students from, as plain data: what a study's start-up check reads
without loading torch. distilbo.models.families describes each (it travels beside a student's
weights, so it cannot import this module); a test keeps the two in step."""

MODEL_TYPES = ("bert", "roberta", "xlm-roberta", "camembert", "electra", "distilbert", "deberta-v2", "mpnet",
               "modernbert")
