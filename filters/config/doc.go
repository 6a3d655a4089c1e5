// Package config holds the JSON configuration types of wasp's built-in Wasm
// filters. The filters parse them and the xDS translator emits them, so both
// sides import this one package: what the translator writes is what the filter
// reads (each filter has a round-trip test). It imports only the standard library
// and wasp's own standard-library-only engines (the transform template
// parser, so Validate can reject a template before it reaches Envoy); it never
// imports the SDK, the xDS side or Kubernetes, so it compiles into a .wasm and
// into the controller alike.
package config
