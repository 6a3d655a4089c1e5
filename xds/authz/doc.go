// Package authz turns Istio AuthorizationPolicies (as wasp's IR,
// wasp.dev/xds/ir.AuthorizationPolicy) into Envoy's native RBAC filters for
// one waypoint filter chain: envoy.filters.http.rbac on HTTP chains,
// envoy.filters.network.rbac on TCP chains. It is a pure function with
// Istio's semantics (docs/istio-ambient-authz.md has the table):
//
//   - Filters in order CUSTOM, AUDIT, DENY, ALLOW; a request denied by one
//     never reaches the next.
//   - CUSTOM needs an external authorizer wasp does not run: its rules deny
//     (fail closed, as Istio does for a CUSTOM provider it cannot use), and
//     the policy is reported.
//   - AUDIT is RBAC action LOG: it marks matching requests for the access
//     log and never denies.
//   - No ALLOW policy: allow. Any ALLOW policy: deny what no ALLOW rule
//     matches.
//   - A policy with no rules matches nothing; an empty rule matches all.
//   - A condition wasp cannot enforce (unsupported field, HTTP-only field on
//     a TCP chain, invalid value) makes an ALLOW rule never match; for DENY,
//     AUDIT and CUSTOM the condition is dropped, so the rule matches more
//     (fail closed). Each case is a Finding for the controller to report.
//   - istio.io/dry-run policies become shadow rules: evaluated, never
//     enforced.
//   - Peer identity is the connection filter state io.istio.peer_principal
//     (ztunnel's PROXY TLV 0xD0, copied by the chain's set_filter_state
//     filter, which must come before these filters), matched with the
//     "spiffe://" prefix Istio policies omit.
//
// Every emitted message passes its ValidateAll (the rules Envoy enforces on
// ingestion) before it is packed.
package authz
