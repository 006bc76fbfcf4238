# Two commands, each doing all of its own set-up on a fresh Debian/Ubuntu machine:
#   make demo   run the suites against the lab and write reports/report.html
#   make test   run the project's own tests (they start the lab themselves)
# Both need root (port 53 on loopback, apt-get): run them as root or with sudo.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEBIAN_PACKAGES := nsd unbound bind9-utils bind9-dnsutils ldnsutils dnsmasq-base chrony \
	python3-venv iproute2 chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_DEMO := $(BIN)/pytest suites --domains lab/run/domains.yaml \
	--results reports/results.json --html=reports/report.html --self-contained-html \
	--junitxml=reports/junit.xml -n 2 -q -p no:cacheprovider

.PHONY: demo test setup debs lab-up lab-down lint clean fuzz

demo: setup
	$(BIN)/python -m lab up
	-$(PYTEST_DEMO)
	$(BIN)/python -m dnssec_conformance.summary reports/results.json --report reports/report.html

test: setup
	$(BIN)/ruff check src tests lab suites fuzz
	$(BIN)/pytest tests -p no:cacheprovider -q

setup: $(VENV)/.installed

debs:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; fi

$(VENV)/.installed: pyproject.toml | debs
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The release fuzz campaign (about 15 minutes): 10,000 hostile DNS answers against the real
# product, 2,000 mutated domains.yaml files. FUZZ_ARGS='--seed N --lead-faults' to vary it.
fuzz: setup
	$(BIN)/python fuzz/campaign.py --responses 10000 --files 2000 $(FUZZ_ARGS)

lab-up: setup
	$(BIN)/python -m lab up

lab-down:
	$(BIN)/python -m lab down

lint: setup
	$(BIN)/ruff check src tests lab suites

clean:
	rm -rf $(VENV) build *.egg-info reports/*.json reports/*.html reports/*.xml lab/run
