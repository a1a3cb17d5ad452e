"""Logging for workflow jobs: to the rule's log file and to stderr, so a user sees progress."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def setup_logging(log_file: str | None = None, level: int = logging.INFO) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w"))
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        handlers=handlers, force=True)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught  # a job's error lands in its rule's log, which Snakemake prints


def _log_uncaught(exc_type, exc, tb) -> None:
    logging.getLogger("distilbo").critical("%s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))
