"""Every supported model family through the one seam (distilbo.models.families): students cut from
a tiny random teacher of each, their exact size, their logits, loading without distilbo, head
importance, ONNX."""

import itertools
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from tiny_models import tiny_config, tiny_model

from distilbo.models.families import SUPPORTED, UnsupportedFamily, family_of, kept_heads
from distilbo.models.loading import num_parameters
from distilbo.models.students import StudentShape, build_student, count_parameters

NO_DROPOUT = dict(dropout=0.0, attention_dropout=0.0, qa_dropout=0.0)


def ids(batch=2, length=12, seed=0):
    return torch.randint(5, 500, (batch, length), generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module", params=SUPPORTED)
def teacher(request):
    return tiny_model(request.param)


@pytest.mark.parametrize("n_layers, n_heads, choice", list(itertools.product([1, 3, 6], [1, 3, 4], ["even", "bottom"])))
def test_count_equals_the_built_student(teacher, n_layers, n_heads, choice):
    shape = StudentShape(n_layers, n_heads, pruning_seed=n_layers, layer_choice=choice)
    student = build_student(teacher, shape)
    assert num_parameters(student) == count_parameters(teacher.config, {"n_layers": n_layers, "n_heads": n_heads})
    assert (kept_heads(student.config) is not None) == (n_heads < 4)
    assert len(family_of(student.config).layer_list(student)) == n_layers


def test_a_student_keeping_everything_gives_the_teachers_logits(teacher):
    student = build_student(teacher, StudentShape(4, 4, **NO_DROPOUT)).eval()
    x = ids()
    mask = torch.ones_like(x)
    mask[1, 9:] = 0  # padding too
    with torch.no_grad():
        a, b = teacher(input_ids=x, attention_mask=mask), student(input_ids=x, attention_mask=mask)
    assert torch.equal(a.start_logits, b.start_logits) and torch.equal(a.end_logits, b.end_logits)
    assert type(student) is type(teacher)  # every head kept: the family's own class


def test_a_pruned_student_keeps_the_drawn_heads_weights(teacher):
    family = family_of(teacher.config)
    student = build_student(teacher, StudentShape(2, 3, pruning_seed=5, layer_choice="even"))
    kept = kept_heads(student.config)
    size = 8  # 32 / 4
    prefix = family.layer_prefix(teacher)
    src, dst = teacher.state_dict(), student.state_dict()
    name = f"{family.projections[0]}.weight"
    rows = torch.cat([torch.arange(h * size, (h + 1) * size) for h in kept[1]])
    rows = torch.cat([rows + c * 4 * size for c in range(family.fused)])
    torch.testing.assert_close(dst[f"{prefix}1.{name}"], src[f"{prefix}3.{name}"][rows])  # layer 1 <- teacher 3
    with torch.no_grad():
        out = student.eval()(input_ids=ids(), output_hidden_states=True)
    assert len(out.hidden_states) == 3 and torch.isfinite(out.start_logits).all()


LOAD_WITHOUT_DISTILBO = """
import sys, torch
sys.modules["distilbo"] = None  # importing distilbo fails here
from transformers import AutoModelForQuestionAnswering
m = AutoModelForQuestionAnswering.from_pretrained(sys.argv[1], trust_remote_code=True).eval()
x = torch.arange(5, 17).unsqueeze(0)
print(" ".join(f"{v:.5f}" for v in m(input_ids=x).start_logits[0].tolist()))
"""


def test_a_pruned_student_loads_without_distilbo_and_through_it_without_remote_code(teacher, tmp_path):
    from distilbo.models.loading import load_model

    student = build_student(teacher, StudentShape(3, 2, pruning_seed=2, **NO_DROPOUT)).eval()
    type(student).register_for_auto_class("AutoModelForQuestionAnswering")  # as save_model does
    student.save_pretrained(tmp_path / "model")
    res = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_DISTILBO, str(tmp_path / "model")], capture_output=True,
                         text=True, cwd=tmp_path, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr[-3000:]
    x = torch.arange(5, 17).unsqueeze(0)
    with torch.no_grad():
        expected = student(input_ids=x).start_logits[0]
    torch.testing.assert_close(torch.tensor([float(v) for v in res.stdout.split()]), expected, atol=1e-4, rtol=1e-4)
    before = {m for m in sys.modules if m.startswith("transformers_modules")}
    loaded = load_model(tmp_path / "model").eval()
    assert {m for m in sys.modules if m.startswith("transformers_modules")} == before  # no remote code ran
    with torch.no_grad():
        torch.testing.assert_close(loaded(input_ids=x).start_logits[0], expected)


