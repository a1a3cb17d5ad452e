"""The study's bookkeeping: the start-up checks of its config (`config`, `validation`) and of the
files it names (`startup`), what its config makes it run (`plan`), a round's suggestions
(`suggest`), the promotions of a multi-fidelity study (`rungs`), the history (`history`), the
deployment record (`deployment`), the frontier and scenario picks (`frontier`) exported with their
model cards (`export`, `card`), which trials keep their weights (`retention`) and MLflow tracking
(`tracking`). The schema, the results paths and the metric names are records (distilbo.records).
All but `suggest` (which sizes students with transformers) and `export` need no torch, so the jobs
between rounds start fast."""
