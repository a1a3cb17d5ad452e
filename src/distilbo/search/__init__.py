"""Multi-objective Bayesian optimization: search space, objectives, GP surrogates, hypervolume
acquisition over a pymoo candidate pool, Pareto tools, and an ask/tell wrapper.

Names load on first use (PEP 562), so a module that needs only the labels or the objectives (the
workflow's parsing, the bookkeeping jobs) does not load pymoo and scikit-optimize."""

from importlib import import_module

_WHERE = {"Objective": "objectives", "objectives_from_config": "objectives", "SearchSpace": "space",
          "suggest": "strategy", "pareto_front": "pareto", "hypervolume": "pareto", "hypervolume_trace": "pareto",
          "Optimizer": "optimizer"}
__all__ = list(_WHERE)


def __getattr__(name):
    if name not in _WHERE:
        raise AttributeError(f"module 'distilbo.search' has no attribute {name!r}")
    return getattr(import_module(f"distilbo.search.{_WHERE[name]}"), name)
