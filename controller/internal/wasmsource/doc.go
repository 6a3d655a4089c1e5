// Package wasmsource fetches the custom Wasm modules that WasmFilters name,
// verifies them and keeps them in a content-addressed cache on disk, from
// which the controller serves them to Envoy by sha256.
//
// A source is exactly one of: an OCI image (the Wasm OCI artifact that
// `oras push` and Istio's WasmPlugin use, or Istio's "compat" image:
// plugin.wasm in its last tar layer), an HTTP(S) URL with its required sha256,
// or the bytes of a ConfigMap key (read by the caller). Before a module is
// cached or served, Fetcher:
//
//   - bounds its size (TooLarge),
//   - retries transient failures with bounded exponential backoff, then
//     gives up (FetchFailed),
//   - checks the pinned sha256 (DigestMismatch),
//   - parses the Wasm binary and requires the proxy-wasm ABI exports and
//     imports Envoy can satisfy (InvalidModule).
//
// Each failure is an *Error whose Reason is the WasmFilter status reason.
//
// The cache key is the source's identity plus its pin, so a changed source
// (another reference, URL, pin, or ConfigMap content) is fetched again,
// while the same source is served from disk without the network, across
// restarts too. An image reference by tag without a pin is resolved once
// per cache: pin a digest to pick up a new push.
//
// The validator is a small parser of the binary format written here: the
// controller binary does not link a Wasm runtime.
package wasmsource
