# Report stage: reads tables only (never a model), so `--forcerun report` takes seconds.

TRIAL_KEYS = [f"round-{r}/trial-{i}" for r in ROUNDS for i in TRIALS]
REPORT_FIGURES = ["frontier", "hypervolume", "importance", "parallel", "curves", "errors"]
REPORT_TABLES = ["trials", "frontier", "scenarios", "hypervolume", "importance", "errors_by_article"]


rule report:
    input:
        history=LAST_OBSERVATIONS,
        scenarios=result("frontier/scenarios.parquet"),
        teacher_metrics=result("teacher/metrics.json"),
        eval_questions=result("data/eval.parquet"),
        curves=[result(f"search/{k}/curve.parquet") for k in TRIAL_KEYS],
        predictions=[result(f"search/{k}/predictions.parquet") for k in TRIAL_KEYS],
    output:
        page=result("report/index.html"),
        figures=[
            report(result(f"report/figures/{name}.png"), caption=f"../report/{name}.rst", category="Figures")
            for name in REPORT_FIGURES
        ],
        tables=[
            report(result(f"report/tables/{name}.csv"), caption="../report/tables.rst", category="Tables")
            for name in REPORT_TABLES
        ],
    params:
        search={k: config["search"][k] for k in ("objectives", "fixed", "space")},
        frontier=config["frontier"],
        trial_keys=TRIAL_KEYS,
    log:
        result("logs/report.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/report.py"
