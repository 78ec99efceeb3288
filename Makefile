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
# An extra one that is not found is skipped with a SKIPPED: line, except with
# CI=true (.ci/run), where it fails `make sanity` as a missing SANITY_PYTHON does.
SANITY_PYTHON ?= 3.11
SANITY_EXTRA_PYTHONS ?= 3.9 3.13
UNITS_PYTHON ?= 3.11
ANSIBLE_TEST_FLAGS ?=

# Shell scripts without a .sh suffix (ansible-test's shellcheck sanity test
# covers *.sh files).
SHELL_SCRIPTS := .ci/run

# The steps of `make test`, in order.  All run even if one fails; the
# summary lists the failures and `make test` exits non-zero.
TEST_STEPS ?= lint sanity units e2e molecule bench-smoke netbox-gate

.PHONY: help apt-packages venv dev stage pipshim sanity units lint docs sim-build e2e molecule simulator test demo bench-render bench bench-smoke netbox-apt netbox-venv netbox-prepare netbox-gate netbox-test demo-netbox clean distclean

help:  ## List the targets.
	@grep -E '^[a-z][a-z0-9_-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

apt-packages:  ## Install the Debian packages the demo and the tests need, if missing (apt-get; sudo when not root).
	@PYTHON=$(PYTHON) bash hack/ensure-debian-packages.sh --quiet

venv: $(STAMP)  ## Create .venv (python3.11) with test-requirements.txt + requirements.txt.

$(STAMP): $(REQUIREMENTS) meta/requirements.txt
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

sanity: venv stage pipshim  ## ansible-test sanity on 3.11 (all tests), compile + import on 3.9 and 3.13 (those found; with CI=true all).
	@export PATH="$(TEST_PATH)"; cd $(COLL); failed=""; skipped=""; \
	for v in $(SANITY_PYTHON) $(filter-out $(SANITY_PYTHON),$(SANITY_EXTRA_PYTHONS)); do \
	  if [ "$$v" = "$(SANITY_PYTHON)" ]; then only=""; else only="--test compile --test import"; fi; \
	  if ! command -v python$$v >/dev/null; then \
	    where="looked in $(PYENV_ROOT)/versions/*/bin and PATH"; \
	    if [ "$$v" = "$(SANITY_PYTHON)" ] || [ "$${CI:-}" = true ]; then \
	      echo "ERROR: python$$v not found ($$where); install it, or set SANITY_PYTHON / SANITY_EXTRA_PYTHONS" >&2; \
	      failed="$$failed $$v"; \
	    else \
	      echo "SKIPPED: python$$v not found ($$where): no compile/import sanity test on $$v here;" \
	           "CI runs it (CI=true makes a missing one a failure); install it, e.g. pyenv install $$v" >&2; \
	      skipped="$$skipped $$v"; \
	    fi; \
	    continue; \
	  fi; \
	  echo "== ansible-test sanity --local --python $$v $$only $(ANSIBLE_TEST_FLAGS)"; \
	  $(BIN)/ansible-test sanity --local --python $$v $$only $(ANSIBLE_TEST_FLAGS) || failed="$$failed $$v"; \
	done; \
	if [ -n "$$skipped" ]; then echo "sanity: SKIPPED on Python$$skipped (not found)" >&2; fi; \
	if [ -n "$$failed" ]; then echo "sanity: FAILED on Python$$failed" >&2; exit 1; fi

units: venv stage pipshim  ## ansible-test units on 3.11 (installs tests/unit/requirements.txt into .venv).
	cd $(COLL) && PATH="$(TEST_PATH)" $(BIN)/ansible-test units --local --python $(UNITS_PYTHON) --requirements $(ANSIBLE_TEST_FLAGS)

lint: apt-packages venv stage  ## ansible-lint (production), antsibull-changelog lint, shellcheck, antsibull-docs lint-collection-docs.
	PATH="$(BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(BIN)/ansible-lint --offline --profile production
	PATH="$(BIN):$$PATH" $(BIN)/antsibull-changelog lint
	@command -v shellcheck >/dev/null || { echo "lint: shellcheck not found (apt-get install shellcheck; make apt-packages does)" >&2; exit 1; }
	shellcheck $(SHELL_SCRIPTS)
	PATH="$(BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(BIN)/antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs $(COLL)

