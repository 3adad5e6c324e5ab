// Caddy with the DNS provider modules that scripts/build-caddy-dns.sh builds
// in, for the ACME DNS-01 challenge (caddy_tls_dns_provider). This is the
// main package of Caddy's own "custom builds" recipe: caddycmd.Main, the
// standard modules, and one blank import per plugin. The versions, and the
// hash of every module, are pinned in go.mod and go.sum next to this file.
//
// To build in another provider, add its import here, then
// `go get github.com/caddy-dns/NAME@vX.Y.Z && go mod tidy` in this directory.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	// Caddy's standard modules, as in the official binaries.
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	// DNS providers: module IDs dns.providers.<name>.
	_ "github.com/caddy-dns/rfc2136"
)

func main() {
	caddycmd.Main()
}
