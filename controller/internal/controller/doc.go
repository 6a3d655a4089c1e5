// Package controller runs wasp's reconciliation: every change to a watched
// object (Gateway API objects, wasp's policies, Services, EndpointSlices,
// Namespaces, the proxy objects wasp owns) queues one global key; the
// reconciler gathers every object into a translate.Input, runs the pure
// translation, publishes the IR to the xDS server, and — on the leader only —
// writes statuses and applies each Gateway's proxy objects.
//
// One global key keeps the code simple and the result consistent (a
// Service change can move a route between waypoints); the translation is
// cheap enough for it (BenchmarkGatewayAPIToXDS), and the work queue
// coalesces bursts of events into one run.
package controller