sim-build: apt-packages  ## Build the govmomi simulator (tests/simulator/build.sh).
	bash tests/simulator/build.sh

e2e: apt-packages venv dev  ## Tests against the simulator (pytest tests/e2e).
	@if [ ! -d tests/e2e ]; then echo "e2e: tests/e2e does not exist yet; skipping"; exit 0; fi; \
	$(MAKE) --no-print-directory sim-build; \
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest tests/e2e -q

# The roles' Molecule scenarios (extensions/molecule): each starts a simulator and the guest agent in its create step
# and stops them in its destroy. GUESTNET_MOLECULE_VCENTER=external runs them against the vCenter of VMWARE_* instead.
MOLECULE_SCENARIOS ?= provision power restart decommission

molecule: apt-packages venv dev sim-build  ## Molecule scenarios of the roles (create, converge, idempotence, verify, destroy) on a simulator.
	@for scenario in $(MOLECULE_SCENARIOS); do \
	  echo "== molecule test -s $$scenario"; \
	  PATH="$(BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/build/dev" ANSIBLE_NOCOLOR=1 NO_COLOR=1 \
	    $(BIN)/molecule test -s $$scenario || exit 1; \
	done

simulator: venv sim-build  ## Run the simulator in the foreground.
	PATH="$(BIN):$$PATH" $(BIN)/python tests/simulator/run.py --foreground

# NetBox's migrations take ~6 min of one core the first time (build/netbox/cache keeps them after), so when the steps
# include netbox-gate, `make test` prepares NetBox (its venv and the migrated database) in the background from the start,
# at the lowest CPU priority (nice 19: the timing-sensitive e2e tests keep the CPU they need), and netbox-gate waits for it.
test: apt-packages venv  ## The gate: lint sanity units e2e molecule bench-smoke netbox-gate (all run; fails if any fails).
	@failed=""; summary=""; prepare=""; \
	case " $(TEST_STEPS) " in *" netbox-gate "*) \
	  mkdir -p build/netbox; \
	  echo "======== make netbox-prepare: in the background (nice 19), log in build/netbox/prepare.log"; \
	  nice -n 19 $(MAKE) --no-print-directory netbox-prepare >build/netbox/prepare.log 2>&1 & prepare=$$!;; \
	esac; \
	for step in $(TEST_STEPS); do \
	  echo "======== make $$step"; \
	  start=$$(date +%s); \
	  if [ "$$step" = netbox-gate ] && [ -n "$$prepare" ]; then \
	    if wait "$$prepare"; then echo "netbox-prepare (background): done"; \
	    else echo "netbox-prepare (background) failed; its log:"; tail -n 40 build/netbox/prepare.log; fi; \
	    echo "netbox-gate waited $$(( $$(date +%s) - start ))s for it"; \
	  fi; \
	  if $(MAKE) --no-print-directory $$step; then result=passed; else result=FAILED; failed="$$failed $$step"; fi; \
	  line="make $$step: $$result in $$(( $$(date +%s) - start ))s"; \
	  echo "======== $$line"; summary="$$summary$$line"$$'\n'; \
	done; \
	echo "======== summary"; printf '%s' "$$summary"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed" >&2; exit 1; fi; \
	echo "make test: all passed"

demo: apt-packages venv dev sim-build  ## Start the simulator, provision the fleet in examples/, restart, power off, stop.
	bash examples/demo.sh

bench-render: venv dev  ## Render benchmark: specs/second through parse, resolve and every renderer.
	PYTHONPATH=build/dev $(BIN)/python benchmarks/render.py

bench: venv dev sim-build  ## Benchmark vs community.vmware on the simulator (20 ms/call, 3 rounds; installs the peer in build/bench/peer-venv); writes benchmarks/RESULTS.md.
	PATH="$(BIN):$$PATH" $(BIN)/python benchmarks/bench.py $(BENCH_FLAGS)

bench-smoke: venv dev sim-build  ## The benchmark in small (1 round, no latency, peer only if installed; never asserts times); writes build/bench/smoke.md.
	PATH="$(BIN):$$PATH" $(BIN)/python benchmarks/bench.py --smoke $(BENCH_FLAGS)

