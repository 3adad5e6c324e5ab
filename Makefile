# Entry points; the work is done by the scripts they call.
.PHONY: test unit lint sanity versions molecule demo demo-destroy build clean help

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

test:  ## everything CI runs: set-up, unit, lint, sanity, versions, molecule
	scripts/test.sh

unit lint sanity versions molecule:  ## one stage of `make test` (after `scripts/test.sh setup`)
	scripts/test.sh $@

demo:  ## site.yml against a local systemd container, then the guide's check
	scripts/demo.sh

demo-destroy:  ## remove the demo container
	scripts/demo.sh destroy

.PHONY: bench
bench:  ## RPC overhead of Caddy+TLS+auth and site.yml convergence times -> docs/benchmarks.md
	scripts/bench.sh

.PHONY: bench-local
bench-local:  ## the same small-call bench without containers (Kubo, Caddy, nginx on loopback); prints a report
	scripts/bench-local.sh

build:  ## build the collection tarball
	.venv/bin/ansible-galaxy collection build --force

clean:  ## remove build output (caches under ~/.cache/secure_kubo_rpc stay)
	rm -rf secure_kubo-rpc-*.tar.gz tests/output
