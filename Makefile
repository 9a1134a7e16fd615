# fortidiag.ipsec developer entry points. `make demo` and `make test` work from a fresh clone.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTION_LINK := $(VENV)/collections/ansible_collections/fortidiag/ipsec
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(VENV)/collections
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv demo test lint sanity units integration molecule bench clean

help:
	@echo "make demo   - set up, start the simulated lab, run the troubleshooting playbook, show the report"
	@echo "make test   - set up, then every test and lint (what CI runs)"
	@echo "make lint | sanity | units | integration | molecule | bench | clean"

venv: $(STAMP) $(COLLECTION_LINK)

# fortisim in editable compat mode: a plain path in a .pth file. The default editable finder costs
# every Python process started from this venv (each ansible-connection, each module) about 30 ms.
$(STAMP): requirements.txt requirements-dev.txt tests/fortisim/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e tests/fortisim \
		--config-settings editable_mode=compat
	touch $@

# The collection resolves as fortidiag.ipsec straight from this checkout.
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

demo: venv
	$(BIN)/python tools/demo.py

lint: venv
	$(BIN)/ansible-lint --offline --profile production
	$(BIN)/antsibull-changelog lint

sanity: venv
	bash tests/sanity/run.sh

units: venv
	$(BIN)/python -m pytest -q tests/unit

integration: venv
	$(BIN)/python -m pytest -q tests/fortisim/tests tests/integration

# The fault lab through molecule (extensions/molecule/faults); FORTIDIAG_LAB=/path/to/lab.yml runs
# another lab. `make test` runs it as tests/integration/test_molecule.py, in parallel with the rest.
molecule: venv
	$(BIN)/molecule test --scenario-name faults

test: venv lint sanity
	$(BIN)/python -m pytest -q -n 4 --dist loadfile tests/unit tests/fortisim/tests tests/integration

# Speed and memory goals are benchmarks, not timed tests: this exits non-zero below them.
bench: venv
	$(BIN)/python tools/bench_parsers.py
	$(BIN)/python tools/bench_capture.py
	$(BIN)/python tools/bench_fleet.py

clean:
	rm -rf build .lab reports tests/output
