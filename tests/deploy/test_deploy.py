import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import trial_metrics
from tiny_models import random_windows
from transformers import BertConfig, BertForQuestionAnswering

from distilbo.deploy.onnx import DeployError, OnnxReader, export_onnx, quantize_int8, size_mb
from distilbo.models.students import StudentShape, build_student
from distilbo.qa.inference import latency, predict_logits


@pytest.fixture(scope="module")
def teacher(tiny_bert_config):
    torch.manual_seed(0)
    return BertForQuestionAnswering(tiny_bert_config).eval()


@pytest.mark.parametrize("heads", [4, 3])  # 3 of 4 heads: a head-pruned student (its own class)
def test_the_onnx_file_answers_as_the_torch_model(teacher, tmp_path, heads):
    model = build_student(teacher, StudentShape(2, heads, dropout=0.0, attention_dropout=0.0, qa_dropout=0.0))
    data = random_windows(12, teacher=False)
    path = export_onnx(model, tmp_path / "model.onnx")
    reader = OnnxReader(path)
    assert not list(reader.parameters())
    for ours, theirs in zip(predict_logits(model, data, batch_size=5), predict_logits(reader, data, batch_size=5)):
        for a, b in zip(ours, theirs):  # windows of several lengths, batched with padding
            np.testing.assert_allclose(a, b, atol=1e-4)


def test_int8_is_smaller_and_close(teacher, tmp_path):
    fp32 = export_onnx(teacher, tmp_path / "model.onnx")
    int8 = quantize_int8(fp32, tmp_path / "model-int8.onnx")
    # the word embeddings (30522 x 32) are most of this model: int8 quantizes them too
    assert size_mb(int8) < 0.3 * size_mb(fp32)
    data = random_windows(12, teacher=False)
    a = np.concatenate(predict_logits(OnnxReader(fp32), data)[0])
    b = np.concatenate(predict_logits(OnnxReader(int8), data)[0])
    assert not np.array_equal(a, b) and np.corrcoef(a, b)[0, 1] > 0.9


def test_latency_times_each_question_after_warm_up(teacher, monkeypatch):
    """A clock that the k-th window's forward pass moves on by k ms: the times are known exactly."""
    import types

    from distilbo.qa import inference

    data = random_windows(10, teacher=False)
    ids = ["q0", "q0", "q1", "q2", "q2", "q3", "q4", "q5", "q6", "q7"]
    clock = types.SimpleNamespace(now=0.0, calls=0)

    def tick(module, args):
        clock.calls += 1
        clock.now += clock.calls / 1000

    monkeypatch.setattr(inference, "time", types.SimpleNamespace(perf_counter=lambda: clock.now))
    hook = teacher.register_forward_pre_hook(tick)
    try:
        out = latency(teacher, data, ids, n=5, repeats=2, warmup=2)
    finally:
        hook.remove()
    # warm-up q0 (windows 1, 2) and q1 (3) untimed; then q0 4+5, q1 6, q2 7+8, q3 9, q4 10, and again:
    # 9, 6, 15, 9, 10, 23, 13, 29, 16, 17 ms; quartiles 9, 14, 18.5
    assert out["latency_questions"] == 5 and clock.calls == 3 + 2 * 7
    assert out["latency_ms"] == pytest.approx(14.0) and out["latency_iqr_ms"] == pytest.approx(9.5)
    assert out["latency_threads"] == torch.get_num_threads() and out["cpu"]
    with pytest.raises(ValueError, match="no questions"):
        latency(teacher, data, [], n=5)


def test_a_failed_export_names_the_file(tmp_path):
    class Broken(torch.nn.Module):
        config = BertConfig()

        def forward(self, input_ids, attention_mask, token_type_ids):
            raise RuntimeError("cannot trace this")

    with pytest.raises(DeployError, match="model.onnx.*cannot trace this"):
        export_onnx(Broken(), tmp_path / "model.onnx")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_a_latency_run_past_its_time_stops(teacher):
    with pytest.raises(TimeoutError, match="over 0 s"):
        latency(teacher, random_windows(4, teacher=False), ["a", "b", "c", "d"], n=4, timeout_s=0)


def _variants_json(path, status="ok"):
    import json

    record = {"status": status, "reason": "ONNX export to x failed: boom"} if status != "ok" else {
        "status": "ok", "fp32": {"size_mb": 4.0, "span_f1": 50.0, "f1": 40.0},
        "int8": {"size_mb": 1.0, "span_f1": 48.0, "f1": 39.0, "errors": {"correct": 3}}}
    path.write_text(json.dumps(record))
    return str(path)


