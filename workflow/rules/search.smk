# Search stage: R rounds of suggest -> distill (q trials in parallel) -> observe, as a static DAG.

ROUNDS = list(range(config["search"]["rounds"]))
TRIALS = list(range(config["search"]["batch_size"]))


wildcard_constraints:
    r=r"\d+",
    i=r"\d+",


def previous_observations(wildcards):
    r = int(wildcards.r)
    return [result(f"search/round-{r - 1}/observations.parquet")] if r > 0 else []


rule suggest:
    input:
        teacher=result("teacher/model"),
        history=previous_observations,
    output:
        result("search/round-{r}/suggestions.parquet"),
    params:
        # all but `rounds`: raising it must not make finished rounds look changed
        search={k: v for k, v in config["search"].items() if k != "rounds"},
    log:
        result("logs/suggest/round-{r}.log"),
    benchmark:
        result("benchmarks/suggest/round-{r}.tsv")
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/suggest.py"


rule distill:
    input:
        suggestions=result("search/round-{r}/suggestions.parquet"),
        teacher_model=result("teacher/model"),
        train_features=result("data/features-train.parquet"),
        train_logits=result("teacher/logits-train.parquet"),
        transfer_features=result("data/features-transfer.parquet"),
        transfer_logits=result("teacher/logits-transfer.parquet"),
        eval_features=result("data/features-eval.parquet"),
        eval_questions=result("data/eval.parquet"),
    output:
        model=directory(result("search/round-{r}/trial-{i}/model")),
        metrics=result("search/round-{r}/trial-{i}/metrics.json"),
        curve=result("search/round-{r}/trial-{i}/curve.parquet"),
        predictions=result("search/round-{r}/trial-{i}/predictions.parquet"),
    params:
        fixed=config["search"]["fixed"],
        student=config["student"],
        teacher=config["teacher"],
        scoring=config["scoring"],
        windows={k: config["data"][k] for k in ("max_seq_length", "doc_stride", "max_query_length")},
    log:
        result("logs/distill/round-{r}-trial-{i}.log"),
    benchmark:
        result("benchmarks/distill/round-{r}-trial-{i}.tsv")
    threads: 1
    resources:
        mem_mb=6000,
        runtime=120,
    script:
        "../scripts/distill.py"


rule observe:
    input:
        suggestions=result("search/round-{r}/suggestions.parquet"),
        metrics=expand(result("search/round-{{r}}/trial-{i}/metrics.json"), i=TRIALS),
        previous=previous_observations,
    output:
        result("search/round-{r}/observations.parquet"),
    params:
        names=list(config["search"]["space"]),
    log:
        result("logs/observe/round-{r}.log"),
    benchmark:
        result("benchmarks/observe/round-{r}.tsv")
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/observe.py"
