# distilbo: `make study` runs the default study end to end, `make test` runs the tests.
# Both set up .venv first (CPU build of torch 2.13.0; see requirements/cpu.txt).
VENV ?= .venv
PY := $(VENV)/bin/python
CORES ?= 2

.PHONY: setup study smoke test benchmarks clean

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

test: setup
	$(PY) -m pytest -q

benchmarks: setup
	$(PY) benchmarks/scoring.py

clean:
	rm -rf results results-smoke .snakemake
