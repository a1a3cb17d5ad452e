"""Trimmed vocabularies (distilbo.data.vocabulary; the embedding rows: distilbo.models.vocabulary; the
stage: distilbo.stages.vocabulary): the same windows in new ids, a fallback for unseen words, and
trimmed students of every family that load and answer without distilbo."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from tiny_models import TOKENIZERS, tiny_model, train_tokenizer

from distilbo.data import squad
from distilbo.data.vocabulary import KEPT_COLUMN, kept_ids, ranked_ids, remap_windows, save_trimmed_tokenizer, used_ids
from distilbo.models.loading import num_parameters, save_model
from distilbo.models.students import ParameterCounter
from distilbo.models.vocabulary import trim_model
from distilbo.stages.vocabulary import write_vocabulary

LABELED = "../shared/data/squad_v2/labeled-v2.0.json"


@pytest.fixture(scope="module")
def questions():
    from pathlib import Path

    from conftest import ROOT

    table = squad.questions_from_json(Path(ROOT / LABELED))
    return table[table["title"].isin(table["title"].unique()[:2])].reset_index(drop=True)


@pytest.fixture(scope="module")
def texts(questions):
    return list(questions["context"].unique()) + list(questions["question"])


def _windows(tokenizer, questions):
    return squad.build_windows(tokenizer, questions, squad.WindowConfig.from_dict({"max_seq_length": 96, "max_query_length": 32,
                                                                                     "doc_stride": 32}))


@pytest.mark.parametrize("kind", ["wordpiece", "bpe", "unigram"])
def test_a_trimmed_tokenizer_makes_every_training_window_again_in_new_ids(kind, texts, questions, tmp_path):
    tokenizer = train_tokenizer(kind, texts)
    train, other = questions.iloc[:40], questions.iloc[40:]
    windows = _windows(tokenizer, train)
    kept = kept_ids(tokenizer, used_ids(windows["input_ids"]))
    assert len(kept) < len(tokenizer)  # something was trimmed
    trimmed = save_trimmed_tokenizer(tokenizer, kept, str(tmp_path / "tok"))
    again = _windows(trimmed, train)
    new = {int(old): n for n, old in enumerate(kept)}
    assert len(again) == len(windows)
    for a, b in zip(windows["input_ids"], again["input_ids"]):
        assert [new[int(i)] for i in a] == list(b)
    np.testing.assert_array_equal(windows["start_position"], again["start_position"])
    # an unseen word of seen characters is spelled with kept pieces, not the unknown token
    word = "zqxjvk"[: 3] + "".join(sorted(set("".join(train["question"])) & set("abcdefghij")))
    ids = trimmed(word, add_special_tokens=False)["input_ids"]
    assert ids and trimmed.unk_token_id not in ids
    assert trimmed.decode(ids).replace(" ", "") == word  # every kind: the word is lower case already
    assert len(_windows(trimmed, other))  # other text tokenizes too


@pytest.mark.parametrize("kind", ["wordpiece", "bpe", "unigram"])
def test_a_vocabulary_size_keeps_the_most_frequent_others_and_the_same_windows(kind, texts, questions, tmp_path):
    tokenizer = train_tokenizer(kind, texts)
    train, other = questions.iloc[:40], questions.iloc[40:]
    windows = _windows(tokenizer, train)
    used = used_ids(windows["input_ids"])
    own = kept_ids(tokenizer, used)
    size = len(own) + 50
    kept = kept_ids(tokenizer, used, size=size)
    assert len(kept) >= size and set(own) <= set(kept)
    model = json.loads(tokenizer.backend_tokenizer.to_str())["model"]
    others = [i for i in ranked_ids(model) if i not in set(own)]
    assert set(others[:50]) <= set(kept)  # the top-ranked others, not any others
    trimmed = save_trimmed_tokenizer(tokenizer, kept, str(tmp_path / "tok"))
    new = {int(old): n for n, old in enumerate(kept)}
    for a, b in zip(windows["input_ids"], _windows(trimmed, train)["input_ids"]):
        assert [new[int(i)] for i in a] == list(b)
    unseen = np.concatenate(list(_windows(tokenizer, other)["input_ids"]))
    assert (~np.isin(unseen, kept)).sum() < (~np.isin(unseen, own)).sum()  # fewer fall back


def test_the_frequency_rank_puts_scores_first_and_placeholders_and_letters_last():
    unigram = {"type": "Unigram", "vocab": [["<unk>", 0.0], ["\u2581a", -2.0], ["\u2581the", -1.0], ["ing", -3.0],
                                            ["<unused0>", -0.5], ["x", -0.1]]}
    assert ranked_ids(unigram) == [0, 2, 3, 5, 1]  # by score, the one-letter "x" and "▁a" last
    wordpiece = {"type": "WordPiece", "continuing_subword_prefix": "##",
                 "vocab": {"[PAD]": 0, "[unused0]": 1, "a": 2, "##a": 3, "the": 4, "##ing": 5, "of": 6}}
    assert ranked_ids(wordpiece) == [0, 4, 5, 6, 2, 3]


def test_remapped_windows_refuse_a_token_that_was_not_kept(texts, questions):
    from distilbo.data.batches import WindowSet
    from distilbo.data.vocabulary import VocabularyError

    tokenizer = train_tokenizer("wordpiece", texts)
    windows = _windows(tokenizer, questions.iloc[:20])
    data = WindowSet.from_frames(windows, labeled=True)
    kept = kept_ids(tokenizer, used_ids(windows["input_ids"]))
    mapped = remap_windows(data, kept)
    assert all(np.array_equal(kept[m], np.asarray(o)) for m, o in zip(mapped.input_ids, data.input_ids))
    with pytest.raises(VocabularyError, match="does not keep"):
        remap_windows(data, kept[kept != int(data.input_ids[0][5])])


def test_the_vocabulary_stage_never_reads_the_eval_questions_tokens(texts, questions, tmp_path):
    tokenizer = train_tokenizer("bpe", texts)
    train, evaluation = questions.iloc[:30], questions.iloc[30:]
    paths = {}
    for name, table in (("train", train), ("eval", evaluation)):
        paths[name] = str(tmp_path / f"features-{name}.parquet")
        _windows(tokenizer, table).to_parquet(paths[name])
    evaluation.to_parquet(tmp_path / "eval.parquet")
    out = {k: str(tmp_path / "vocab" / k) for k in ("kept", "tokenizer", "eval_features", "summary")}
    summary = write_vocabulary(tokenizer, [paths["train"]], str(tmp_path / "eval.parquet"),
                               {"max_seq_length": 96, "doc_stride": 32, "max_query_length": 32}, [], out, paths["eval"])
    kept = pd.read_parquet(out["kept"])[KEPT_COLUMN].to_numpy()
    np.testing.assert_array_equal(kept, kept_ids(tokenizer, used_ids(_windows(tokenizer, train)["input_ids"])))
    assert summary["kept"] == len(kept) and summary["eval_tokens_not_kept"] > 0
    assert json.loads(open(out["summary"]).read()) == summary
    assert max(int(np.max(x)) for x in pd.read_parquet(out["eval_features"])["input_ids"]) < len(kept)


LOAD_ALONE = """
import sys
sys.modules["distilbo"] = None  # distilbo cannot be imported
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer
tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])
model = AutoModelForQuestionAnswering.from_pretrained(sys.argv[1]).eval()
enc = tokenizer("Who fought?", "The Normans fought the Saxons.", return_tensors="pt")
with torch.no_grad():
    out = model(**enc)
