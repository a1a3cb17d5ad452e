import json

import numpy as np
import pandas as pd
import pytest
import torch
from tiny_models import random_windows

from distilbo.data.batches import MASKED_LOGIT, collate, length_grouped_batches
from distilbo.training.loop import TrainConfig, TrainingFailed, distillation_loss, train


def test_batches_are_length_grouped_and_cover_every_window():
    lengths = np.random.default_rng(0).integers(10, 250, 1000)
    batches = length_grouped_batches(lengths, 16, np.random.default_rng(1))
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    padded = sum(len(b) * lengths[b].max() for b in batches)
    assert lengths.sum() / padded > 0.9  # little padding
    again = length_grouped_batches(lengths, 16, np.random.default_rng(1))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))


def _hand_kl(s, t, T):
    p = np.exp(t / T) / np.exp(t / T).sum()
    q = np.exp(s / T) / np.exp(s / T).sum()
    return float((p * np.log(p / q)).sum()) * T * T


def _hand_ce(s, gold):
    return float(-(s[gold] - np.log(np.exp(s).sum())))


def test_loss_matches_a_hand_computation():
    ws = random_windows(3, teacher=True)
    ws.labeled[:] = [True, False, True]  # the middle window is unlabeled transfer data
    b = collate(ws, np.arange(3))
    torch.manual_seed(0)
    start = torch.randn(b["input_ids"].shape)
    end = torch.randn(b["input_ids"].shape)
    alpha, T = 0.7, 2.5
    got = distillation_loss(start, end, b, alpha, T)
    L = ws.lengths
    soft = np.mean([0.5 * (_hand_kl(start[i, :L[i]].numpy(), ws.teacher_start[i], T)
                           + _hand_kl(end[i, :L[i]].numpy(), ws.teacher_end[i], T)) for i in range(3)])
    hard = np.mean([0.5 * (_hand_ce(start[i, :L[i]].numpy(), ws.start_positions[i])
                           + _hand_ce(end[i, :L[i]].numpy(), ws.end_positions[i])) for i in (0, 2)])
    assert got.soft.item() == pytest.approx(soft, rel=1e-4)
    assert got.hard.item() == pytest.approx(hard, rel=1e-4)
    assert got.total.item() == pytest.approx(alpha * soft + (1 - alpha) * hard, rel=1e-4)


def test_unlabeled_windows_contribute_the_soft_term_only():
    ws = random_windows(2)
    ws.labeled[:] = False
    b = collate(ws, np.arange(2))
    start, end = torch.randn(b["input_ids"].shape), torch.randn(b["input_ids"].shape)
    got = distillation_loss(start, end, b, 0.5, 1.0)
    assert got.hard.item() == 0.0 and got.total.item() == pytest.approx(0.5 * got.soft.item())
    # padding does not count: changing logits beyond a window's length leaves the loss unchanged
    L = int(ws.lengths.min())
    start2 = start.clone()
    start2[int(np.argmin(ws.lengths)), L:] = 50.0
    assert distillation_loss(start2, end, b, 0.5, 1.0).total.item() == pytest.approx(got.total.item())


def test_student_equal_to_teacher_has_zero_soft_loss():
    ws = random_windows(2)
    b = collate(ws, np.arange(2))
    got = distillation_loss(b["teacher_start"], b["teacher_end"], b, 1.0, 3.0)
    assert abs(got.total.item()) < 1e-5
    assert (b["teacher_start"][b["attention_mask"] == 0] == MASKED_LOGIT).all()


@pytest.fixture
def tiny_qa(tiny_bert_config):
    from transformers import BertForQuestionAnswering
    torch.manual_seed(0)
    return BertForQuestionAnswering(tiny_bert_config)


def test_training_lowers_the_loss(tiny_qa):
    ws = random_windows(32)
    cfg = TrainConfig.with_defaults(dict(max_steps=40, batch_size=8, learning_rate=3e-3, alpha_ce=0.5, temperature=2.0,
                                     eval_every=10))
    before = distillation_loss(*_logits(tiny_qa, ws), collate(ws, np.arange(32)), 0.5, 2.0).total.item()
    result = train(tiny_qa, ws, cfg, evaluate=lambda m: ({"exact": 1.0}, "final"))
    curve = result.curve
    assert result.final == ({"exact": 1.0}, "final")
    after = distillation_loss(*_logits(tiny_qa, ws), collate(ws, np.arange(32)), 0.5, 2.0).total.item()
    assert after < 0.8 * before
    assert curve["step"].tolist() == [10, 20, 30, 40] and (curve["lr"].diff().dropna() <= 0).all()


def _logits(model, ws):
    b = collate(ws, np.arange(len(ws)))
    model.eval()
    with torch.no_grad():
        out = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"], token_type_ids=b["token_type_ids"])
    model.train()
    return out.start_logits, out.end_logits


def test_divergence_raises_training_failed(tiny_qa):
    ws = random_windows(8)
    ws.teacher_start[0][:] = np.nan  # poisoned soft targets: the loss becomes NaN at once
    with pytest.raises(TrainingFailed, match="nan"):
        train(tiny_qa, ws, TrainConfig.with_defaults(dict(max_steps=20, batch_size=8, alpha_ce=0.5)))


