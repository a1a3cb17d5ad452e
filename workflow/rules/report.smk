# Report stage: reads tables only (never a model), so `--forcerun report` takes seconds.


rule report:
    input:
        unpack(study_deployment),
        history=LAST_OBSERVATIONS,
        scenarios=L.frontier("scenarios"),
        teacher_metrics=L.teacher("metrics"),
        eval_questions=L.questions("eval"),
        curves=trial_files("curve"),
        predictions=trial_files("predictions"),
        computed_importance=L.computed_importance(),
    output:
        page=L.report_page(),
        figures=[
            report(
                L.report_figure(name),
                caption=f"../report/{name}.rst",
                category="Figures",
            )
            for name in report_names(REPORT_FIGURES)
        ],
        tables=[
            report(
                L.report_table(name), caption="../report/tables.rst", category="Tables"
            )
            for name in report_names(REPORT_TABLES)
        ],
    log:
        L.log("report"),
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        **rung_params(),
        objectives=stated_config("search", "objectives"),
        fixed=stated_config("search", "fixed"),
        space=stated_config("search", "space"),
        frontier=stated_config("frontier"),
        trial_keys=TRIAL_KEYS,
        # the page links each exported pick's model card (distilbo.study.export); a function, so
        # that Snakemake leaves its {scenario} alone
        card_link=lambda w: os.path.relpath(
            os.path.join(L.frontier("models"), "{scenario}", MODEL_CARD),
            os.path.dirname(L.report_page()),
        ),
    script:
        "../scripts/report.py"


# The importance of each computed metric (a student's size) from its formula: a table, so that
# the report reads no model; the source model's config sizes the students.
rule computed_importance:
    input:
        **vocabulary_inputs("kept"),
        teacher=L.teacher("model"),
    output:
        L.computed_importance(),
    log:
        L.log("computed_importance"),
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        **student_base_params(),
        objectives=stated_config("search", "objectives"),
        fixed=stated_config("search", "fixed"),
        space=stated_config("search", "space"),
    script:
        "../scripts/computed_importance.py"


# While a study runs: a page after each observed round (distilbo.report.progress), from that
# round's tables alone, first in line once its round is observed. Each round's job also copies
# its page to L.progress_latest(), the page to keep open: no rule reads that copy.
rule progress:
    input:
        history=L.observations(),
        # the times the rounds started and ended (file times)
        started=L.suggestions(0),
        observations=lambda w: [L.observations(k) for k in range(int(w.r) + 1)],
        teacher_metrics=L.teacher("metrics"),
    output:
        L.progress_page(),
    log:
        L.log("progress/round-{r}"),
    priority: 50
    conda:
        "../../envs/analysis.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        objectives=stated_config("search", "objectives"),
        frontier=stated_config("frontier"),
        rounds=len(ROUNDS),
        latest=L.progress_latest(),
        # what the frontier's points and the trial table show of each trial
        params=list(config["search"]["space"]),
    script:
        "../scripts/progress.py"
