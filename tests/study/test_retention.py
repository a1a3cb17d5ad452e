"""search.keep_models: frontier prunes only trials no later round can make a pick, and only
their weights."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from distilbo.atomic import InputError
from distilbo.search.objectives import Objective
from distilbo.study.frontier import pick_scenarios
from distilbo.study.retention import kept_trials, require_kept, retain

OBJS = [Objective("exact", "maximize", threshold=20.0), Objective("num_parameters", "minimize")]


def _history(seed, rounds=6, q=5):
    rng = np.random.default_rng(seed)
    n = rounds * q
    # coarse values: ties in size and in quality happen, as they do between real trials
    return pd.DataFrame({"round": np.repeat(np.arange(rounds), q), "trial": np.tile(np.arange(q), rounds),
                         "origin": ["baseline"] + ["bo"] * (n - 1),
                         "status": rng.choice(["ok", "ok", "ok", "failed"], n).tolist(),
                         "exact": rng.integers(0, 10, n) * 10.0, "num_parameters": rng.integers(1, 8, n) * 1e6})


@pytest.mark.parametrize("seed", range(20))
def test_no_pruned_trial_is_ever_a_later_pick(seed):
    history = _history(seed)
    history.loc[0, "status"] = "ok"
    pruned = set()
    for r in sorted(history["round"].unique()):
        upto = history[history["round"] <= r]
        kept = kept_trials(upto, OBJS, "exact", "num_parameters")
        every = set(map(tuple, upto[["round", "trial"]].to_numpy()))
        pruned |= every - kept
        picks = pick_scenarios(upto, OBJS, "exact", "num_parameters", 0.0, 1.0)
        picked = {(int(p["round"]), int(p["trial"])) for _, p in picks[picks["found"]].iterrows()}
        assert not picked & pruned, f"round {r}: picks {picked & pruned} were pruned"
    assert pruned, "the histories should give something to prune"


def _study(tmp_path, history):
    """Trial directories as a study leaves them: weights, config and tokenizer, ONNX and variants.json."""
    runs = {}
    for r, i in history[["round", "trial"]].to_numpy():
        trial = tmp_path / f"round-{r}" / f"trial-{i}"
        (trial / "model").mkdir(parents=True)
        (trial / "deploy").mkdir()
        (trial / "model" / "model.safetensors").write_bytes(b"w" * 1000)
        for name in ("config.json", "tokenizer.json", ".snakemake_timestamp"):
            (trial / "model" / name).write_text("{}")
        (trial / "deploy" / "model.onnx").write_bytes(b"o" * 500)
        (trial / "deploy" / "variants.json").write_text("{}")
        runs[f"round-{r}/trial-{i}"] = {"model": str(trial / "model"), "deploy": str(trial / "deploy")}
    path = tmp_path / "observations.parquet"
    history.to_parquet(path)
    return runs, str(path)


FRONTIER = {"quality": "exact", "size": "num_parameters"}


def test_retain_removes_only_the_weights_of_the_trials_it_does_not_keep(tmp_path):
    history = _history(3)
    runs, path = _study(tmp_path, history)
    record = retain(path, OBJS, FRONTIER, "frontier", runs, str(tmp_path / "retained.json"))
    kept = {f"round-{r}/trial-{i}" for r, i in kept_trials(history, OBJS, "exact", "num_parameters")}
    assert set(record["kept"]) == kept and set(record["pruned"]) == set(runs) - kept and record["pruned"]
    for key, run in runs.items():
        model, deploy = Path(run["model"]), Path(run["deploy"])
        assert (model / "model.safetensors").exists() == (key in kept)
        assert (deploy / "model.onnx").exists() == (key in kept)
        # what a pruned trial keeps: its config, tokenizer, variants and Snakemake's timestamp
        assert all((model / f).exists() for f in ("config.json", "tokenizer.json", ".snakemake_timestamp"))
        assert (deploy / "variants.json").exists()
    assert record["freed_mb"] == pytest.approx(len(record["pruned"]) * 1500 / 1e6)
    assert json.loads((tmp_path / "retained.json").read_text()) == record
    again = retain(path, OBJS, FRONTIER, "frontier", runs, str(tmp_path / "retained.json"))
    assert again["pruned"] == record["pruned"] and again["freed_mb"] == 0 and not again["missing"]


def test_keep_models_all_removes_nothing_and_a_removed_pick_is_named(tmp_path):
    history = _history(4)
    history.loc[0, "status"] = "ok"
    runs, path = _study(tmp_path, history)
    record = retain(path, OBJS, FRONTIER, "all", runs, str(tmp_path / "retained.json"))
    assert record["pruned"] == [] and all(Path(r["model"], "model.safetensors").exists() for r in runs.values())
    # a pick whose weights an earlier retention removed (another size metric, say) is named as such
    pick = sorted(record["kept"])[0]
    Path(runs[pick]["model"], "model.safetensors").unlink()
    record = retain(path, OBJS, FRONTIER, "all", runs, str(tmp_path / "retained.json"))
    assert record["missing"] == [pick]
    with pytest.raises(InputError, match=rf"retained.json: the scenario pick {pick} has no weights: search.keep_models"):
        require_kept(pick, runs[pick]["model"], str(tmp_path / "retained.json"))
    require_kept(sorted(record["kept"])[1], runs[sorted(record["kept"])[1]]["model"], str(tmp_path / "retained.json"))
    with pytest.raises(ValueError, match="search.keep_models is 'some': expected one of all, frontier"):
        retain(path, OBJS, FRONTIER, "some", runs, str(tmp_path / "retained.json"))