# A real NetBox for the IPAM tests: NetBox from PyPI in build/netbox/venv (Python >= 3.12, pyenv's), started by
# tests/netbox/harness.py with Debian's PostgreSQL and Redis, each in a temporary directory on a free loopback port. The
# migrated database is built once per NetBox version and kept in build/netbox/cache. `make test` runs netbox-gate (all
# but the tests marked full_only: rates and NetBox API probes); netbox-test runs them all.
NETBOX_APT_PACKAGES := postgresql redis-server libpq-dev gcc
netbox-apt:  ## The Debian packages NetBox's tests need (postgresql, redis-server; libpq-dev, gcc to build psycopg).
	@bash hack/ensure-debian-packages.sh --quiet $(NETBOX_APT_PACKAGES)
netbox-venv: netbox-apt  ## NetBox (pinned) in build/netbox/venv.
	bash hack/netbox-venv.sh
netbox-prepare: venv netbox-venv  ## NetBox's venv and its migrated database (build/netbox/cache; ~6 min the first time).
	$(BIN)/python tests/netbox/harness.py --prepare
netbox-gate: venv dev sim-build netbox-prepare  ## The NetBox tests of make test (tests/netbox, not full_only).
	GUESTNET_NETBOX_REQUIRED=1 PATH="$(BIN):$$PATH" $(BIN)/python -m pytest tests/netbox -q -m 'not full_only'

demo-netbox: apt-packages venv dev sim-build netbox-venv  ## make demo with NetBox as the subnet ledger (a real NetBox, started and stopped by the demo).
	GUESTNET_DEMO_LEDGER=netbox bash examples/demo.sh

netbox-test: venv dev sim-build netbox-prepare  ## All the NetBox ledger's tests against a real NetBox (tests/netbox), with rates.
	GUESTNET_NETBOX_REQUIRED=1 PATH="$(BIN):$$PATH" $(BIN)/python -m pytest tests/netbox -q -s

# The docs site: antsibull-docs' Sphinx project for the staged collection (module, filter and role pages, and the
# guides of docs/docsite) in build/docs/site, its HTML in build/docs/html. Needs no network but PyPI for its
# requirements: intersphinx is left out, and hack/sphinx_offline_refs.py links the Ansible docsite instead.
DOCS_REQUIREMENTS := docs/docsite/requirements.txt
DOCS_STAMP := $(VENV)/.docs-installed
DOCS_BUILD := $(CURDIR)/build/docs
DOCS_EXTENSIONS := sphinx.ext.autodoc,sphinx_antsibull_ext,sphinx_offline_refs

$(DOCS_STAMP): $(DOCS_REQUIREMENTS) $(STAMP)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(DOCS_REQUIREMENTS)
	touch $@

docs: venv $(DOCS_STAMP) stage  ## The docs site (antsibull-docs + Sphinx, offline but for pip): build/docs/html/index.html.
	rm -rf $(DOCS_BUILD)
	mkdir -p $(DOCS_BUILD)/site
	chmod go-w $(DOCS_BUILD)/site
	cd $(DOCS_BUILD)/site && export PATH="$(BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) && \
	  $(BIN)/antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir . \
	    --project $(NAMESPACE).$(NAME) --title $(NAMESPACE).$(NAME) --copyright '2026, $(NAMESPACE).$(NAME) contributors' \
	    $(NAMESPACE).$(NAME) >/dev/null && \
	  chmod go-w rst && \
	  $(BIN)/antsibull-docs --config-file antsibull-docs.cfg collection --use-current --squash-hierarchy --fail-on-error \
	    --cleanup everything --dest-dir rst $(NAMESPACE).$(NAME)
	PYTHONPATH=$(CURDIR)/hack $(BIN)/sphinx-build -b html -q -W --keep-going -D extensions=$(DOCS_EXTENSIONS) \
	  -c $(DOCS_BUILD)/site -d $(DOCS_BUILD)/doctrees $(DOCS_BUILD)/site/rst $(DOCS_BUILD)/html
	@echo "docs: $$(find $(DOCS_BUILD)/html -name '*.html' | wc -l) HTML pages; open $(DOCS_BUILD)/html/index.html"

clean:  ## Remove the staged collection, test output and caches (keeps .venv and build/dev).
	rm -rf $(COLLECTIONS) tests/output .pytest_cache
	find . -path ./$(VENV) -prune -o -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean  ## clean, and remove .venv and build/.
	rm -rf $(VENV) build