def test_bad_shapes_still_raise(tiny_qa):
    ws = random_windows(4)
    ws.start_positions[0] = 10_000  # a bug, not a failure to record
    with pytest.raises((IndexError, RuntimeError)) as err:
        train(tiny_qa, ws, TrainConfig.with_defaults(dict(max_steps=1, batch_size=4)))
    assert not isinstance(err.value, TrainingFailed)


def test_failed_run_writes_status_failed(tiny_qa, tokenizer, tmp_path):
    from types import SimpleNamespace

    from distilbo.training import run

    ws = random_windows(8)
    ws.teacher_start[3][:] = np.inf
    out = {k: str(tmp_path / k) for k in ("model", "metrics", "curve", "predictions")}
    never = SimpleNamespace(score=lambda m: pytest.fail("a failed run is not evaluated"))
    cfg = TrainConfig.with_defaults(dict(max_steps=5, batch_size=8, alpha_ce=0.5))
    metrics = run.run_training(tiny_qa, tokenizer, ws, never, cfg, out)
    saved = json.loads((tmp_path / "metrics").read_text())
    assert saved["status"] == metrics["status"] == "failed" and "loss became" in saved["reason"]
    assert pd.read_parquet(tmp_path / "curve").empty and (tmp_path / "model" / "FAILED").exists()


def test_bf16_autocast_on_cpu_trains_close_to_fp32(tiny_bert_config):
    from transformers import BertForQuestionAnswering

    from distilbo.training.loop import autocast_dtype

    assert autocast_dtype("auto", torch.device("cpu")) is None and autocast_dtype("bf16", torch.device("cpu")) == torch.bfloat16
    ws = random_windows(16)
    losses = {}
    for autocast in ("fp32", "bf16"):
        torch.manual_seed(0)
        model = BertForQuestionAnswering(tiny_bert_config)
        cfg = TrainConfig.with_defaults(dict(max_steps=4, batch_size=8, learning_rate=1e-3, eval_every=1,
                                         autocast=autocast))
        curve = train(model, ws, cfg, evaluate=lambda m: ({}, None), device=torch.device("cpu")).curve
        losses[autocast] = curve["loss"].to_numpy()
    assert np.isfinite(losses["bf16"]).all()
    np.testing.assert_allclose(losses["bf16"], losses["fp32"], rtol=0.05)


def test_intermediate_evaluations_use_the_sample_and_the_last_scores_all(tiny_qa):
    ws = random_windows(16)
    cfg = TrainConfig.with_defaults(dict(max_steps=6, batch_size=4, eval_every=2))
    result = train(tiny_qa, ws, cfg, evaluate=lambda m: ({"total": 100, "exact": 1.0}, "all"),
                   evaluate_partial=lambda m: ({"total": 10, "exact": 2.0}, "sample"))
    assert result.curve["eval_questions"].tolist() == [10, 10, 100] and result.final[1] == "all"


def test_hidden_state_loss_against_a_hand_computation():
    from distilbo.training.loop import hidden_state_loss

    t = torch.tensor([[[1.0, 0.0], [0.0, 2.0], [5.0, 5.0]]])  # one window, three tokens, the last padding
    mask = torch.tensor([[True, True, False]])
    same = hidden_state_loss([3 * t], [t], mask)  # same direction, other length: nothing to learn
    opposite = hidden_state_loss([-t], [t], mask)
    s = torch.tensor([[[0.0, 1.0], [1.0, 1.0], [-5.0, -5.0]]])  # token 1 orthogonal, token 2 at 45 degrees
    mixed = hidden_state_loss([s, t], [t, t], mask)
    assert same.item() == pytest.approx(0.0, abs=1e-6) and opposite.item() == pytest.approx(2.0)
    assert mixed.item() == pytest.approx(0.5 * ((1 + (1 - 2 ** -0.5)) / 2 + 0.0))


@pytest.mark.parametrize("choice, copied", [("bottom", True), ("even", False)])
def test_teacher_hidden_states_pair_each_student_layer_with_its_source(tiny_qa, choice, copied):
    from distilbo.models.students import StudentShape, build_student, layer_map
    from distilbo.training.loop import default_loss, with_teacher_hidden

    tiny_qa.eval()
    student = build_student(tiny_qa, StudentShape(2, 4, dropout=0.0, attention_dropout=0.0, qa_dropout=0.0,
                                                  layer_choice=choice)).eval()
    pairs = list(enumerate(layer_map(4, 2, choice)))
    ws = random_windows(8)
    batch = with_teacher_hidden(collate, tiny_qa, pairs)(ws, np.arange(8), torch.device("cpu"))
    assert batch["student_layers"] == [0, 1] and len(batch["teacher_hidden"]) == 2
    out = student(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                  token_type_ids=batch["token_type_ids"], output_hidden_states=True)
    cfg = TrainConfig.with_defaults(dict(alpha_hidden=2.0))
    losses = default_loss(out, batch, cfg)
    # bottom layers are exact copies fed the same inputs: the states agree; evenly spaced ones do not
    assert (losses.hidden.item() < 1e-6) == copied
    expected = cfg.alpha_ce * losses.soft + (1 - cfg.alpha_ce) * losses.hard + 2.0 * losses.hidden
    torch.testing.assert_close(losses.total, expected)


