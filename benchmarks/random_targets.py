"""Training windows with random soft targets, for the speed benchmarks (distill_speed.py,
step_speed.py): a step's speed does not depend on the teacher's logits, so no teacher stage is needed."""
from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = "results/data/features-train.parquet"  # `snakemake --cores 2 results/data/eval.parquet`


def windows_with_random_targets(features: str = FEATURES, seed: int = 0):
    from distilbo.data.batches import WindowSet

    windows = pd.read_parquet(features)
    rng = np.random.default_rng(seed)
    lengths = [len(x) for x in windows["input_ids"]]
    logits = pd.DataFrame({"feature_id": windows["feature_id"],
                           "start_logits": [rng.normal(size=n).astype(np.float32) for n in lengths],
                           "end_logits": [rng.normal(size=n).astype(np.float32) for n in lengths]})
    return WindowSet.from_frames(windows, labeled=True, logits=logits)
