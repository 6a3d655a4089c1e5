// Package server publishes translated Envoy resources to proxies over ADS.
//
// One go-control-plane snapshot cache holds one snapshot per node ID (one
// per proxy, the ir.Proxy name); the gRPC service speaks both the
// state-of-the-world and the delta (incremental) variant of the aggregated
// discovery service. Snapshot versions are hashes of content, per resource
// type, so a controller restart republishes the same versions and Envoy
// sees no change, and a change to endpoints alone re-sends only endpoints.
//
// Publisher sits on top: given a whole IR it re-translates only the proxies
// whose IR changed, publishes them, and removes the snapshots of proxies
// that are gone.
package server