def test_head_importance_of_every_family(teacher):
    from distilbo.data.batches import WindowSet
    from distilbo.training.importance import head_importance

    rng = np.random.default_rng(0)
    n = 12
    data = WindowSet(input_ids=[rng.integers(5, 500, 10 + i % 3) for i in range(n)], token_type_ids=None,
                     start_positions=rng.integers(0, 9, n), end_positions=rng.integers(0, 9, n),
                     labeled=np.ones(n, bool))
    imp = head_importance(teacher, data, n_batches=2, batch_size=4)
    assert imp.shape == (4, 4) and np.all(imp >= 0)
    np.testing.assert_allclose(np.linalg.norm(imp, axis=1), 1.0, rtol=1e-5)
    assert len(set(np.round(imp.ravel(), 6))) > 4  # heads differ


def test_every_family_exports_to_onnx_fp32_and_int8(teacher, tmp_path):
    from distilbo.deploy.onnx import OnnxReader, export_onnx, quantize_int8

    student = build_student(teacher, StudentShape(2, 3, pruning_seed=1, **NO_DROPOUT)).eval()
    fp32 = export_onnx(student, tmp_path / "model.onnx")
    int8 = quantize_int8(fp32, tmp_path / "model-int8.onnx")
    x = ids(batch=1, length=20, seed=3)
    feeds = {"input_ids": x, "attention_mask": torch.ones_like(x), "token_type_ids": torch.zeros_like(x)}
    with torch.no_grad():
        expected = student(input_ids=x).start_logits
    reader = OnnxReader(fp32)
    torch.testing.assert_close(reader(**feeds).start_logits, expected, atol=1e-4, rtol=1e-4)
    assert torch.isfinite(OnnxReader(int8)(**feeds).start_logits).all()
    takes_types = "token_type_ids" in reader.input_names
    assert takes_types == (teacher.config.model_type in ("bert", "electra"))


def test_an_unsupported_family_is_refused_naming_it(tmp_path):
    from transformers import AlbertConfig

    from distilbo.models.loading import load_config

    with pytest.raises(UnsupportedFamily, match=r"model_type 'albert'.*bert, roberta"):
        family_of(AlbertConfig())
    AlbertConfig(vocab_size=100).save_pretrained(tmp_path)
    with pytest.raises(UnsupportedFamily, match="'albert'"):
        load_config(str(tmp_path))
    with pytest.raises(UnsupportedFamily):
        count_parameters(AlbertConfig(), {"n_layers": 2, "n_heads": 2})


def test_modernbert_students_keep_each_layers_attention_type():
    teacher = tiny_model("modernbert", num_hidden_layers=6)  # global every 2: full, sliding, full, ...
    assert teacher.config.layer_types[:2] == ["full_attention", "sliding_attention"]
    student = build_student(teacher, StudentShape(3, 4, layer_choice="even"))  # layers 0, 3, 5
    assert student.config.layer_types == [teacher.config.layer_types[t] for t in (0, 3, 5)]
    assert [layer.attention_type for layer in student.model.layers] == student.config.layer_types


def test_tiny_configs_are_the_families_own():
    for model_type in SUPPORTED:
        assert tiny_config(model_type).model_type == model_type


@pytest.fixture(scope="module")
def squad_sample():
    from conftest import SHARED_DATA
    from tiny_models import squad_texts

    from distilbo.data import squad

    questions = squad.questions_from_json(SHARED_DATA / "labeled-v2.0.json")
    return squad_texts(SHARED_DATA / "labeled-v2.0.json"), questions[~questions["is_impossible"]].head(300)


@pytest.mark.parametrize("kind", ["wordpiece", "bpe", "bpe-cls", "unigram", "unigram-cls"])
def test_windows_of_every_tokenizer_kind_give_back_the_gold_answers(squad_sample, kind):
    """Byte-level BPE and SentencePiece tokens carry the space before their word: the windows'
    offsets must not, so that an answer cut from them is the gold text (up to the tokenizer's grain)."""
    from tiny_models import train_tokenizer

    from distilbo.data import squad
    from distilbo.data.batches import WindowSet
    from distilbo.qa.scoring import normalize_answer

    texts, questions = squad_sample
    tokenizer = train_tokenizer(kind, texts)
    windows = squad.build_windows(tokenizer, questions, squad.WindowConfig.from_dict(
        {"max_seq_length": 192, "doc_stride": 64, "max_query_length": 48}))
    assert ("token_type_ids" in windows) == ("token_type_ids" in tokenizer.model_input_names)
    assert WindowSet.from_frames(windows, labeled=True).pad_id == tokenizer.pad_token_id
    context, gold = dict(zip(questions["id"], questions["context"])), dict(zip(questions["id"], questions["answer_texts"]))
    found = windows[windows["start_position"] > 0]
    assert found["example_id"].nunique() > 0.9 * len(questions)
    for w in found.itertuples():
        text = context[w.example_id][w.offset_start[w.start_position]:w.offset_end[w.end_position]]
        assert text == text.lstrip() and normalize_answer(text) == normalize_answer(gold[w.example_id][0]), w.example_id


