"""The study: its config (schema, defaults, start-up checks), every results path (`layout`), what a
run records (`metrics`), the history (`history`), the rungs of a multi-fidelity study (`rungs`), a
round's suggestions (`suggest`), the frontier and scenario picks (`frontier`), which trials keep
their weights (`retention`) and MLflow tracking (`tracking`). All but `suggest` (which sizes
students with transformers) is bookkeeping: no torch, so the jobs between rounds start fast."""
