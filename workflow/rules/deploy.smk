# Deployment stage (a study that measures variants, distilbo.study.plan.measures_variants): each
# trial's ONNX fp32 and int8 files, scored beside other trials' training, then timed one after
# another once the round has trained: the round's DAG leaves nothing else to run meanwhile. The
# teacher's variants, for reference, are timed after the last round.


rule variants:
    input:
        model=L.trial("model"),
        metrics=L.trial("metrics"),
        eval_features=STUDENT_EVAL_FEATURES,
        eval_questions=L.questions("eval"),
    output:
        directory(L.deploy()),
    log:
        L.log("variants/round-{r}-trial-{i}"),
    benchmark:
        L.benchmark("variants/round-{r}-trial-{i}")
    conda:
        "../../envs/deploy.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        scoring=stated_config("scoring"),
        windows=stated_windows(),
    script:
        "../scripts/variants.py"


use rule variants as teacher_variants with:
    input:
        model=L.teacher("model"),
        metrics=L.teacher("metrics"),
        eval_features=L.features("eval"),
        eval_questions=L.questions("eval"),
    output:
        directory(L.teacher_deploy()),
    log:
        L.log("teacher_variants"),
    benchmark:
        L.benchmark("teacher_variants")
    params:
        scoring=stated_config("scoring"),
        windows=stated_windows(),
        # both variants scored the same way (the teacher's own scores had its verifier)
        rescore=True,


rule latency:
    input:
        deploy=[L.deploy("{r}", i) for i in TRIALS],
        eval_features=STUDENT_EVAL_FEATURES,
        eval_questions=L.questions("eval"),
    output:
        L.latency(),
    log:
        L.log("latency/round-{r}"),
    benchmark:
        L.benchmark("latency/round-{r}")
    conda:
        "../../envs/deploy.yaml"
    # all the cores it is given: on a workstation nothing trains while it times (threads used: deploy.threads)
    threads: workflow.cores
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        deploy=config["deploy"],
        models=lambda w: [{"round": int(w.r), "trial": i} for i in TRIALS],
    script:
        "../scripts/latency.py"


use rule latency as teacher_latency with:
    input:
        deploy=[L.teacher_deploy()],
        eval_features=L.features("eval"),
        eval_questions=L.questions("eval"),
        # after the last round: no trial trains while the teacher is timed
        after=LAST_OBSERVATIONS,
    output:
        L.teacher_latency(),
    log:
        L.log("teacher_latency"),
    benchmark:
        L.benchmark("teacher_latency")
    params:
        deploy=config["deploy"],
        models=[{"model": "teacher"}],
