# Data stage: questions per split and tokenized windows.


rule prepare_data:
    input:
        local_inputs(config["data"]["labeled"], config["data"]["unlabeled"], config["data"]["eval"]),
    output:
        questions=expand(result("data/{split}.parquet"), split=["train", "eval", "transfer"]),
        features=expand(result("data/features-{split}.parquet"), split=["train", "eval", "transfer"]),
    params:
        data=config["data"],
        tokenizer=config["teacher"]["init"],
    log:
        result("logs/prepare_data.log"),
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../scripts/prepare_data.py"
