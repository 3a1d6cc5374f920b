# The README's two commands: `make demo` (the main job, offline) and `make test` (the test suite).
# Both create .venv and install the package with its extras first, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Every other Python version pyproject.toml claims (>=3.10) that this machine has; CI runs them all.
OTHER_PYTHONS ?= 3.10 3.12 3.13

.PHONY: install demo test test-pythons lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,speech,plot]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sk-realtime demo

test: $(STAMP)
	$(BIN)/python -m pytest

# The suite again on each of OTHER_PYTHONS this machine has (python3.X on PATH, or a pyenv install),
# each in its own .venv-3.X.
test-pythons:
	@set -e; for v in $(OTHER_PYTHONS); do \
	  py=""; for c in python$$v $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v*/bin/python$$v; do \
	    if "$$c" -c pass >/dev/null 2>&1; then py="$$c"; break; fi; done; \
	  if [ -z "$$py" ]; then echo "test-pythons: Python $$v not found, skipped"; continue; fi; \
	  venv=.venv-$$v; \
	  if [ ! -f $$venv/.installed-stamp ] || [ pyproject.toml -nt $$venv/.installed-stamp ]; then \
	    "$$py" -m venv $$venv && $$venv/bin/python -m pip install -q --upgrade pip && \
	    $$venv/bin/python -m pip install -q -e ".[dev,speech,plot]" && touch $$venv/.installed-stamp; \
	  fi; \
	  echo "test-pythons: Python $$v ($$py)"; $$venv/bin/python -m pytest; \
	done

lint: $(STAMP)
	$(BIN)/ruff check semantic_kernel_realtime tests benchmarks samples

bench: $(STAMP)
	$(BIN)/python benchmarks/decode.py

clean:
	rm -rf $(VENV) $(VENV)-3.* out
