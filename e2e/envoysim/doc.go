// Package envoysim runs HTTP requests through the Envoy configuration a proxy
// received over xDS, the way Envoy would, with Envoy itself replaced by what
// can run on these machines: the Wasm filters execute in wazero
// (wasp.dev/filters/wasmtest), and everything Envoy does natively around them
// (listener and filter-chain selection, virtual host and route matching,
// route actions, the native access loggers) is reimplemented here, narrowly,
// for the config shapes wasp's translator emits.
//
// Given the Listeners, RouteConfigurations, Clusters and
// ClusterLoadAssignments of one node, a Proxy:
//
//   - picks the HTTP connection manager for a request: on a listener with
//     the proxy_protocol listener filter (a waypoint) the filter chain whose
//     filter_chain_match fits the restored destination VIP:port, otherwise
//     the listener bound to the request's port;
//   - selects the virtual host by :authority and the route by Envoy's match
//     rules (prefix, path, safe_regex, path_separated_prefix, headers,
//     query parameters), which gives the route name (property
//     xds.route_name) and the route action (timeout, weighted clusters,
//     direct response, redirect);
//   - does the router's native work: prefix/regex/host rewrites, route,
//     virtual host and weighted-cluster header changes, a cluster missing
//     from CDS (503 NC), no healthy endpoint in EDS (503 UH), an upstream
//     slower than the route timeout (504 UT), no route (404 NR);
//   - instantiates the connection manager's Wasm filters in order, with the
//     code fetched from the URI in the xDS and checked against its sha256,
//     and the plugin and VM configuration taken from the xDS; plugins with
//     the same (vm_id, vm configuration, code) share one VM, as in Envoy;
//   - honours per-route enable/disable (HTTP filter disabled: true, route or
//     virtual host typed_per_filter_config FilterConfig), decided once, on
//     the route matched when the request arrives, as Envoy does when it
//     creates the stream's filter chain;
//   - models the route cache: when a filter changed the request headers
//     (ABI 0.2.1 clears the cache on any change), the router selects the
//     route again on the headers it received and routes by it (cluster,
//     rewrites, timeout); Exchange.Route, the native %ROUTE_NAME% and the
//     xds.route_name / xds.cluster_name a Wasm filter reads after the
//     router (response callbacks, on_log) are then the re-selected route's,
//     Exchange.InitialRoute the one the chain was built on (reselect.go);
//   - runs the request through the chain and renders each native file
//     access logger's line (text or JSON format, CEL filter-state
//     conditions, status/flag/header/and/or filters) from the exchange's
//     filter state; a Wasm filter's own sinks are the filter's business.
//
// Anything the translator might emit that this package does not model (an
// unknown HTTP filter, a match field, a filter-chain criterion) is an error
// naming it, never a silent pass: a test that uses a Proxy fails loudly when
// the translator outgrows the simulation.
//
// Downstream TLS is modelled (tls.go): on a listener with the tls_inspector
// the filter chain is chosen by the client's SNI (exact, longest wildcard,
// none), its SDS certificates must have arrived, and a real crypto/tls
// handshake with them gives the certificate and ALPN protocol the client
// gets (Request.TLS, Exchange.TLS).
//
// Not modelled: upstream TLS, HTTP/2 specifics, the RBAC filters, retries and
// request mirrors (ignored: they do not change what the client sees here),
// load-balancing policies other than a seeded weighted-cluster pick and the
// first healthy endpoint, x-forwarded-for, and response flags a Wasm
// filter could read (it sees none: response.flags is 0, as wasmtest
// reports it).
//
// vm_config.environment_variables reach the module as its WASI environ:
// key_values as given, host_env_keys from Options.HostEnv (the simulated
// Envoy process environment; a key missing there is dropped, as Envoy
// does).
package envoysim
