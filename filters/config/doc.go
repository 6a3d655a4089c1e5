// Package config holds the JSON configuration types of wasp's built-in Wasm
// filters. The filters parse them and the xDS translator emits them, so both
// sides import this one package: what the translator writes is what the filter
// reads (each filter has a round-trip test). It imports nothing of wasp's and
// nothing outside the standard library, so it compiles into a .wasm and into
// the controller alike.
package config