def _study(**changes):
    from conftest import load

    return load(**changes)


def test_a_study_with_an_unsupported_or_remote_code_teacher_stops_at_start_up(tmp_path):
    from transformers import AlbertConfig

    from distilbo.study.config import ConfigError, check_config

    AlbertConfig(vocab_size=100).save_pretrained(tmp_path / "albert")
    with pytest.raises(ConfigError, match=r"teacher\.init.*model_type 'albert'.*supported.*deberta-v2"):
        check_config(_study(teacher__init=str(tmp_path / "albert")))
    config = tiny_config("bert")
    config.auto_map = {"AutoModelForQuestionAnswering": "planted.Model"}
    config.save_pretrained(tmp_path / "planted")
    with pytest.raises(ConfigError, match=r"planted.*config\.json has an auto_map"):
        check_config(_study(teacher__init=str(tmp_path / "planted")))


def test_a_student_base_must_tokenize_as_the_teacher(squad_sample, tmp_path):
    from tiny_models import train_tokenizer

    from distilbo.study.config import ConfigError, check_config

    texts, _ = squad_sample
    wordpiece, bpe = train_tokenizer("wordpiece", texts), train_tokenizer("bpe", texts)
    for name, model_type, tokenizer in (("teacher", "bert", wordpiece), ("same", "distilbert", wordpiece),
                                        ("other", "roberta", bpe)):
        tiny_model(model_type).save_pretrained(tmp_path / name)
        tokenizer.save_pretrained(tmp_path / name)
    fixed = {"pruning_seed": 1, "head_choice": "random"}
    check_config(_study(teacher__init=str(tmp_path / "teacher"), student__base=str(tmp_path / "same"),
                        search__fixed=fixed))
    with pytest.raises(ConfigError, match=r"student\.base .*other.* and teacher\.init .*teacher.* tokenize differently"):
        check_config(_study(teacher__init=str(tmp_path / "teacher"), student__base=str(tmp_path / "other"),
                            search__fixed=fixed))
    with pytest.raises(ConfigError, match="head_choice importance"):
        check_config(_study(teacher__init=str(tmp_path / "teacher"), student__base=str(tmp_path / "same")))


def test_a_distilbert_student_cut_from_another_base_learns_under_a_bert_teacher(tmp_path):
    """The reference study's students: DistilBERT blocks, beyond its depth random, QA head random."""
    from distilbo.models.pruned import PRUNED

    base = tiny_model("distilbert")
    student = build_student(base, StudentShape(6, 3, pruning_seed=1, layer_choice="bottom"))
    assert isinstance(student, PRUNED["distilbert"]) and len(student.distilbert.transformer.layer) == 6
    torch.testing.assert_close(student.distilbert.transformer.layer[3].ffn.lin1.weight,
                               base.distilbert.transformer.layer[3].ffn.lin1.weight)
    assert num_parameters(student) == count_parameters(base.config, {"n_layers": 6, "n_heads": 3})


def test_deberta_v2_without_shared_keys_cuts_its_relative_position_projections_too():
    teacher = tiny_model("deberta-v2", share_att_key=False)
    assert teacher.deberta.encoder.layer[0].attention.self.pos_key_proj is not None
    full = build_student(teacher, StudentShape(4, 4, **NO_DROPOUT)).eval()
    with torch.no_grad():
        assert torch.equal(full(input_ids=ids()).start_logits, teacher(input_ids=ids()).start_logits)
    pruned = build_student(teacher, StudentShape(2, 2, pruning_seed=3, **NO_DROPOUT)).eval()
    assert pruned.deberta.encoder.layer[1].attention.self.pos_key_proj.out_features == 16
    assert num_parameters(pruned) == count_parameters(teacher.config, {"n_layers": 2, "n_heads": 2})


