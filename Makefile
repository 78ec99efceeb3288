# guestnet.vsphere developer and CI entry points.  `make help` lists them.
#
# Everything runs from a virtualenv in .venv (created once from $(PYTHON) and
# re-installed only when a requirements file changes).  ansible-test runs on a
# copy of the checkout staged under build/collections/ansible_collections/...,
# because it needs that directory layout and rejects a symlinked checkout.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
REQUIREMENTS := test-requirements.txt requirements.txt

NAMESPACE := guestnet
NAME := vsphere
COLLECTIONS := $(CURDIR)/build/collections
COLL := $(COLLECTIONS)/ansible_collections/$(NAMESPACE)/$(NAME)
DEV_LINK := build/dev/ansible_collections/$(NAMESPACE)/$(NAME)

# ansible-test looks for python3.X on PATH; pyenv shims stop working under it
# (it drops PYENV_VERSION), so put the interpreters' own bin/ folders on PATH.
PYENV_ROOT ?= $(HOME)/.pyenv
empty :=
space := $(empty) $(empty)
PYENV_BINS := $(subst $(space),:,$(strip $(sort $(wildcard $(PYENV_ROOT)/versions/3.*/bin))))
TEST_PATH := $(BIN)$(if $(PYENV_BINS),:$(PYENV_BINS)):$(PATH)

# Python used for all sanity tests (pylint, validate-modules, ...), and the
# extra Pythons that get only the version-specific ones: compile and import
# (3.9 is the modules' floor from tests/config.yml, 3.13 the newest 2.19 target).
SANITY_PYTHON ?= 3.11
SANITY_EXTRA_PYTHONS ?= 3.9 3.13
UNITS_PYTHON ?= 3.11
ANSIBLE_TEST_FLAGS ?=

# Shell scripts without a .sh suffix (ansible-test's shellcheck sanity test
# covers *.sh files).
SHELL_SCRIPTS := .ci/run

# The steps of `make test`, in order.  All run even if one fails; the
# summary lists the failures and `make test` exits non-zero.
TEST_STEPS ?= lint sanity units e2e bench-smoke

.PHONY: help venv dev stage pipshim sanity units lint sim-build e2e simulator test demo bench-render bench bench-smoke clean distclean

help:  ## List the targets.
	@grep -E '^[a-z][a-z0-9_-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

venv: $(STAMP)  ## Create .venv (python3.11) with test-requirements.txt + requirements.txt.

$(STAMP): $(REQUIREMENTS)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(addprefix -r ,$(REQUIREMENTS))
	touch $@

dev:  ## Symlink build/dev/ansible_collections/guestnet/vsphere to the checkout (PYTHONPATH=build/dev pytest ...).
	@if [ -e $(DEV_LINK) ] || [ -L $(DEV_LINK) ]; then \
	  echo "$(DEV_LINK) exists"; \
	else \
	  mkdir -p $(dir $(DEV_LINK)) && ln -s ../../../.. $(DEV_LINK) && echo "$(DEV_LINK) -> ../../../.."; \
	fi

stage:  ## Copy tracked + untracked-not-ignored files to build/collections/ansible_collections/guestnet/vsphere.
	rm -rf $(COLL)
	mkdir -p $(COLL)
	git ls-files -co --exclude-standard -z \
	  | while IFS= read -r -d '' f; do if [ -e "$$f" ] || [ -L "$$f" ]; then printf '%s\0' "$$f"; fi; done \
	  | tar --null -T - -cf - | tar -xf - -C $(COLL)
	@# ansible-test lists content with git when it finds a .git above the
	@# collection; the checkout's .gitignore hides build/, so give the copy its own.
	git -C $(COLL) init --quiet
	@echo "staged $$(git -C $(COLL) ls-files -o --exclude-standard | wc -l) files in $(COLL)"

pipshim: venv  ## Seed ansible-test's get-pip cache (~/.ansible/test/cache) so it needs no download.
	$(BIN)/python hack/seed_ansible_test_pip.py