def _wsd(steps, decay, **kw):
    return TrainConfig.with_defaults(dict(max_steps=steps, decay_steps=decay, batch_size=4, learning_rate=3e-3,
                                      warmup_steps=2, answerable_fraction=0.5, freeze_word_embeddings=True, **kw))


def test_a_continued_run_equals_one_trained_straight_to_its_budget(tiny_bert_config):
    """Rungs (search.fidelity): 12 steps with the state saved where the decay starts, continued to
    30, end with the weights of a run straight to 30 (several epochs: 16 windows are 2-4 batches)."""
    from transformers import BertForQuestionAnswering

    ws = random_windows(16)
    ws.start_positions[::3] = 0  # no-answer windows, so each epoch draws which to keep
    torch.manual_seed(0)
    init = BertForQuestionAnswering(tiny_bert_config).state_dict()

    def fresh():
        model = BertForQuestionAnswering(tiny_bert_config)
        model.load_state_dict(init)
        return model

    states = []
    short = fresh()
    train(short, ws, _wsd(12, 3), save_state=states.append, device=torch.device("cpu"))
    assert len(states) == 1 and states[0]["step"] == 9
    assert "bert.embeddings.word_embeddings.weight" not in states[0]["weights"]  # frozen: rebuilt
    continued, straight = fresh(), fresh()
    train(continued, ws, _wsd(30, 6), resume=states[0], device=torch.device("cpu"))
    train(straight, ws, _wsd(30, 6), device=torch.device("cpu"))
    for (name, a), b in zip(continued.state_dict().items(), straight.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)
    moved = [n for n, v in short.state_dict().items() if not torch.equal(v, straight.state_dict()[n])]
    assert moved  # the check above compares trained weights, not two copies of the start


def test_a_state_from_another_shape_is_refused(tiny_bert_config):
    from transformers import BertConfig, BertForQuestionAnswering

    states = []
    train(BertForQuestionAnswering(tiny_bert_config), random_windows(8), _wsd(6, 2), save_state=states.append)
    other = BertConfig(**{**tiny_bert_config.to_dict(), "num_hidden_layers": 1})
    with pytest.raises(ValueError, match="not this model's"):
        train(BertForQuestionAnswering(other), random_windows(8), _wsd(10, 2), resume=states[0])


def _raise(fault):
    def step(*args, **kwargs):
        raise fault
    return step


@pytest.mark.parametrize("fault, recorded", [
    (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),  # this batch size on this GPU
    (RuntimeError("DefaultCPUAllocator: can't allocate memory"), False),  # the host's memory: the job's fault
    (MemoryError(), False),
    (OSError(28, "No space left on device"), False),
])
def test_only_what_the_model_does_is_recorded_as_a_failed_trial(tiny_qa, tokenizer, tmp_path, monkeypatch,
                                                                 fault, recorded):
    """A failure of the model (CUDA out of memory at its batch size; divergence, above) is a trial
    outcome; one of the machine (host memory, disk) fails the job and leaves no outputs, so the
    study resumes once it is mended."""
    from types import SimpleNamespace

    from distilbo.training import loop as training
    from distilbo.training import run

    monkeypatch.setattr(training, "train_step", _raise(fault))
    out = {k: str(tmp_path / k) for k in ("model", "metrics", "curve", "predictions")}
    never = SimpleNamespace(score=lambda m: pytest.fail("a failed run is not evaluated"))
    cfg = TrainConfig.with_defaults(dict(max_steps=5, batch_size=8))
    if recorded:
        metrics = run.run_training(tiny_qa, tokenizer, random_windows(8), never, cfg, out)
        assert metrics["status"] == "failed" and "out of memory at step 0" in metrics["reason"]
        assert json.loads((tmp_path / "metrics").read_text())["status"] == "failed"
    else:
        with pytest.raises(type(fault)):
            run.run_training(tiny_qa, tokenizer, random_windows(8), never, cfg, out)
        assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing recorded, nothing half-written


def test_a_full_disk_while_saving_a_trained_model_records_nothing(tiny_qa, tokenizer, tmp_path, monkeypatch):
    from types import SimpleNamespace

    from distilbo.training import run

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run, "save_model", no_space)
    monkeypatch.setattr(run, "latency", lambda *a, **k: {"latency_ms": 1.0})
    out = {k: str(tmp_path / k) for k in ("model", "metrics", "curve", "predictions")}
    evalset = SimpleNamespace(score=lambda m: ({"exact": 1.0, "f1": 1.0, "best_f1": 1.0}, pd.DataFrame()),
                              data=None, windows={"example_id": []}, settings={})
    with pytest.raises(OSError, match="No space left"):
        run.run_training(tiny_qa, tokenizer, random_windows(8), evalset,
                         TrainConfig.with_defaults(dict(max_steps=2, batch_size=8)), out)
    assert not (tmp_path / "metrics").exists()  # the metrics, written last, never claim the trial done
