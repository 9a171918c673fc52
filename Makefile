# Entry points scripts can rely on: `make up`, `make test`, `make down`.
# Everything runs as root on a Debian host; each target is idempotent.
SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV := $(ROOT)/.venv
# LLMOPS_COLLECTIONS_DIR: where the built collection is installed (one per work tree by default).
export LLMOPS_COLLECTIONS_DIR ?= $(ROOT)/.cache/collections
export ANSIBLE_COLLECTIONS_PATH := $(LLMOPS_COLLECTIONS_DIR):$(VENV)/lib/python3.11/site-packages
export ANSIBLE_CONFIG := $(ROOT)/tests/ansible.cfg
export PATH := $(VENV)/bin:$(PATH)
INVENTORY ?= inventories/local
ANSIBLE_ARGS ?=

.PHONY: up down test setup venv docker collection images lint unit integration rules molecule bench clean

up: venv docker collection ## Bring the whole stack up on this host (site.yml builds missing images itself)
	$(VENV)/bin/ansible-playbook -i $(INVENTORY) playbooks/site.yml $(ANSIBLE_ARGS)
	@$(VENV)/bin/ansible-playbook -i $(INVENTORY) playbooks/endpoints.yml

down: ## Remove the stack's containers and networks; volumes stay unless PURGE=1
	$(VENV)/bin/ansible-playbook -i $(INVENTORY) playbooks/teardown.yml -e teardown_volumes=$(if $(PURGE),true,false)

setup: venv docker collection images

venv:
	@bash scripts/setup-venv.sh

docker:
	@bash scripts/ensure-docker.sh

collection: venv
	@bash scripts/install-collection.sh

images: venv docker collection
	$(VENV)/bin/ansible-playbook -i $(INVENTORY) playbooks/images.yml $(ANSIBLE_ARGS)

test: setup ## Every test: lint, unit, integration, alert rules, Molecule, live (LiteLLM suite on the Molecule stack), teardown
	@bash scripts/run-tests.sh

lint: venv collection
	@bash scripts/run-tests.sh lint

unit: venv collection
	@bash scripts/run-tests.sh unit

integration: venv collection
	@bash scripts/run-tests.sh integration

rules: venv docker
	@bash scripts/run-tests.sh rules

molecule: setup ## The Molecule stack: converge, idempotence, verify, the LiteLLM suite against it, teardown
	@bash scripts/run-tests.sh molecule live teardown

bench: setup ## Benchmarks (BENCH=keys|stack|converge to pick; BENCH_BEFORE=<commit> for converge)
	@bash scripts/run-bench.sh $(BENCH)

clean:
	rm -rf .cache tests/output
