# napstack: `make demo` and `make test` are the two set-up commands (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CONFIG ?= examples/minecraft-java.yaml

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export AWS_EC2_METADATA_DISABLED := true

.PHONY: setup demo synth test faults bench schema clean

# constraints.txt pins every transitive package too (regenerate: .venv/bin/pip freeze > constraints.txt).
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@# The `napstack` command, running this checkout (no dependencies of its own: they are pinned above).
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# The functions' packages built for Lambda's runtime (PyPI's manylinux wheels, pinned): synth copies them into the
# assets and never downloads (stacks/lambda_packages.py).
$(VENV)/lambda-packages/napstack-platform.json: $(VENV)/.installed constraints.txt $(wildcard functions/*/requirements.txt) stacks/lambda_packages.py stacks/lambda_function.py
	$(PY) -m stacks.lambda_packages

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error --silent
	touch $@

setup: $(VENV)/.installed $(VENV)/lambda-packages/napstack-platform.json node_modules/.installed

# Synthesize every stack for CONFIG with the pinned CDK CLI, then list stacks and resource counts.
synth: setup
	$(PY) -m napstack check "$(CONFIG)"
	rm -rf cdk.out
	@# CDK's own chatter ("Supply a stack id", unconfigured feature flags) goes to a log, shown only if synth fails.
	@npx --no-install cdk synth --no-notices --quiet -c config="$(CONFIG)" -o cdk.out > $(VENV)/cdk-synth.log 2>&1 \
		|| { cat $(VENV)/cdk-synth.log; exit 1; }
	$(PY) -m napstack summary cdk.out

# A whole play session replayed locally: a DNS lookup starts the server, players come and go, the
# watchdog scales down after its idle checks, the hook resets DNS and ECS. No AWS account needed.
demo: synth
	$(PY) -m napstack dns-lookup-event --config "$(CONFIG)" > cdk.out/demo-dns-lookup.json
	$(PY) -m napstack replay cdk.out/demo-dns-lookup.json --config "$(CONFIG)" --assembly cdk.out \
		--scenario events/scenarios/evening-session.yaml

test: setup
	$(PY) -m pytest

# The fault property test with many more sampled cases than `make test` runs (single and double faults).
faults: setup
	NAPSTACK_FAULT_CASES=$${NAPSTACK_FAULT_CASES:-200} $(PY) -m pytest tests/emulator/test_faults.py -k whatever

bench: setup
	$(PY) -m napstack.bench

schema: setup
	$(PY) -m napstack schema

clean:
	rm -rf cdk.out .pytest_cache
