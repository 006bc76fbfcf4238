# Two commands, each doing all of its own set-up on a fresh Debian/Ubuntu machine:
#   make demo   run the suites against the lab and write reports/report.html
#   make test   run the project's own tests (they start the lab themselves)
# Both need root (port 53 on loopback, apt-get): run them as root or with sudo.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEBIAN_PACKAGES := nsd unbound bind9-utils bind9-dnsutils ldnsutils dnsmasq-base chrony \
	python3-venv iproute2 chromium strace
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Where the lab is built and the demo writes its reports. The demo's key history lives in
# the lab's folder: each `lab up` makes new keys, and wipes the history with the old ones, so
# every demo starts from the same first run (a history kept from an older build would read
# as every key replaced at once).
LAB_RUN_DIR ?= $(CURDIR)/lab/run
export LAB_RUN_DIR
REPORTS ?= reports
DEMO := $(BIN)/dnssec-conformance --domains $(LAB_RUN_DIR)/domains.yaml \
	--state-dir $(LAB_RUN_DIR)/state --results $(REPORTS)/results.json \
	--html=$(REPORTS)/report.html --self-contained-html --junitxml=$(REPORTS)/junit.xml -n 2 -q

.PHONY: demo test setup debs lab-up lab-down lint clean fuzz

demo: setup
	$(BIN)/python -m lab up
	-LAB_TSIG_SECRET=$$(cat $(LAB_RUN_DIR)/tsig.secret) $(DEMO)
	$(BIN)/python -m dnssec_conformance.report.summary $(REPORTS)/results.json --report $(REPORTS)/report.html

test: setup
	$(BIN)/ruff check src tests lab suites fuzz benchmarks setup.py
	$(BIN)/mypy
	$(BIN)/pytest tests -p no:cacheprovider -q

setup: $(VENV)/.installed

debs:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; fi

$(VENV)/.installed: pyproject.toml setup.py | debs
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The release fuzz campaign (see README, "Hostile input and fuzzing"): at least 10,000 hostile
# DNS answers against the real product, traced with strace, and 2,000 mutated domains.yaml
# files. FUZZ_ARGS='--seed N' replays a campaign; `fuzz/campaign.py --help` for the rest.
fuzz: setup
	$(BIN)/python fuzz/campaign.py --responses 10000 --files 2000 $(FUZZ_ARGS)

lab-up: setup
	$(BIN)/python -m lab up

lab-down:
	$(BIN)/python -m lab down

lint: setup
	$(BIN)/ruff check src tests lab suites benchmarks setup.py

clean:
	rm -rf $(VENV) build dist *.egg-info reports/*.json reports/*.html reports/*.xml \
		reports/*.png reports/state lab/run
