# Search stage: R rounds of suggest -> distill (q trials in parallel) -> observe, as a static DAG.
# With search.overlap k a round is suggested while the k rounds before it still train: its suggest
# job reads the observations up to k + 1 rounds back and those rounds' suggestions, as pending.


wildcard_constraints:
    r=r"\d+",
    i=r"\d+",
    rung=r"\d+",


rule suggest:
    input:
        **vocabulary_inputs("kept"),
        teacher=L.teacher("model"),
        teacher_metrics=L.teacher("metrics"),
        history=suggest_history,
        pending=pending_suggestions,
        # earlier studies' observations (search.warm_start)
        warm_start=config["search"]["warm_start"],
    output:
        L.suggestions(),
    log:
        L.log("suggest/round-{r}"),
    benchmark:
        L.benchmark("suggest/round-{r}")
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        **warm_start_params(),
        **student_base_params(),
        # all but what suggestions do not read: raising rounds must not make finished rounds
        # look changed, nor a retention change retrain them
        search=stated_search("search"),
    script:
        "../scripts/suggest.py"


# A promotion slot also reads its parent's training state (distilbo.records.layout.STATE_FILE), which
# the promotions table names: the parent is chosen at run time, so a static DAG cannot declare it.
rule distill:
    input:
        **vocabulary_inputs("kept", "tokenizer"),
        suggestions=L.suggestions(),
        promotions=trial_promotions,
        teacher_model=L.teacher("model"),
        train_features=L.features("train"),
        train_logits=L.teacher_logits("train"),
        transfer_features=L.features("transfer"),
        transfer_logits=L.teacher_logits("transfer"),
        head_importance=head_importance_inputs,
        eval_features=STUDENT_EVAL_FEATURES,
        eval_questions=L.questions("eval"),
    output:
        model=directory(L.trial("model")),
        metrics=L.trial("metrics"),
        curve=L.trial("curve"),
        predictions=L.trial("predictions"),
    log:
        L.log("distill/round-{r}-trial-{i}"),
    benchmark:
        L.benchmark("distill/round-{r}-trial-{i}")
    conda:
        "../../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=6000,
        runtime=120,
    params:
        **rung_params(),
        fixed=stated_config("search", "fixed"),
        student=stated_config("student"),
        teacher=stated_config("teacher"),
        scoring=stated_config("scoring"),
        windows=stated_windows(),
    script:
        "../scripts/distill.py"


# search.fidelity: which trials of rung k-1 (all rounds so far) the round's slots continue to rung
# k, chosen when they have been measured; the slots' jobs are in the DAG from the start.
rule promote:
    input:
        teacher_metrics=L.teacher("metrics"),
        candidates=rung_candidates,
        history=promotion_history,
        earlier=lambda w: [L.promotions(r, w.rung) for r in range(int(w.r))],
    output:
        L.promotions(),
    log:
        L.log("promote/round-{r}-rung-{rung}"),
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        **rung_params(),
        # the acquisition that ranks promotions by expected top-rung gain (the round's)
        acquisition=config["search"]["acquisition"],
        objectives=stated_config("search", "objectives"),
        slots=lambda w: [i for i in TRIALS if RUNGS[i] == int(w.rung)],
        # the surrogates' inputs, for promotions by expected top-rung gain
        space=(
            stated_config("search", "space")
            if promote_by(config["search"]) == "top_gain"
            else None
        ),
    script:
        "../scripts/promote.py"


rule observe:
    input:
        unpack(round_deployment),
        suggestions=L.suggestions(),
        metrics=[L.trial("metrics", "{r}", i) for i in TRIALS],
        promotions=round_promotions,
        previous=previous_observations,
    output:
        L.observations(),
    log:
        L.log("observe/round-{r}"),
    benchmark:
        L.benchmark("observe/round-{r}")
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        **rung_params(),
        names=list(config["search"]["space"]),
        fixed=stated_config("search", "fixed"),
        precisions=history_precisions(config["search"]),
    script:
        "../scripts/observe.py"


# search.keep_models: frontier removes the weights of trials that can never be picked, after each
# round (distilbo.study.retention); with `all` it records that every trial keeps them. Each round's
# follows the one before, so that every round's runs, one at a time.
rule retain:
    input:
        history=L.observations(),
        previous=lambda w: [L.retained(int(w.r) - 1)] if int(w.r) > 0 else [],
        teacher_metrics=L.teacher("metrics"),
        models=lambda w: [L.trial("model", r, i) for r, i in trials_so_far(w)],
        deploy=lambda w: (
            [L.deploy(r, i) for r, i in trials_so_far(w)] if MEASURES_VARIANTS else []
        ),
    output:
        L.retained(),
    log:
        L.log("retain/round-{r}"),
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        keep_models=config["search"]["keep_models"],
        objectives=stated_config("search", "objectives"),
        plane={k: config["frontier"][k] for k in ("quality", "size")},
        trial_keys=lambda w: [trial_key(r, i) for r, i in trials_so_far(w)],
    script:
        "../scripts/retain.py"
