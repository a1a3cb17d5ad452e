# Teacher stage: fine-tune once, then store its logits on every training and transfer window.


rule finetune_teacher:
    input:
        train_features=result("data/features-train.parquet"),
        eval_features=result("data/features-eval.parquet"),
        eval_questions=result("data/eval.parquet"),
        train_questions=result("data/train.parquet"),
    output:
        model=directory(result("teacher/model")),
        metrics=result("teacher/metrics.json"),
        curve=result("teacher/curve.parquet"),
        predictions=result("teacher/predictions.parquet"),
    params:
        teacher=config["teacher"],
        scoring=config["scoring"],
        windows={k: config["data"][k] for k in ("max_seq_length", "doc_stride", "max_query_length")},
    log:
        result("logs/finetune_teacher.log"),
    threads: workflow.cores
    resources:
        mem_mb=8000,
        runtime=240,
    script:
        "../scripts/finetune_teacher.py"


rule teacher_logits:
    input:
        model=rules.finetune_teacher.output.model,
        train=result("data/features-train.parquet"),
        transfer=result("data/features-transfer.parquet"),
    output:
        train=result("teacher/logits-train.parquet"),
        transfer=result("teacher/logits-transfer.parquet"),
    log:
        result("logs/teacher_logits.log"),
    threads: workflow.cores
    resources:
        mem_mb=8000,
        runtime=120,
    script:
        "../scripts/teacher_logits.py"