sanity: venv stage pipshim  ## ansible-test sanity on 3.11 (all tests), compile + import on 3.9 and 3.13.
	@export PATH="$(TEST_PATH)"; cd $(COLL); failed=""; \
	for v in $(SANITY_PYTHON) $(filter-out $(SANITY_PYTHON),$(SANITY_EXTRA_PYTHONS)); do \
	  if [ "$$v" = "$(SANITY_PYTHON)" ]; then only=""; else only="--test compile --test import"; fi; \
	  if ! command -v python$$v >/dev/null; then \
	    echo "ERROR: python$$v not found (looked in $(PYENV_ROOT)/versions/*/bin and PATH);" \
	         "install it, or set SANITY_EXTRA_PYTHONS" >&2; \
	    failed="$$failed $$v"; continue; \
	  fi; \
	  echo "== ansible-test sanity --local --python $$v $$only $(ANSIBLE_TEST_FLAGS)"; \
	  $(BIN)/ansible-test sanity --local --python $$v $$only $(ANSIBLE_TEST_FLAGS) || failed="$$failed $$v"; \
	done; \
	if [ -n "$$failed" ]; then echo "sanity: FAILED on Python$$failed" >&2; exit 1; fi

units: venv stage pipshim  ## ansible-test units on 3.11 (installs tests/unit/requirements.txt into .venv).
	cd $(COLL) && PATH="$(TEST_PATH)" $(BIN)/ansible-test units --local --python $(UNITS_PYTHON) --requirements $(ANSIBLE_TEST_FLAGS)

lint: venv stage  ## ansible-lint (production), antsibull-changelog lint, shellcheck, antsibull-docs lint-collection-docs.
	PATH="$(BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(BIN)/ansible-lint --offline --profile production
	PATH="$(BIN):$$PATH" $(BIN)/antsibull-changelog lint
	@command -v shellcheck >/dev/null || { echo "lint: shellcheck not found (apt-get install shellcheck; .ci/run does)" >&2; exit 1; }
	shellcheck $(SHELL_SCRIPTS)
	PATH="$(BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(BIN)/antsibull-docs lint-collection-docs --plugin-docs $(COLL)

sim-build:  ## Build the govmomi simulator (tests/simulator/build.sh).
	bash tests/simulator/build.sh

e2e: venv dev  ## Tests against the simulator (pytest tests/e2e).
	@if [ ! -d tests/e2e ]; then echo "e2e: tests/e2e does not exist yet; skipping"; exit 0; fi; \
	$(MAKE) --no-print-directory sim-build; \
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest tests/e2e -q

simulator: venv sim-build  ## Run the simulator in the foreground.
	PATH="$(BIN):$$PATH" $(BIN)/python tests/simulator/run.py --foreground

test: venv  ## The gate: lint sanity units e2e bench-smoke (all run; fails if any fails).
	@failed=""; summary=""; \
	for step in $(TEST_STEPS); do \
	  echo "======== make $$step"; \
	  start=$$(date +%s); \
	  if $(MAKE) --no-print-directory $$step; then result=passed; else result=FAILED; failed="$$failed $$step"; fi; \
	  line="make $$step: $$result in $$(( $$(date +%s) - start ))s"; \
	  echo "======== $$line"; summary="$$summary$$line"$$'\n'; \
	done; \
	echo "======== summary"; printf '%s' "$$summary"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed" >&2; exit 1; fi; \
	echo "make test: all passed"

demo: venv dev sim-build  ## Start the simulator, provision the fleet in examples/, restart, power off, stop.
	bash examples/demo.sh

bench-render: venv dev  ## Render benchmark: specs/second through parse, resolve and every renderer.
	PYTHONPATH=build/dev $(BIN)/python benchmarks/render.py

bench: venv dev sim-build  ## Benchmark vs community.vmware on the simulator (20 ms/call, 3 rounds; installs the peer in build/bench/peer-venv); writes benchmarks/RESULTS.md.
	PATH="$(BIN):$$PATH" $(BIN)/python benchmarks/bench.py $(BENCH_FLAGS)

bench-smoke: venv dev sim-build  ## The benchmark in small (1 round, no latency, peer only if installed; never asserts times); writes build/bench/smoke.md.
	PATH="$(BIN):$$PATH" $(BIN)/python benchmarks/bench.py --smoke $(BENCH_FLAGS)

clean:  ## Remove the staged collection, test output and caches (keeps .venv and build/dev).
	rm -rf $(COLLECTIONS) tests/output .pytest_cache
	find . -path ./$(VENV) -prune -o -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean  ## clean, and remove .venv and build/.
	rm -rf $(VENV) build
