"""Multi-objective Bayesian optimization: search space, objectives, GP surrogates, hypervolume
acquisition over a pymoo candidate pool, Pareto tools, and an ask/tell wrapper."""

from distilbo.search.objectives import Objective, objectives_from_config
from distilbo.search.pareto import hypervolume, hypervolume_trace, pareto_front
from distilbo.search.space import SearchSpace
from distilbo.search.strategy import suggest
from distilbo.search.optimizer import Optimizer

__all__ = ["Objective", "objectives_from_config", "SearchSpace", "suggest", "pareto_front", "hypervolume",
           "hypervolume_trace", "Optimizer"]
