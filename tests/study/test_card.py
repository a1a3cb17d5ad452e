"""An exported pick's model card says what happened: the loss as trained, every term with its
weight; where the weights came from; the windows and the vocabulary it was trained on."""
import re

import pandas as pd
import pytest
import yaml
from conftest import ROOT

from distilbo.records import schema
from distilbo.study.card import CardSettings, model_card

ROW = pd.Series({"scenario": "baseline", "definition": "the baseline configuration", "round": 0, "trial": 1,
                 "size_vs_baseline_pct": 0.0, "quality_vs_baseline": 0.0})


def card(settings: CardSettings, **run) -> str:
    metrics = {"num_parameters": 1000, "exact": 50.0, "n_layers": 4, "n_heads": 8, **run}
    return model_card(ROW, metrics, None, ["n_layers"], "exact", settings)


def study(student=None, windows=None, vocabulary=None, init="bert-base-uncased") -> CardSettings:
    return CardSettings(schema.completed(student or {}, "student"), init, {**schema.window_defaults(), **(windows or {})},
                        vocabulary)


def test_the_loss_names_each_term_it_trained_with_its_weight():
    text = card(study({"train": {"alpha_hidden": 0.25}}), alpha_ce=0.8, temperature=3.0)
    assert "loss = 0.8 * 3^2 * KL(teacher/3 || student/3)" in text
    assert "0.2 * cross-entropy on the gold" in text
    assert "0.25 * mean (1 - cosine) of hidden states, each student layer against the teacher layer" in text
    only_soft = card(study(), alpha_ce=1.0)
    assert "cross-entropy" not in only_soft and "hidden states" not in only_soft  # weight 0: not trained on


def test_the_trials_own_parameters_and_rung_override_the_studys_training():
    text = card(study({"train": {"max_steps": 40, "learning_rate": 1e-4}}), learning_rate=3e-4, steps=160)
    assert "Trained 160 steps" in text and "learning rate 0.0003" in text


@pytest.mark.parametrize("base,needle", [
    ("teacher", "Weights copied from the fine-tuned teacher (teacher.init 'bert-base-uncased')"),
    ("init", "Weights copied from the teacher's pretrained init 'bert-base-uncased', before its fine-tuning"),
    ("distilbert-base-uncased", "Weights copied from 'distilbert-base-uncased' (student.base)"),
])
def test_the_weights_source_is_the_one_the_study_used(base, needle):
    text = card(study({"base": base}), head_choice="importance", layer_choice="bottom")
    assert needle in text and "4 layers (the bottom ones), 8 attention heads per layer (heads of most importance" in text


def test_windows_and_vocabulary_are_as_trained():
    summary = {"kept": 15094, "vocab_size": 30522}
    text = card(study({"vocabulary": "trimmed", "vocabulary_size": 15000},
                      {"max_seq_length": 256, "doc_stride": 96, "max_query_length": 48}, summary))
    assert "windows of max_length=256 tokens, stride 96, questions cut to 48 tokens" in text
    assert "a trimmed vocabulary of 15,094 of the teacher's 30,522 tokens" in text
    assert 'max_length=256)' in text and "384" not in text
    assert "the teacher's whole vocabulary" in card(study())


@pytest.mark.slow
def test_a_smoke_models_card_reads_as_its_config(smoke):
    cfg = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    train, data = cfg["student"]["train"], cfg["data"]
    for d in sorted(d for d in (smoke / "frontier" / "models").iterdir() if d.is_dir()):
        text = (d / "README.md").read_text()
        assert f"max_length={data['max_seq_length']} tokens, stride {data['doc_stride']}, " \
               f"questions cut to {data['max_query_length']} tokens" in text
        assert f"{train['alpha_hidden']:g} * mean (1 - cosine) of hidden states" in text
        assert f"Trained {train['max_steps']} steps at batch {train['batch_size']}" in text
        assert f"teacher.init {cfg['teacher']['init']!r}" in text
        assert "heads of most importance to the teacher" in text  # search.fixed head_choice: importance
        assert re.search(rf"max_length={data['max_seq_length']}\)", text)


def test_the_card_says_what_remote_code_runs_and_how_to_load_without_it():
    text = card(study())
    assert "`trust_remote_code=True` runs Python files of this directory" in text
    assert "`pruned.py` and `families.py`" in text
    assert "`distilbo.models.loading.load_model(path)` loads either through distilbo's own classes" in text
