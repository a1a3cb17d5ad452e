"""The words of a history's `status` and `origin` columns that the search reads and writes
(distilbo.records.metrics re-exports the statuses; the workflow adds origins of its own)."""

STATUS_OK, STATUS_FAILED = "ok", "failed"
# Where a suggestion came from: the study's baseline, the initial design, the surrogate-based
# acquisition, or a repeat of the baseline on purpose (its scatter is the noise).
ORIGIN_BASELINE, ORIGIN_INITIAL, ORIGIN_MODEL, ORIGIN_REPLICATE = "baseline", "initial", "model", "replicate"
