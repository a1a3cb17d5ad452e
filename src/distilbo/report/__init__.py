"""The study report: figures (matplotlib PNG), tables (CSV) and one self-contained HTML page,
built from the study's tables alone (no model is loaded)."""

from distilbo.report.build import build_report

__all__ = ["build_report"]
