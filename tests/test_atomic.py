import os

import pandas as pd
import pytest

from distilbo.atomic import atomic_path, write_json, write_parquet


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path):
    target = tmp_path / "t.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_writes_close_their_descriptors_and_follow_the_umask(tmp_path):
    before = len(os.listdir("/proc/self/fd"))
    for i in range(50):
        write_json({"i": i}, tmp_path / "m.json")
    assert len(os.listdir("/proc/self/fd")) == before
    old = os.umask(0o022)
    try:
        write_parquet(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet")
        with atomic_path(tmp_path / "d", is_dir=True) as tmp:
            (tmp / "x").write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "t.parquet").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o755


def test_a_directory_is_replaced_whole(tmp_path):
    for name in ("first", "second"):
        with atomic_path(tmp_path / "model", is_dir=True) as tmp:
            (tmp / name).write_text(name)
    assert [p.name for p in (tmp_path / "model").iterdir()] == ["second"]
