# ephpm — see README.md.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
GO_PURE_PKGS := ./internal/config/... ./internal/kv/... ./internal/server/... ./internal/metrics/... ./internal/resp/... ./internal/kvclient/... ./internal/kvredis/... ./internal/testloop/... ./internal/accept/... ./internal/threadpolicy/...

.PHONY: all deps build run test test-go phpredis-tests redis-tests redispy-tests hiredis-tests test-race test-e2e test-php test-zts vet fmt-check clean bench bench-kv php-zts release

all: build

deps:
	bash scripts/install-deps.sh

build: deps bin/ephpm

# Always rebuilt: go's own cache makes a no-op build fast.
bin/ephpm: FORCE
	go build -ldflags "$(LDFLAGS)" -o bin/ephpm ./cmd/ephpm

FORCE:

run: build
	cd examples/hello && ../../bin/ephpm serve --config ephpm.toml

test: deps vet fmt-check test-race test-go test-php test-zts
	@echo "make test: all green"

vet:
	go vet ./...

fmt-check:
	@out=$$(gofmt -l cmd internal tests 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Pure-Go packages under the race detector.
test-race:
	go test -race -count=1 $(GO_PURE_PKGS)

# Packages that embed PHP, and the end-to-end suite against the real binary.
# EPHPM_PHPREDIS_TESTS: phpredis's own test suite (scripts/phpredis-tests.sh
# fetches it once), run by tests/e2e against the RESP endpoint.
PHPREDIS_TESTS := $(CURDIR)/.cache/phpredis/tests
# EPHPM_REDIS_TESTS: Redis 7.0's own test suite (scripts/redis-tests.sh
# fetches tests/ of Debian's redis source once; tclsh8.6 runs it), run by
# tests/e2e against the RESP endpoint.
REDIS_TESTS := $(CURDIR)/.cache/redis-tests/tests
# EPHPM_REDISPY_TESTS: redis-py's own test suite, of Debian's python3-redis
# (scripts/client-tests-redispy.sh fetches it once), run by tests/e2e
# against the RESP endpoint.
REDISPY_TESTS := $(CURDIR)/.cache/redispy-tests/tests
# EPHPM_HIREDIS_TESTS: hiredis's own test program, of Debian's hiredis
# source (scripts/client-tests-hiredis.sh fetches it once; tests/e2e builds
# test.c and runs it against the RESP endpoint).
HIREDIS_TESTS := $(CURDIR)/.cache/hiredis-tests/src

test-go: phpredis-tests redis-tests redispy-tests hiredis-tests
	EPHPM_PHPREDIS_TESTS=$(PHPREDIS_TESTS) EPHPM_REDIS_TESTS=$(REDIS_TESTS) EPHPM_REDISPY_TESTS=$(REDISPY_TESTS) EPHPM_HIREDIS_TESTS=$(HIREDIS_TESTS) go test -count=1 -timeout 30m ./internal/phpembed/... ./cmd/... ./tests/...

phpredis-tests:
	@bash scripts/phpredis-tests.sh >/dev/null

redis-tests:
	@bash scripts/redis-tests.sh >/dev/null

redispy-tests:
	@bash scripts/client-tests-redispy.sh >/dev/null

hiredis-tests:
	@bash scripts/client-tests-hiredis.sh >/dev/null

test-php:
	@if [ -f composer/cache-laravel/phpunit.xml.dist ]; then phpunit -c composer/cache-laravel/phpunit.xml.dist; fi

# The thread-safe PHP, built once per machine into .cache/php-zts/ (about
# 27 minutes on 2 cores, profile-guided and link-time optimised; with
# EPHPM_PHP_PGO=0 EPHPM_PHP_LTO=0 about 11), and the single static binary
# linked against it.
PHP_ZTS_ENV := .cache/php-zts/current/ephpm-cgo.env

php-zts:
	bash scripts/build-php-zts.sh

release: deps php-zts
	set -a && . $(PHP_ZTS_ENV) && set +a && \
	  go build -tags ephpm_static -ldflags "$(LDFLAGS)" -o bin/ephpm-static ./cmd/ephpm
	@if ldd bin/ephpm-static | grep -qi php; then echo "release: bin/ephpm-static still needs a shared libphp"; exit 1; fi
	bin/ephpm-static version

# The end-to-end suite again, against the thread-safe single binary.
test-zts: release redis-tests redispy-tests hiredis-tests
	bash scripts/check-standalone.sh bin/ephpm-static
	EPHPM_BIN=$(CURDIR)/bin/ephpm-static EPHPM_PHPREDIS_TESTS=$(PHPREDIS_TESTS) EPHPM_REDIS_TESTS=$(REDIS_TESTS) EPHPM_REDISPY_TESTS=$(REDISPY_TESTS) EPHPM_HIREDIS_TESTS=$(HIREDIS_TESTS) go test -count=1 -timeout 30m ./tests/...

# Benchmarks (not tests): results printed and written under bench/results/.
bench-kv: build
	bash scripts/bench-kv.sh

bench: build release
	bash scripts/bench.sh

clean:
	rm -rf bin
