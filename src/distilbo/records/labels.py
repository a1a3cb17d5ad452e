"""The words of a history's `status` and `origin` columns, and of the suggestions and promotions
tables: every one is written here and nowhere else (distilbo.records.metrics re-exports the
statuses a run records)."""

# How a trial ended. skipped: a promotion slot of a multi-fidelity round that found nothing worth
# promoting (no run, no history row).
STATUS_OK, STATUS_FAILED, STATUS_SKIPPED = "ok", "failed", "skipped"
# Where a suggestion came from: the study's baseline, the initial design, the surrogate-based
# acquisition, or a repeat of the baseline on purpose (its scatter is the noise).
ORIGIN_BASELINE, ORIGIN_INITIAL, ORIGIN_MODEL, ORIGIN_REPLICATE = "baseline", "initial", "model", "replicate"
# A trial of a finished study a new one learns from (search.warm_start), before its round 0.
ORIGIN_WARM_START = "warm_start"
# A multi-fidelity slot's trial continues a lower rung's (distilbo.study.rungs); "none": a slot that
# promoted nothing.
ORIGIN_PROMOTION, ORIGIN_NO_PROMOTION = "promotion", "none"
# A history row that is another deployment variant of a trial (its other precision).
ORIGIN_VARIANT = "variant"