def test_students_of_distilbo_0_1_load_with_their_head_counts(tmp_path):
    """Before the families seam, a pruned BERT's config named heads_per_layer (its heads renumbered
    from 0) and its class pruned_bert.PrunedBertForQuestionAnswering."""
    import json

    from distilbo.models.loading import load_model

    teacher = tiny_model("bert")
    importance = np.tile(np.arange(4, 0, -1, dtype=float), (4, 1))  # heads 0 and 1 matter most
    student = build_student(teacher, StudentShape(2, 2, head_choice="importance", **NO_DROPOUT), importance).eval()
    assert kept_heads(student.config) == [[0, 1], [0, 1]]
    student.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    del config["kept_heads"]
    config.update(heads_per_layer=[2, 2], attention_head_size=8,
                  auto_map={"AutoModelForQuestionAnswering": "pruned_bert.PrunedBertForQuestionAnswering"})
    (tmp_path / "config.json").write_text(json.dumps(config))
    with torch.no_grad():
        torch.testing.assert_close(load_model(tmp_path).eval()(input_ids=ids()).start_logits,
                                   student(input_ids=ids()).start_logits)


def test_a_planted_auto_map_never_runs_when_distilbo_answers(tmp_path, tokenizer):
    """A model directory whose config names a class of its own: distilbo answers with its own classes
    (the answer the weights give without the auto_map), and builds the planted class only when the
    user opts in."""
    import distilbo

    model = tiny_model("bert", vocab_size=tokenizer.vocab_size)
    for d in (tmp_path / "plain", tmp_path / "planted"):
        model.save_pretrained(d)
        tokenizer.save_pretrained(d)
    marker = tmp_path / "built"
    (tmp_path / "planted" / "planted.py").write_text(
        "from transformers import BertForQuestionAnswering\n"
        "class Model(BertForQuestionAnswering):\n"
        "    def __init__(self, config):\n"
        f"        open({str(marker)!r}, 'w').write('built')\n"
        "        super().__init__(config)\n")
    config = json.loads((tmp_path / "planted" / "config.json").read_text())
    config["auto_map"] = {"AutoModelForQuestionAnswering": "planted.Model"}
    (tmp_path / "planted" / "config.json").write_text(json.dumps(config))
    args = ("Who fought?", "The Normans fought the Saxons at Hastings in the year 1066.")
    kept = {"null_score_diff_threshold": 1e9}  # always a span: an answer that a wrong model would change
    plain = distilbo.answer(str(tmp_path / "plain"), *args, **kept)
    assert distilbo.answer(str(tmp_path / "planted"), *args, **kept) == plain
    assert not marker.exists()
    distilbo.answer(str(tmp_path / "planted"), *args, trust_remote_code=True, **kept)
    assert marker.read_text() == "built"  # the user's opt-in, and only then


def test_a_model_that_needs_its_own_code_is_refused_with_the_opt_in_named(tmp_path, tokenizer):
    from distilbo.deploy.cli import main
    from distilbo.models.loading import ModelSourceError

    tiny_model("bert", vocab_size=tokenizer.vocab_size).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config.update(model_type="albert")  # a family distilbo has no classes for
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelSourceError, match=r"albert.*--trust-remote-code"):
        main([str(tmp_path), "-q", "Who?", "-c", "The Normans."])


def test_layer_types_continue_their_pattern():
    from distilbo.models.families import layer_types

    full, local = "full_attention", "sliding_attention"
    assert layer_types([full, local, local, full], 7) == [full, local, local, full, local, local, full]
    assert layer_types([full, local], 3) == [full, local, full] and layer_types([full], 2) == [full, full]


def test_a_random_modernbert_teacher_of_another_depth_keeps_its_pattern(tmp_path):
    from tiny_models import train_tokenizer

    from distilbo.models.loading import load_initial

    tokenizer = train_tokenizer("bpe-cls", ["a few words of text", "and some more"])
    tiny_config("modernbert", vocab_size=len(tokenizer)).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    model, _ = load_initial(str(tmp_path), {"num_hidden_layers": 3})
    assert model.config.layer_types == ["full_attention", "sliding_attention", "full_attention"]
    model.save_pretrained(tmp_path / "saved")  # the config validates


def test_every_described_module_is_where_the_description_says(teacher):
    """A description that names a module the model lacks would cut nothing, silently."""
    from torch import nn

    from distilbo.models.families import resolve

    family = family_of(teacher.config)
    assert isinstance(resolve(teacher, family.qa_head), nn.Linear)
    for layer in family.layer_list(teacher):
        assert all(isinstance(resolve(layer, p), nn.Linear) for p in family.feed_forward + (family.output,))
        assert isinstance(resolve(layer, family.projections[0]), nn.Linear)
        assert resolve(layer, family.attention) is not None
