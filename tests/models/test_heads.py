import numpy as np
import pytest
import torch
from tiny_models import random_windows
from transformers import BertForQuestionAnswering

from distilbo.models.heads import importance_table, read_importance
from distilbo.models.students import StudentShape, build_student, important_heads
from distilbo.training.importance import head_importance


@pytest.fixture
def teacher(tiny_bert_config):
    torch.manual_seed(0)
    model = BertForQuestionAnswering(tiny_bert_config)
    head_size = tiny_bert_config.hidden_size // tiny_bert_config.num_attention_heads
    with torch.no_grad():  # head 2 of layer 1 writes nothing: it cannot matter to the loss
        model.bert.encoder.layer[1].attention.output.dense.weight[:, 2 * head_size:3 * head_size] = 0
    return model


def test_a_head_that_writes_nothing_has_no_importance(teacher):
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    imp = head_importance(teacher, random_windows(48), n_batches=4, batch_size=8)
    assert imp.shape == (4, 4) and np.isfinite(imp).all()
    assert imp[1, 2] == 0 and (np.delete(imp[1], 2) > 0).all() and (imp[[0, 2, 3]] > 0).all()
    np.testing.assert_allclose(np.linalg.norm(imp, axis=1), 1.0, rtol=1e-5)  # per layer, as Michel et al.
    # the masking hooks are gone and the weights untouched
    assert all(not layer.attention.self._forward_hooks for layer in teacher.bert.encoder.layer)
    assert all(torch.equal(before[k], v) for k, v in teacher.state_dict().items())


def test_students_keep_the_most_important_heads_of_their_source_layer(teacher):
    imp = np.array([[0.1, 0.9, 0.5, 0.2], [0.4, 0.3, 0.0, 0.8], [0.7, 0.6, 0.1, 0.2], [0.1, 0.2, 0.3, 0.9]])
    assert important_heads(imp, 2, [0, 1]) == [[1, 2], [0, 3]]
    assert important_heads(imp, 2, [0, 3, None]) == [[1, 2], [2, 3], [0, 1]]
    student = build_student(teacher, StudentShape(2, 2, layer_choice="even", head_choice="importance"), imp)
    head_size = 8
    for dst, src, heads in zip(student.bert.encoder.layer, [0, 3], [[1, 2], [2, 3]]):
        rows = torch.cat([torch.arange(h * head_size, (h + 1) * head_size) for h in heads])
        source = teacher.bert.encoder.layer[src].attention.self.query.weight
        torch.testing.assert_close(dst.attention.self.query.weight, source[rows])
    with pytest.raises(ValueError, match="needs the teacher's head importance"):
        build_student(teacher, StudentShape(2, 2, head_choice="importance"))
    with pytest.raises(ValueError, match="expected the source's"):
        build_student(teacher, StudentShape(2, 2, head_choice="importance"), imp[:2])
    with pytest.raises(ValueError, match="head_choice must be one of"):
        build_student(teacher, StudentShape(2, 2, head_choice="largest"), imp)


def test_importance_table_round_trips_and_bad_files_are_named(tmp_path):
    imp = np.arange(12, dtype=float).reshape(3, 4)
    path = tmp_path / "imp.parquet"
    importance_table(imp).to_parquet(path)
    np.testing.assert_array_equal(read_importance(str(path)), imp)
    importance_table(imp).iloc[:-1].to_parquet(path)
    with pytest.raises(ValueError, match=f"{path}: expected 12 rows"):
        read_importance(str(path))
    importance_table(imp).drop(columns="head").to_parquet(path)
    with pytest.raises(ValueError, match=r"missing columns \['head'\]"):
        read_importance(str(path))