print(len(tokenizer), model.config.vocab_size, int(enc["input_ids"].max()), tuple(out.start_logits.shape))
"""


@pytest.mark.parametrize("model_type", sorted(TOKENIZERS))
def test_a_trimmed_student_of_each_family_loads_and_answers_without_distilbo(model_type, texts, tmp_path):
    tokenizer = train_tokenizer(TOKENIZERS[model_type], texts)
    model = tiny_model(model_type, vocab_size=len(tokenizer))
    kept = kept_ids(tokenizer, used_ids([tokenizer(t)["input_ids"] for t in texts[:5]]))
    trimmed = save_trimmed_tokenizer(tokenizer, kept, str(tmp_path / "tok"))
    trim_model(model, kept)
    config = model.config.to_dict()
    config["vocab_size"] = len(tokenizer)
    untrimmed = type(model.config).from_dict(config)
    untrimmed.vocab_size = len(kept)
    assert num_parameters(model) == ParameterCounter(untrimmed)({"n_layers": 4, "n_heads": 4})  # sized exactly
    save_model(model, trimmed, tmp_path / "student")
    res = subprocess.run([sys.executable, "-c", LOAD_ALONE, str(tmp_path / "student")], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    n_tokens, vocab_size, top_id, shape = res.stdout.split(maxsplit=3)
    assert int(n_tokens) == int(vocab_size) == len(kept) and int(top_id) < len(kept)


def test_the_onnx_variants_of_a_trimmed_student_take_its_ids(texts, questions, tmp_path):
    from distilbo.data.batches import WindowSet
    from distilbo.deploy.onnx import OnnxReader, export_onnx, quantize_int8
    from distilbo.qa.inference import predict_logits

    tokenizer = train_tokenizer("wordpiece", texts)
    windows = _windows(tokenizer, questions.iloc[:10])
    kept = kept_ids(tokenizer, used_ids(windows["input_ids"]))
    trimmed = save_trimmed_tokenizer(tokenizer, kept, str(tmp_path / "tok"))
    model = trim_model(tiny_model("bert", vocab_size=len(tokenizer)), kept)
    data = WindowSet.from_frames(_windows(trimmed, questions.iloc[:10]), labeled=True)
    assert max(int(np.max(x)) for x in data.input_ids) < len(kept) < len(tokenizer)
    fp32 = export_onnx(model, tmp_path / "model.onnx")
    torch_start = np.concatenate(predict_logits(model, data)[0])
    np.testing.assert_allclose(np.concatenate(predict_logits(OnnxReader(fp32), data)[0]), torch_start, atol=1e-4)
    int8 = np.concatenate(predict_logits(OnnxReader(quantize_int8(fp32, tmp_path / "int8.onnx")), data)[0])
    assert np.corrcoef(int8, torch_start)[0, 1] > 0.9
