"""The training layer: the distillation loop (`loop`), one run with its artifacts and exact resume
(`run`), the teacher's fine-tuning and soft targets (`teacher`), one search trial (`trial`), and a
GPU of its own per job on a workstation (`devices`)."""
