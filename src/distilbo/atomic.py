"""Atomic writes: a killed job never leaves a half-written file that looks finished (and the
temporary siblings it leaves are swept by the next write of the same path); and JSON reads whose
errors name the file."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, is_dir: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}.tmp-"
    _sweep(path.parent, prefix)
    if is_dir:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=path.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, dir=path.parent)
        os.close(fd)  # the caller writes by name
        tmp = Path(name)
    try:
        yield tmp
        # mkdtemp/mkstemp make private 0700/0600 entries; results are as readable as any file the user makes
        tmp.chmod((0o777 if is_dir else 0o666) & ~_umask())
        if is_dir and path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def _sweep(parent: Path, prefix: str) -> None:
    """Remove what a killed writer of this path left (one writer per path: Snakemake's outputs)."""
    for stale in parent.glob(f"{glob.escape(prefix)}*"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


class InputError(ValueError):
    """An input file that is missing, unreadable or incomplete; the message names it."""


def read_json(path: str | os.PathLike, required: tuple[str, ...] = (), what: str = "") -> dict:
    """A JSON object from `path`, with every key of `required`; InputError names the file and the fault."""
    label = f" ({what})" if what else ""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}{label}: file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{path}{label}: not valid JSON ({err})") from None
    if not isinstance(value, dict):
        raise InputError(f"{path}{label}: expected a JSON object, found {type(value).__name__}")
    require_keys(value, path, required, what)
    return value


def require_keys(value: dict, path: str | os.PathLike, required: tuple[str, ...], what: str = "") -> None:
    """InputError naming `path` (what it holds) and each key of `required` that `value` lacks."""
    missing = [k for k in required if k not in value]
    if missing:
        raise InputError(f"{path}{f' ({what})' if what else ''}: missing required key(s) {missing}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_parquet(df: pd.DataFrame, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


def plain(value):
    """A numpy scalar as the Python number it holds (for JSON); anything else as it is."""
    return value.item() if hasattr(value, "item") else value


def write_json(obj: Any, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")
