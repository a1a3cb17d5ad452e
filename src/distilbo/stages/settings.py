"""A job's settings, resolved once. A rule's params carry the config sections its job reads as the
study states them (their schema defaults left out, so that a default an upgrade adds re-runs
nothing; workflow/rules/common.smk); `JobSettings.of` completes each one here, and the stage hands
the library complete sections: nothing below fills in a default again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from distilbo.records.schema import WINDOW_SETTINGS, completed, search_parts
from distilbo.study.plan import RungStudy

# The params that carry a config section, and where the section sits in the schema. `search` and
# `rungs` carry parts of the search section (distilbo.records.schema.SEARCH_PARTS); `windows`
# carries the data section's WINDOW_SETTINGS.
SECTIONS = {
    "data": ("data",), "teacher": ("teacher",), "student": ("student",), "scoring": ("scoring",),
    "frontier": ("frontier",), "objectives": ("search", "objectives"), "space": ("search", "space"),
    "fixed": ("search", "fixed"), "acquisition": ("search", "acquisition"), "windows": ("data",),
    "search": ("search",), "rungs": ("search",),
}


@dataclass(frozen=True)
class JobSettings:
    """The completed config sections one job's rule carries (None: the rule does not carry it), and
    the kind of study: `rungs`, the rung study (search.fidelity) it is part of, or None for a
    study whose trials train one budget."""

    # the sections, each whole
    data: Mapping | None = None
    teacher: Mapping | None = None
    student: Mapping | None = None
    scoring: Mapping | None = None
    frontier: Mapping | None = None
    # parts of the search section
    objectives: Mapping | None = None
    space: Mapping | None = None
    fixed: Mapping | None = None
    acquisition: str | None = None
    search: Mapping | None = None  # as a suggestion reads it
    # the data section's window settings
    windows: Mapping | None = None
    # the kind of study
    rungs: RungStudy | None = None

    @classmethod
    def of(cls, params) -> JobSettings:
        """From a job's params (Snakemake's `snakemake.params`, or any object with the attributes)."""
        given = {name: getattr(params, name) for name in SECTIONS if getattr(params, name, None) is not None}
        values = {name: complete(name, value) for name, value in given.items()}
        if "rungs" in values:
            values["rungs"] = RungStudy({**values["rungs"], "fixed": values.get("fixed") or {}})
        return cls(**values)


def complete(name: str, value):
    """One param's section with its schema defaults, holding only the keys the param carries."""
    full = completed(value, *SECTIONS[name])
    if name == "windows":
        return {k: full[k] for k in WINDOW_SETTINGS}
    if name in ("search", "rungs"):
        return {k: full[k] for k in search_parts(name) if k in full}
    return full
