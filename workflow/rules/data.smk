# Data stage: questions per split and tokenized windows.


rule prepare_data:
    input:
        local_inputs(
            config["data"]["labeled"],
            config["data"]["unlabeled"],
            config["data"]["eval"],
        ),
    output:
        questions=[L.questions(s) for s in SPLITS],
        features=[L.features(s) for s in SPLITS],
    log:
        L.log("prepare_data"),
    conda:
        "../../envs/data.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        data=stated_config("data"),
        tokenizer=config["teacher"]["init"],
        splits=list(SPLITS),
    script:
        "../scripts/prepare_data.py"


# student.vocabulary: trimmed: the students' vocabulary, from the training and transfer windows
# (never the eval questions), its tokenizer and the eval windows that tokenizer makes.
rule vocabulary:
    input:
        train_features=L.features("train"),
        transfer_features=L.features("transfer"),
        eval_features=L.features("eval"),
        eval_questions=L.questions("eval"),
        text=config["student"]["vocabulary_text"],
    output:
        kept=L.vocabulary("kept"),
        tokenizer=directory(L.vocabulary("tokenizer")),
        eval_features=L.vocabulary("eval_features"),
        summary=L.vocabulary("summary"),
    log:
        L.log("vocabulary"),
    conda:
        "../../envs/data.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        tokenizer=config["teacher"]["init"],
        windows=stated_windows(),
        size=config["student"]["vocabulary_size"],
    script:
        "../scripts/vocabulary.py"
