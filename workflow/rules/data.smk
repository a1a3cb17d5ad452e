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
