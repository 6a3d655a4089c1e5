package envoysim

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	filelogv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"wasp.dev/filters/accesslog/format"
)

const fileLoggerTypeURL = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog"

// filterStateOp finds %FILTER_STATE(...)% operators, to refuse the base64
// JSON serialization this package does not render.
var filterStateOp = regexp.MustCompile(`%FILTER_STATE\(([^)]*)\)`)

// fileLogger is a native file access logger of a connection manager.
type fileLogger struct {
	path string
	f    *format.Format
	// newline: a text format ending in a newline (Envoy prints it as is;
	// the shared parser drops it, as the Wasm filter's sinks add their own).
	newline bool
	filter  *accesslogv3.AccessLogFilter
}

func newFileLogger(al *accesslogv3.AccessLog) (*fileLogger, error) {
	if al.GetTypedConfig().GetTypeUrl() != fileLoggerTypeURL {
		return nil, fmt.Errorf("access logger %q (%s) is not modelled", al.GetName(), al.GetTypedConfig().GetTypeUrl())
	}
	var fa filelogv3.FileAccessLog
	if err := al.GetTypedConfig().UnmarshalTo(&fa); err != nil {
		return nil, err
	}
	fl := &fileLogger{path: fa.GetPath()}
	lf := fa.GetLogFormat()
	if lf == nil {
		return nil, fmt.Errorf("file access logger %s: Envoy's default format is not modelled", fa.GetPath())
	}
	if lf.GetOmitEmptyValues() || len(lf.GetFormatters()) > 0 {
		return nil, fmt.Errorf("file access logger %s: omit_empty_values and formatter extensions are not modelled", fa.GetPath())
	}
	unredacted := format.Options{Unredacted: format.SensitiveHeaders} // Envoy prints every header as is
	var err error
	switch {
	case lf.GetJsonFormat() != nil:
		raw, merr := protojson.Marshal(lf.GetJsonFormat())
		if merr != nil {
			return nil, merr
		}
		if err = checkFilterStateOps(string(raw)); err == nil {
			fl.f, err = format.ParseJSON(raw, unredacted)
		}
	case lf.GetTextFormatSource() != nil:
		s := lf.GetTextFormatSource().GetInlineString()
		fl.newline = strings.HasSuffix(s, "\n")
		if err = checkFilterStateOps(s); err == nil {
			fl.f, err = format.ParseText(strings.TrimSuffix(s, "\n"), unredacted)
		}
	default:
		return nil, fmt.Errorf("file access logger %s: format %T is not modelled", fa.GetPath(), lf.GetFormat())
	}
	if err != nil {
		return nil, fmt.Errorf("file access logger %s: %w", fa.GetPath(), err)
	}
	if err := checkFilter(al.GetFilter()); err != nil {
		return nil, fmt.Errorf("file access logger %s: %w", fa.GetPath(), err)
	}
	fl.filter = al.GetFilter()
	return fl, nil
}

func checkFilterStateOps(s string) error {
	for _, m := range filterStateOp.FindAllStringSubmatch(s, -1) {
		if !strings.HasSuffix(m[1], ":PLAIN") {
			return fmt.Errorf("%%FILTER_STATE(%s)%% without :PLAIN (base64 JSON) is not modelled", m[1])
		}
	}
	return nil
}

// render writes the logger's line for an exchange, or reports that its
// filter dropped it.
func (fl *fileLogger) render(ex *Exchange, hr *httpRequest, src, dst netip.AddrPort, start time.Time, bodyLen int64) (string, bool, error) {
	if keep, err := evalFilter(fl.filter, ex, hr); err != nil || !keep {
		return "", false, err
	}
	s := &nativeSource{ex: ex, hr: hr, src: src, dst: dst, start: start, bodyLen: bodyLen}
	line := fl.f.Append(nil, s)
	if fl.f.IsJSON() || fl.newline {
		line = append(line, '\n')
	}
	return string(line), true, nil
}

// nativeSource is what Envoy's own formatter knows about an exchange.
type nativeSource struct {
	ex       *Exchange
	hr       *httpRequest
	src, dst netip.AddrPort
	start    time.Time
	bodyLen  int64
}

func (s *nativeSource) StartTime() (time.Time, bool) { return s.start, true }

func (s *nativeSource) Number(f format.Field) (int64, bool) {
	switch f {
	case format.ResponseCode:
		return int64(s.ex.Status()), true
	case format.BytesReceived:
		return s.bodyLen, true
	case format.BytesSent:
		return int64(len(s.ex.Result.Response.Body)), true
	case format.Duration, format.RequestDuration, format.ResponseDuration:
		return 0, true // the simulation takes no time on the proxy's clock
	}
	return 0, false
}

func (s *nativeSource) String(f format.Field) (string, bool) {
	switch f {
	case format.Protocol:
		return "HTTP/1.1", true
	case format.ResponseCodeDetails:
		if lr := s.ex.Result.LocalReply; lr != nil {
			return lr.Details, true
		}
		return "via_upstream", true
	case format.UpstreamHost:
		return s.ex.Endpoint, s.ex.Endpoint != ""
	case format.UpstreamCluster:
		return s.ex.Cluster, s.ex.Cluster != ""
	case format.DownstreamRemoteAddress:
		return s.src.String(), true
	case format.DownstreamLocalAddress:
		return s.dst.String(), true
	case format.RouteName:
		return s.ex.Route, s.ex.Route != ""
	}
	return "", false
}

func (s *nativeSource) ResponseFlags() uint64 {
	var bits uint64
	for _, n := range strings.Split(s.ex.ResponseFlags, ",") {
		if b, ok := format.ResponseFlagBit(n); ok {
			bits |= b
		}
	}
	return bits
}

func (s *nativeSource) Header(kind format.HeaderKind, name string) (string, bool) {
	var pairs [][2]string
	switch kind {
	case format.RequestHeader:
		if v, ok := s.hr.header(name); ok && strings.HasPrefix(name, ":") {
			return v, true
		}
		pairs = s.hr.headers
	case format.ResponseHeader:
		pairs = s.ex.Result.Response.Headers
		if name == ":status" {
			return strconv.Itoa(s.ex.Status()), true
		}
	case format.ResponseTrailer:
		pairs = s.ex.Result.Response.Trailers
	}
	for _, p := range pairs {
		if strings.EqualFold(p[0], name) {
			return p[1], true
		}
	}
	return "", false
}

func (s *nativeSource) FilterState(key string) (string, bool) {
	key, _, _ = strings.Cut(key, ":")
	v, ok := s.ex.Result.FilterState[key]
	return string(v), ok
}
