# Frontier stage: the Pareto set, the scenario picks against the baseline, exported models.


rule frontier:
    input:
        unpack(study_deployment),
        # the model cards say what vocabulary the picks kept
        **vocabulary_inputs("summary"),
        history=LAST_OBSERVATIONS,
        # which trials kept their weights (search.keep_models)
        retained=L.retained(ROUNDS[-1]),
        teacher_metrics=L.teacher("metrics"),
        # the exported picks are copied from here: every trial, since any may be picked
        models=trial_files("model"),
        metrics=trial_files("metrics"),
    output:
        frontier=L.frontier("frontier"),
        scenarios=L.frontier("scenarios"),
        models=directory(L.frontier("models")),
    log:
        L.log("frontier"),
    conda:
        "../../envs/deploy.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        objectives=stated_config("search", "objectives"),
        params=list(config["search"]["space"]),
        frontier=stated_config("frontier"),
        trial_keys=TRIAL_KEYS,
        # what every pick's model card states (distilbo.study.card)
        student=stated_config("student"),
        teacher_init=config["teacher"]["init"],
        windows=stated_windows(),
    script:
        "../scripts/frontier.py"
