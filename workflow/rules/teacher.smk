# Teacher stage: fine-tune once, then store its logits on every training and transfer window
# and the importance of its attention heads.


rule finetune_teacher:
    input:
        train_features=L.features("train"),
        eval_features=L.features("eval"),
        eval_questions=L.questions("eval"),
        train_questions=L.questions("train"),
    output:
        model=directory(L.teacher("model")),
        metrics=L.teacher("metrics"),
        curve=L.teacher("curve"),
        predictions=L.teacher("predictions"),
    log:
        L.log("finetune_teacher"),
    conda:
        "../../envs/train.yaml"
    threads: workflow.cores
    resources:
        mem_mb=8000,
        runtime=240,
    params:
        teacher=stated_config("teacher"),
        scoring=stated_config("scoring"),
        windows=stated_windows(),
    script:
        "../scripts/finetune_teacher.py"


rule teacher_logits:
    input:
        model=rules.finetune_teacher.output.model,
        features=[L.features(s) for s in LOGIT_SPLITS],
    output:
        logits=[L.teacher_logits(s) for s in LOGIT_SPLITS],
    log:
        L.log("teacher_logits"),
    conda:
        "../../envs/train.yaml"
    threads: workflow.cores
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        splits=list(LOGIT_SPLITS),
    script:
        "../scripts/teacher_logits.py"


rule head_importance:
    input:
        model=rules.finetune_teacher.output.model,
        train_features=L.features("train"),
    output:
        L.head_importance(),
    log:
        L.log("head_importance"),
    conda:
        "../../envs/train.yaml"
    threads: workflow.cores
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../scripts/head_importance.py"
