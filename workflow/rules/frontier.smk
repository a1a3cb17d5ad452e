# Frontier stage: the Pareto set, the scenario picks against the baseline, exported models.

LAST_OBSERVATIONS = result(f"search/round-{config['search']['rounds'] - 1}/observations.parquet")


rule frontier:
    input:
        history=LAST_OBSERVATIONS,
        teacher=result("teacher/model"),
        teacher_metrics=result("teacher/metrics.json"),
    output:
        frontier=result("frontier/frontier.parquet"),
        scenarios=result("frontier/scenarios.parquet"),
        models=directory(result("frontier/models")),
    params:
        search={k: config["search"][k] for k in ("objectives", "fixed", "space")},
        frontier=config["frontier"],
        results=RESULTS,
    log:
        result("logs/frontier.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/frontier.py"
