"""The smoke study through profiles/slurm on a real one-node SLURM cluster started on this machine
(tests/workflow/slurm/cluster.sh: Debian's slurm-wlm and munge, no accounting database)."""
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT

from distilbo.study.history import trials

pytestmark = pytest.mark.slow

# The test cluster has no GPU and little memory: the profile's GPU requests are set aside.
HEAVY = ("finetune_teacher", "teacher_logits", "head_importance", "distill", "variants", "latency", "teacher_variants",
         "teacher_latency")
CPU_ONLY = (["--set-resources"] + [f"{rule}:{key}" for rule in HEAVY for key in ("gpu=0", "mem_mb=2000", "cpus_per_task=1")]
            + ["prepare_data:mem_mb=2000", "--set-threads"] + [f"{rule}=1" for rule in HEAVY])


def test_smoke_study_through_the_slurm_profile(smoke, tmp_path):
    """The search stage and everything after it (the smoke study's data and teacher copied in):
    every job but the bookkeeping ones goes through sbatch."""
    pytest.importorskip("snakemake_executor_plugin_slurm", reason="pip install -e .[slurm]")
    up = subprocess.run(["bash", str(ROOT / "tests" / "workflow" / "slurm" / "cluster.sh")], capture_output=True, text=True)
    if up.returncode == 3:
        pytest.skip(up.stdout.strip())
    assert up.returncode == 0, up.stdout + up.stderr
    for part in ("data", "teacher"):
        shutil.copytree(smoke / part, tmp_path / part, ignore=shutil.ignore_patterns("deploy", "latency.parquet"))
    cmd = [sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", "--configfile", "config/smoke.yaml",
           "--config", f"results={tmp_path}", "--slurm-no-account", "--slurm-status-command", "squeue", *CPU_ONLY,
           # the test's jobs take seconds: poll from 2 s on (the plugin's 40 s would idle most of the test)
           "--slurm-init-seconds-before-status-checks", "2"]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    submitted = _submitted(out)
    # 4 trials and their variants, 2 latency rounds, the teacher's variants and their timing
    assert len(submitted) == 12 and set(submitted) == {"distill", "variants", "latency", "teacher_variants",
                                                       "teacher_latency"}
    obs = pd.read_parquet(tmp_path / "search" / "round-1" / "observations.parquet")
    assert len(trials(obs)) == 4 and (tmp_path / "report" / "index.html").exists()


def _submitted(log: str) -> list[str]:
    """The rule of every job Snakemake's log says it submitted through sbatch (a job's block names
    its rule and jobid; several blocks may come before their submissions)."""
    rules, current = {}, None
    for line in log.splitlines():
        header = re.match(r"(local)?rule (\w+):$", line)
        if header:
            current = header.group(2)
        elif (jobid := re.match(r"\s+jobid: (\d+)$", line)) and current:
            rules[jobid.group(1)] = current
    return [rules[j] for j in re.findall(r"Job (\d+) has been submitted with SLURM jobid", log)]
