package server

// Observer receives xDS events, for metrics. Every method may be called
// concurrently from many streams and must not block. Embed NopObserver to
// implement only some.
type Observer interface {
	// StreamOpened and StreamClosed bracket one ADS stream (delta or not).
	StreamOpened(delta bool)
	StreamClosed(delta bool)
	// ACK: node applied version of typeURL.
	ACK(node, typeURL, version string)
	// NACK: node rejected a response of typeURL; version is the one it
	// still runs, message is Envoy's error_detail.
	NACK(node, typeURL, version, message string)
	// Published: a snapshot was set for node.
	Published(node string, s *Snapshot)
}

// NopObserver ignores everything.
type NopObserver struct{}

func (NopObserver) StreamOpened(bool)                   {}
func (NopObserver) StreamClosed(bool)                   {}
func (NopObserver) ACK(string, string, string)          {}
func (NopObserver) NACK(string, string, string, string) {}
func (NopObserver) Published(string, *Snapshot)         {}
