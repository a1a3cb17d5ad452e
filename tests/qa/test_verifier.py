import json

import numpy as np
import pandas as pd
import pytest
from conftest import TEACHER_INIT
from questions import questions_about_places

from distilbo.qa import verifier


@pytest.fixture(scope="module")
def encoder():
    return verifier.Encoder(TEACHER_INIT)


@pytest.fixture(scope="module")
def fitted(encoder):
    return verifier.fit(encoder, questions_about_places())


def test_features_of_a_question_do_not_depend_on_its_neighbours(encoder):
    q = questions_about_places()
    together = verifier.features(encoder, q["question"].tolist(), q["context"].tolist())
    alone = verifier.features(encoder, q["question"].iloc[[5]].tolist(), q["context"].iloc[[5]].tolist())
    assert together.shape[0] == len(q) and np.isfinite(together).all()
    np.testing.assert_allclose(alone[0], together[5], atol=1e-4)


def test_verifier_tells_supported_from_unsupported_questions(fitted, encoder):
    q = questions_about_places()
    assert fitted.cv_auc > 0.8  # on articles held out of the fit
    scores = verifier.no_answer_scores(fitted, encoder, q)
    assert scores[q["is_impossible"].to_numpy()].min() > scores[~q["is_impossible"].to_numpy()].max()


def test_save_and_load_give_the_same_scores(fitted, encoder, tmp_path):
    q = questions_about_places()
    fitted.save(tmp_path / "verifier", encoder)
    loaded, loaded_encoder = verifier.load_scorer(tmp_path)
    np.testing.assert_allclose(verifier.no_answer_scores(loaded, loaded_encoder, q),
                               verifier.no_answer_scores(fitted, encoder, q), atol=1e-6)
    assert verifier.load_scorer(tmp_path / "elsewhere") is None


def test_a_verifier_file_without_its_weights_is_an_error_naming_it(tmp_path):
    (tmp_path / "verifier.json").write_text(json.dumps({"mean": [0.0], "scale": [1.0]}))
    with pytest.raises(ValueError, match=r"verifier\.json.*coef"):
        verifier.Verifier.load(tmp_path)


@pytest.mark.parametrize("change, message", [
    (lambda q: q.assign(is_impossible=False), "0 unanswerable"),
    (lambda q: q.assign(title="one", context="one paragraph"), "1 paragraph"),
])
def test_fit_needs_both_kinds_of_question_from_two_articles(encoder, change, message):
    with pytest.raises(ValueError, match=message):
        verifier.fit(encoder, change(questions_about_places()))


def test_apply_answers_by_the_verifiers_score_and_keeps_the_readers():
    answers = pd.DataFrame({"id": ["a", "b"], "prediction": ["x", ""], "best_span": ["x", "y"], "na_score": [-3.0, 2.0]})
    out = verifier.apply(answers, pd.Series({"a": 1.5, "b": -0.5}), threshold=0.0)
    assert out["prediction"].tolist() == ["", "y"]
    assert out["reader_na_score"].tolist() == [-3.0, 2.0] and out["na_score"].tolist() == [1.5, -0.5]


def test_score_zero_means_even_odds_whatever_the_training_share_of_unanswerable(encoder):
    """Fit where three in four questions are unanswerable: the training prior must not move the
    threshold, which stays midway between answerable and unanswerable questions."""
    q = questions_about_places()
    skewed = pd.concat([q] + [q[q["is_impossible"]].assign(id=lambda d, k=k: d["id"] + f"-{k}") for k in range(2)])
    scores = verifier.no_answer_scores(verifier.fit(encoder, skewed), encoder, q).to_numpy()
    answerable, unanswerable = scores[~q["is_impossible"].to_numpy()].mean(), scores[q["is_impossible"].to_numpy()].mean()
    assert abs(answerable + unanswerable) / 2 < 0.2 * (unanswerable - answerable)
