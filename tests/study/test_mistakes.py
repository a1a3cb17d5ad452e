"""A stranger's mistakes in a config are refused before any job, in one short message that names
the key, the value, what is allowed and, for a misspelt key, the nearest valid one."""
import json
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, load

from distilbo.models.families import UnsupportedFamily
from distilbo.models.loading import load_config
from distilbo.study.config import ConfigError, check_config, check_layers
from distilbo.study.validation import SchemaError, upgrade_config, validate_config


def default_study(**changes) -> dict:
    return load("config.yaml", **changes)


@pytest.mark.parametrize("changes,needle", [
    ({"frontiers": {}}, r"unknown key 'frontiers' \(did you mean 'frontier'\?\) at the top level; the keys there are "),
    ({"search__bach_size": 4}, r"unknown key 'bach_size' \(did you mean 'batch_size'\?\) in search"),
    ({"student__vocabulary": "trimed"}, r"student\.vocabulary: 'trimed' is not one of full, trimmed"),
    ({"search__rounds": "three"}, r"search\.rounds: 'three' is not of type integer"),
    ({"search__objectives__span_f1__threshold": {"teacher_fraction": 1.5}},
     r"search\.objectives\.span_f1\.threshold\.teacher_fraction: 1\.5 must be <= 1"),
])
def test_schema_mistakes_name_the_key_in_one_line(changes, needle):
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        node = cfg
        for key in path:
            node = node[key]
        node[last] = value
    with pytest.raises(SchemaError, match=needle) as err:
        validate_config(cfg, where="my.yaml")
    message = str(err.value)
    assert message.startswith("my.yaml: ") and "\n" not in message and len(message) < 400


def test_a_renamed_training_key_keeps_working_and_says_its_new_name():
    """train.precision (before 0.14.0) is train.autocast: read as that, with a warning naming the
    file and the new key; both at once is refused."""
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    cfg["student"]["train"]["precision"] = "fp32"
    told = []
    upgrade_config(cfg, where="old.yaml", warn=told.append)
    assert cfg["student"]["train"]["autocast"] == "fp32" and "precision" not in cfg["student"]["train"]
    assert told == ["old.yaml: student.train: 'precision' was renamed 'autocast' in 0.14.0 (docs/upgrading.md); "
                    "read as autocast: fp32"]
    validate_config(cfg, where="old.yaml")
    cfg["teacher"]["train"].update(precision="bf16", autocast="fp32")
    with pytest.raises(SchemaError, match=r"old\.yaml: teacher\.train: 'precision' and 'autocast' both set"):
        upgrade_config(cfg, where="old.yaml", warn=told.append)


def test_a_caller_of_the_library_may_still_say_precision(caplog):
    from distilbo.training.loop import TrainConfig

    assert TrainConfig.with_defaults({"precision": "bf16"}).autocast == "bf16"
    assert "'precision' was renamed 'autocast'" in caplog.text


@pytest.mark.parametrize("threshold,ok", [(150, False), (-1, False), (100, True), (0, True)])
def test_a_percent_metrics_threshold_lies_in_0_to_100(threshold, ok):
    cfg = default_study(search__objectives__span_f1__threshold=threshold)
    if ok:
        check_config(cfg, models=False)
    else:
        with pytest.raises(ConfigError, match=rf"span_f1\.threshold is {threshold}: span_f1 lies in 0 to 100"):
            check_config(cfg, models=False)


@pytest.mark.parametrize("changes,needle", [
    ({"data__labeled": "../shared/data/squad_v2/nope.json"}, r"data\.labeled: \.\./shared/data/squad_v2/nope\.json does not"),
    ({"data__unlabeled": "missing.json"}, r"data\.unlabeled: missing\.json does not exist"),
    ({"data__eval_articles": ["Warsw"]}, r"data\.eval_articles: 'Warsw' is not an article of .*did you mean 'Warsaw'\?"),
    ({"student__vocabulary_text": ["domain.txt"]}, r"student\.vocabulary_text\[0\]: domain\.txt is not a file"),
    ({"student__vocabulary_size": 50000}, r"vocabulary_size is 50000, but the teacher's vocabulary has 30522 tokens"),
    ({"search__space__n_heads": {"type": "int", "low": 6, "high": 16}},
     r"search\.space\.n_heads\.high is 16, but teacher\.init has 12 heads per layer: n_heads lies in 1\.\.12"),
    ({"student__base": "teachr"}, r"student\.base 'teachr' is neither teacher nor init .*did you mean 'teacher'\?"),
    ({"teacher__init": "./no/such/model"}, r"teacher\.init './no/such/model': no such directory"),
    ({"teacher__verifier": "package:no_such_package/model"}, r"teacher\.verifier: .*no_such_package.*not installed"),
])
def test_the_default_studys_mistakes_are_refused_at_its_start(changes, needle):
    cfg = default_study(**changes)
    with pytest.raises(ConfigError, match=needle):
        check_config(cfg)


def test_a_vocabulary_size_the_teacher_has_passes():
    check_config(default_study(student__vocabulary_size=30522))


def test_an_unsupported_family_is_refused_naming_the_key_and_the_families(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "albert", "num_attention_heads": 12}))
    with pytest.raises(ConfigError, match=r"teacher\.init .*model_type 'albert'.* distilbo cuts students from bert"):
        check_config(default_study(teacher__init=str(tmp_path)))
    # a hub id is read by the first job that loads it, which names the key as well
    with pytest.raises(UnsupportedFamily, match=r"^config: teacher\.init .*'albert' is not a supported family.*bert"):
        load_config(str(tmp_path), key="teacher.init")


def test_a_model_the_first_job_cannot_read_is_named_by_its_key():
    """A hub id the study's start could not read (not cached) fails the first job that loads it,
    naming the key, not with transformers' traceback alone."""
    from distilbo.records.sources import ModelSourceError

    with pytest.raises(ModelSourceError, match=r"^config: teacher\.init '/no/such/model': cannot read its config"):
        load_config("/no/such/model", key="teacher.init")


def test_a_layer_alone_is_refused_in_one_line():
    cfg = yaml.safe_load((ROOT / "config" / "rungs.yaml").read_text())
    with pytest.raises(ConfigError, match=r"^config/rungs\.yaml: a layer over config\.yaml .*--configfile config\.yaml "
                                          r"config/rungs\.yaml$"):
        check_layers(cfg, ["config/rungs.yaml"])
    check_layers(cfg, ["config.yaml", "config/rungs.yaml"])


@pytest.mark.parametrize("text,needle", [
    ("frontiers: {}\n", "unknown key 'frontiers' (did you mean 'frontier'?)"),
    (None, "a layer over config.yaml (layer_over), which is not loaded"),
])
def test_the_workflow_stops_on_a_mistake_in_a_few_lines(tmp_path, text, needle):
    if text is None:
        configfile = ROOT / "config" / "rungs-q4.yaml"
    else:
        configfile = tmp_path / "my.yaml"
        configfile.write_text((ROOT / "config.yaml").read_text() + text)
    out = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", str(configfile)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode != 0
    lines = (out.stdout + out.stderr).splitlines()
    assert any(needle in line for line in lines) and len(lines) < 12, lines