def test_the_history_takes_the_shipped_variants_scores_size_and_latency(tmp_path):
    import pandas as pd

    from distilbo.study.deployment import deployed_metrics

    timed = pd.DataFrame({"round": [0, 0], "trial": [1, 1], "precision": ["fp32", "int8"],
                          "latency_ms": [9.0, 5.0], "latency_iqr_ms": [1.0, 0.5], "reason": ["", ""]})
    ok = _variants_json(tmp_path / "v.json")
    assert deployed_metrics(ok, timed, 0, 1, "int8") == {"size_mb": 1.0, "span_f1": 48.0, "f1": 39.0,
                                                         "latency_ms": 5.0, "latency_iqr_ms": 0.5}
    assert deployed_metrics(ok, timed, 0, 1, "fp32")["latency_ms"] == 9.0
    # a variant that could not be made or timed was not delivered: the trial failed, and says why
    failed = deployed_metrics(_variants_json(tmp_path / "f.json", "failed"), timed, 0, 1, "int8")
    assert failed["status"] == "failed" and "boom" in failed["reason"]
    slow = timed.assign(reason=["", "latency: over 600 s after 3 of 9 questions"])
    assert "over 600 s" in deployed_metrics(ok, slow, 0, 1, "int8")["reason"]
    assert "not timed" in deployed_metrics(ok, timed, 0, 2, "int8")["reason"]


def _observe_variants(tmp_path, precisions):
    import json

    import pandas as pd

    from distilbo.study.history import observe_round

    pd.DataFrame({"round": [0, 0], "trial": [0, 1], "origin": ["baseline", "initial"], "n_layers": [6, 3],
                  "precision": ["fp32", "int8"]}).to_parquet(tmp_path / "s.parquet")
    (tmp_path / "m0.json").write_text(trial_metrics(span_f1=50.0, num_parameters=100))
    (tmp_path / "m1.json").write_text(json.dumps({"status": "failed", "reason": "out of memory"}))
    timed = pd.DataFrame({"round": [0, 0], "trial": [0, 0], "precision": ["fp32", "int8"],
                          "latency_ms": [9.0, 5.0], "latency_iqr_ms": [1.0, 0.5], "reason": ["", ""]})
    timed.to_parquet(tmp_path / "latency.parquet")
    from distilbo.study.deployment import Deployment

    (tmp_path / "d0").mkdir()
    _variants_json(tmp_path / "d0" / "variants.json")
    deployment = Deployment({"round-0/trial-0": str(tmp_path / "d0"), "round-0/trial-1": str(tmp_path / "missing")},
                            [str(tmp_path / "latency.parquet")])
    return observe_round(str(tmp_path / "s.parquet"), [str(tmp_path / f"m{i}.json") for i in range(2)], None,
                         str(tmp_path / "o.parquet"), ["n_layers", "precision"], deployment, fixed={},
                         precisions=precisions)


def test_a_searched_precision_puts_both_variants_of_a_trial_in_the_history(tmp_path):
    from distilbo.study.history import trials

    history = _observe_variants(tmp_path, ["fp32", "int8"])
    assert history[["trial", "precision", "origin", "status"]].values.tolist() == [
        [0, "fp32", "baseline", "ok"], [0, "int8", "variant", "ok"], [1, "int8", "initial", "failed"]]
    fp32, int8 = history.iloc[0], history.iloc[1]
    assert (fp32["span_f1"], fp32["size_mb"], fp32["latency_ms"]) == (50.0, 4.0, 9.0)
    assert (int8["span_f1"], int8["size_mb"], int8["latency_ms"]) == (48.0, 1.0, 5.0)
    assert int8["num_parameters"] == 100 and int8["n_layers"] == 6  # the same model, quantized
    assert trials(history)[["trial", "precision"]].values.tolist() == [[0, "fp32"], [1, "int8"]]


def test_a_fixed_precision_keeps_one_row_per_trial(tmp_path):
    history = _observe_variants(tmp_path, ["fp32"])
    assert history[["trial", "precision", "status"]].values.tolist() == [[0, "fp32", "ok"], [1, "int8", "failed"]]


def test_export_leaves_the_models_attention_as_it_was(teacher, tmp_path):
    before = teacher.config._attn_implementation
    export_onnx(teacher, tmp_path / "model.onnx")
    assert teacher.config._attn_implementation == before


@pytest.mark.parametrize("module", ["distilbo.deploy.cli", "distilbo.qa.scoring"])
def test_command_line_help_loads_no_model_code(module):
    """--help answers before torch or transformers load (they take seconds to import)."""
    probe = (f"import runpy, sys\nsys.argv = ['{module}', '--help']\n"
             f"try:\n    runpy.run_module('{module}', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print(sorted({'torch', 'transformers'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "usage:" in out.stdout and out.stdout.strip().endswith("[]"), out.stdout[-500:]
