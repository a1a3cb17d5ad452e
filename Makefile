# distilbo: `make study` runs the default study end to end, `make test` runs every check CI runs.
# Both set up .venv first (torch 2.13.0; requirements/cpu.txt says how to get its CPU build).
VENV ?= .venv
PY := $(VENV)/bin/python
CORES ?= 2

.PHONY: setup study smoke test test-fast lint benchmarks clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements/cpu.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/cpu.txt
	touch $@

study: setup
	$(PY) -m snakemake --cores $(CORES)

smoke: setup
	$(PY) -m snakemake --cores $(CORES) --configfile config/smoke.yaml

# The code's style: ruff (pyflakes, pycodestyle, import order; pyproject.toml), then Snakemake's
# linter on both shipped studies and snakefmt on every Snakefile.
lint: setup
	$(VENV)/bin/ruff check src workflow/scripts tests benchmarks
	$(PY) -m snakemake --lint
	$(PY) -m snakemake --lint --configfile config/smoke.yaml
	$(VENV)/bin/snakefmt --check Snakefile workflow/

# Everything, the slow workflow/SLURM/browser tests included (what CI runs).
test: lint
	$(PY) -m pytest -q

# The fast tier for development: no whole-workflow runs (about a minute).
test-fast: setup
	$(PY) -m pytest -q -m "not slow"

benchmarks: setup
	$(PY) benchmarks/scoring.py

# Only what studies write (none of it is tracked by git).
clean:
	rm -rf results results-* .snakemake
