# synthkit: two commands for a new user.
#   make lab    set everything up, then open JupyterLab on the tour notebook
#   make test   set everything up, then run every test (notebooks and browser test included)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.synthkit-installed
# Tests and notebook runs use one BLAS/OpenMP thread: on small data the threads
# only compete (notably with the notebook kernels), and results stay identical.
SINGLE := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

.PHONY: install lab test test-fast browser bench bench-scale notebooks clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[lab,test]'
	@touch $(STAMP)

install: $(STAMP)

lab: install
	$(VENV)/bin/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) notebooks/00_tour.ipynb

# Debian's chromium for the real-browser test (Playwright's own download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "install Debian's chromium package to run the browser test"; exit 1; fi; }

test: install browser
	$(SINGLE) $(PY) -m pytest

test-fast: install
	$(SINGLE) $(PY) -m pytest -m "not e2e and not slow" tests

# Re-run every notebook in place, the workshop solutions included (after a change that alters
# their outputs; nbval then checks them).
notebooks: install
	cd notebooks && for nb in 0*.ipynb; do \
	  $(SINGLE) ../$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=1800 "$$nb" || exit 1; \
	done
	cd notebooks/solutions && for nb in *.ipynb; do \
	  $(SINGLE) ../../$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 "$$nb" || exit 1; \
	done

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/generators.py
	$(PY) benchmarks/map.py
	$(PY) benchmarks/metrics.py
	$(PY) benchmarks/collapse.py
	$(PY) benchmarks/workspace.py
	$(PY) benchmarks/explorer.py
	$(PY) benchmarks/bigmap.py
	$(PY) benchmarks/cli.py
	$(PY) benchmarks/simulate.py
	$(PY) benchmarks/text.py
	$(PY) benchmarks/text_embed.py
	$(PY) benchmarks/text_metrics.py
	$(PY) benchmarks/attacks.py
	$(PY) benchmarks/first_map.py
	$(PY) benchmarks/place.py

# Dask: millions of rows (about 45 minutes on 2 cores; data built once in /tmp/synthkit-scale)
bench-scale: install
	$(PY) benchmarks/scale_neighbours.py 20000 40000
	$(PY) benchmarks/scale_evaluate.py 10000
	$(PY) benchmarks/scale_verdicts.py 20000 100000 400000
	$(PY) benchmarks/scale_fidelity.py --real 1000000 --synthetic 4000000
	$(PY) benchmarks/place_scale.py --rows 100000
	$(PY) benchmarks/scale.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
