# The two commands: `make lab` runs the main job on the lab, `make test` runs every test.
# Each sets up what it needs: virtualenv, pinned packages, Docker engine, images, emulator.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
STAMP := $(VENV)/.installed
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export LAB_ROOT := $(CURDIR)
# The lab and the tests never touch a real AWS account.
export AWS_ACCESS_KEY_ID ?= testing
export AWS_SECRET_ACCESS_KEY ?= testing
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: help lab lab-down test lint molecule pytest engine images manager ee bench bench-upgrade bench-faults iam iam-record docs bench-mutations bench-provision browser

help:
	@echo "make lab       bring the lab up and run the main job on it"
	@echo "make lab-down  remove the lab"
	@echo "make test      yamllint, ansible-lint, pyflakes, every molecule scenario, the pytest suites"
	@echo "make bench     tuned ansible.cfg against Ansible's defaults on the lab"
	@echo "make bench-upgrade  patch then major rolling upgrade under load on a rebuilt lab"
	@echo "make bench-faults   fault drills under load on a rebuilt lab: failed requests, time to full capacity"
	@echo "make iam       every policy of docs/iam linted, and each playbook run as exactly its policy"
	@echo "make iam-record  the same, rewriting docs/iam/recorded-calls.json (review the diff)"
	@echo "make docs      each role README's Variables section, from its argument specs"
	@echo "make ee        build the execution environment for AWX / Automation Platform and run a page in it"
	@echo "make bench-provision  provision.yml re-run against the emulator: wall time and AWS calls"
	@echo "make bench-mutations  inject known bugs one at a time; prints how many the tests catch"

$(STAMP): requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

engine:
	lab/engine.sh

# The headless browser the evidence report's test renders the page in (Debian's chromium).
browser:
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The images the tests start containers from, built once per recipe.
images: engine
	for image in base jre postgres; do lab/images/build.sh $$image; done

manager: engine
	lab/manager/build.sh

# The lab's estate lives in the emulator that lab/up.yml starts. The controller reaches it at
# the lab network's gateway, as the containers do: presigned URLs carry that address.
# Address and port come from the lab inventory, their one source.
LAB_VARS := inventories/lab/group_vars/all/lab.yml
lab_var = $(shell sed -n 's/^$(1): *//p' $(LAB_VARS))
# The lab's emulator, for every target that runs playbooks against the lab.
lab bench bench-upgrade bench-faults: export AWS_ENDPOINT_URL := http://$(call lab_var,lab_network_gateway):$(call lab_var,lab_emulator_port)
# Every run of the main job is recorded in ARA (callback_plugins/run_records.py), on the server lab/ara_server.py
# keeps on 127.0.0.1 (SQLite under .lab/ara): its web interface lists the runs and their tasks.
LAB_ARA_PORT ?= 8000
lab: export OPS_RUN_RECORDS := ara
lab: export ARA_API_CLIENT := http
lab: export ARA_API_SERVER := http://127.0.0.1:$(LAB_ARA_PORT)
lab: $(STAMP) manager
	python lab/ara_server.py start --port $(LAB_ARA_PORT)
	ansible-playbook lab/up.yml
	ansible-playbook playbooks/provision.yml
	ansible-playbook playbooks/site.yml
	ansible-playbook lab/summary.yml

lab-down: $(STAMP)
	ansible-playbook lab/down.yml

lint: $(STAMP)
	yamllint --strict .
	ansible-lint
	python -m pyflakes $$(git ls-files '*.py')

# Every scenario under this checkout's names, subnets and ports (lab/checkout.py).
molecule: $(STAMP) images manager
	eval "$$(python lab/checkout.py)"; LAB_BASE_IMAGE=$$(lab/images/build.sh base) molecule test --all

pytest: $(STAMP) images manager browser
	pytest tests

# Lint first; then every molecule scenario and the pytest suites in parallel lanes (tests/run_suites.py),
# which fails a suite that ran fewer tests than it has and ends with pytest's own summary.
test: lint images manager browser
	LAB_BASE_IMAGE=$$(lab/images/build.sh base) python tests/run_suites.py

bench: lab
	python bench/site_noop.py

# The execution environment AWX / Automation Platform would run the suite in (execution-environment.yml),
# built offline from the lab's base image with the controller's wheels (lab/ee.py, once per recipe; it
# prints the build time and size); then two runbook pages run in it through ansible-navigator, as AWX jobs
# would: change_window.yml, and health.yml against the lab's nodes, over this machine's network. A page
# that fails fails the target. make test runs both pages in the image too (tests/ee).
ee: export AWS_ENDPOINT_URL := http://$(call lab_var,lab_network_gateway):$(call lab_var,lab_emulator_port)
ee: lab
	python lab/ee.py build
	python lab/ee.py run playbooks/change_window.yml -i inventories/lab \
	  -e '{"change_window_calendars": [{"name": "open", "type": "DEFAULT_OPEN", "timezone": "Etc/UTC", "events": []}]}'
	python lab/ee.py run playbooks/health.yml -i inventories/lab

# A rolling upgrade under load: the lab is rebuilt on 20.0.877 first, then upgraded twice.
bench-upgrade: $(STAMP) manager
	$(MAKE) lab-down
	$(MAKE) lab
	python bench/rolling_upgrade.py

# Fault drills under load: the lab is rebuilt on 20.0.877 first, then broken five ways.
bench-faults: $(STAMP) manager
	$(MAKE) lab-down
	$(MAKE) lab
	python bench/faults.py

# The policies of docs/iam: the static checks, then every playbook against the emulator with IAM
# enforced, each as an identity that holds exactly its policy (docs/iam/README.md).
iam: $(STAMP) manager
	pytest tests/unit/test_iam_policies.py tests/integration/test_least_privilege.py

iam-record: $(STAMP) manager
	RECORD_IAM_CALLS=1 pytest tests/integration/test_least_privilege.py

# The Variables section of every role README is generated from meta/argument_specs.yml (checked by make test).
docs: $(STAMP)
	python tools/role_variables.py

# Known bugs injected one at a time into the filters, modules and key files: how many the tests catch.
bench-mutations: $(STAMP)
	python bench/mutations.py

# provision.yml re-run against its own emulator: wall time and the AWS calls of a converged re-run.
bench-provision: $(STAMP)
	python bench/provision.py
