"""Does the teacher's fine-tuning repeat? The default study's recipe, run for a few steps in
separate processes: twice on one thread (the same machine, the same float order), and on two
threads (another order of the same sums, as another CPU or library build would take). Prints how
far the weights and the losses of each pair have moved apart after each number of steps.

    python benchmarks/teacher_repeat.py --results results [--steps 10,40]

Needs a default study's data stage (results/data/features-train.parquet).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

RUNS = {"1 thread": 1, "1 thread again": 1, "2 threads": 2}


def one_run(results: str, steps: int, threads: int, out: str) -> None:
    """In the child process: the teacher's recipe (config.yaml) for `steps` steps; saves the
    weights and each step's loss."""
    import pandas as pd
    import torch
    import yaml

    from distilbo.data.batches import WindowSet
    from distilbo.models.loading import load_initial
    from distilbo.records.layout import Layout
    from distilbo.training import loop

    torch.set_num_threads(threads)
    teacher = yaml.safe_load(Path("config.yaml").read_text())["teacher"]
    model, _ = load_initial(teacher["init"], seed=teacher["train"].get("seed", 0))
    data = WindowSet.from_frames(pd.read_parquet(Layout(results).features("train")), labeled=True)
    cfg = loop.TrainConfig.with_defaults(dict(teacher["train"], alpha_ce=0.0, max_steps=steps, eval_every=None))
    losses = []

    def recorded(*args, **kwargs):
        result = loop.default_loss(*args, **kwargs)
        losses.append(float(result.total))
        return result

    loop.train(model, data, cfg, loss_fn=recorded)
    weights = torch.cat([p.detach().flatten() for p in model.parameters() if p.requires_grad]).numpy()
    np.savez(out, weights=weights, losses=np.array(losses))


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        one_run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results")
    ap.add_argument("--steps", default="10,40")
    args = ap.parse_args()
    print("| steps | pair | max abs weight difference | relative L2 difference | last loss difference |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for steps in map(int, args.steps.split(",")):
            got = {}
            for name, threads in RUNS.items():
                out = str(Path(tmp) / f"{steps}-{threads}-{len(got)}.npz")
                subprocess.run([sys.executable, __file__, "--child", args.results, str(steps), str(threads), out],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                got[name] = np.load(out)
            base = got["1 thread"]
            for name in ("1 thread again", "2 threads"):
                w, b = got[name]["weights"], base["weights"]
                rel = np.linalg.norm(w - b) / np.linalg.norm(b)
                loss = abs(got[name]["losses"][-1] - base["losses"][-1])
                print(f"| {steps} | 1 thread vs {name} | {np.abs(w - b).max():.3g} | {rel:.3g} | {loss:.3g} |")


if __name__ == "__main__":
    main()
