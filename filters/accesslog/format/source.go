package format

import "time"

// Field names a per-request value a Source supplies.
type Field uint8

// Numeric fields (Source.Number). Durations are in nanoseconds; the formatter
// prints them in whole milliseconds, as Envoy does.
const (
	ResponseCode Field = iota + 1
	BytesReceived
	BytesSent
	Duration
	RequestDuration
	ResponseDuration
)

// String fields (Source.String).
const (
	Protocol Field = iota + 32
	ResponseCodeDetails
	UpstreamHost
	UpstreamCluster
	DownstreamRemoteAddress
	DownstreamLocalAddress
	RouteName
	Hostname
)

// HeaderKind says which header map a %REQ%, %RESP% or %TRAILER% reads.
type HeaderKind uint8

const (
	RequestHeader HeaderKind = iota
	ResponseHeader
	ResponseTrailer
)

// Source supplies one request's values while a format renders. Every method
// reports false when the value is missing; the formatter then prints "-" or
// null (or 0 where Envoy does). It is only asked for what the format uses.
type Source interface {
	StartTime() (time.Time, bool)
	Number(Field) (int64, bool)
	String(Field) (string, bool)
	// ResponseFlags is Envoy's bitmask (bit n = core response flag n, the
	// encoding of the response.flags property), with wasp's own flags merged.
	ResponseFlags() uint64
	// Header returns the first value of a header; name is lower case.
	Header(kind HeaderKind, name string) (string, bool)
	FilterState(key string) (string, bool)
}
