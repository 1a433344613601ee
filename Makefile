# steady — the two commands: `make run` and `make test`.
GO      ?= go
BIN     := bin/steady
PKGS    := ./...
# OpenBLAS is the GEMM backend; `make test` also runs the pure-Go fallback.
APT_PKGS := libopenblas-dev pkg-config

.PHONY: run test deps build bench clean

# deps installs what is missing (Debian packages), non-interactively and idempotently.
deps:
	@missing=""; for p in $(APT_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(GO) build -o $(BIN) ./cmd/steady

run: build
	./$(BIN) demo

test: deps
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 20m $(PKGS)
	$(GO) test -count=1 -timeout 20m -tags purego ./kernel/... ./half/... ./nn/... ./model/... ./train/...

bench: build
	./$(BIN) bench gemm

clean:
	rm -rf bin
