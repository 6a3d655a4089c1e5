package logfilter

import (
	"testing"
	"time"

	"wasp.dev/filters/accesslog/format"
	"wasp.dev/filters/config"
)

// src is a minimal format.Source: a response code and response headers.
type src struct {
	code    int64
	hasCode bool
	resp    map[string]string
}

func (s src) StartTime() (time.Time, bool) { return time.Time{}, false }
func (s src) Number(f format.Field) (int64, bool) {
	if f == format.ResponseCode {
		return s.code, s.hasCode
	}
	return 0, false
}
func (s src) String(format.Field) (string, bool) { return "", false }
func (s src) ResponseFlags() uint64              { return 0 }
func (s src) Header(k format.HeaderKind, n string) (string, bool) {
	if k != format.ResponseHeader {
		return "", false
	}
	v, ok := s.resp[n]
	return v, ok
}
func (s src) FilterState(string) (string, bool) { return "", false }

func TestNilFilterMatches(t *testing.T) {
	f, err := Compile(nil, nil)
	if err != nil || !f.Match(src{}) {
		t.Fatalf("nil filter: %v, match %v", err, f.Match(src{}))
	}
}

// Envoy's httpToGrpcStatus mapping and the grpc-status header win order.
func TestGrpcStatus(t *testing.T) {
	cases := []struct {
		s    src
		want int
	}{
		{src{code: 400, hasCode: true}, 13},
		{src{code: 401, hasCode: true}, 16},
		{src{code: 403, hasCode: true}, 7},
		{src{code: 404, hasCode: true}, 12},
		{src{code: 503, hasCode: true}, 14},
		{src{code: 200, hasCode: true}, 2},
		{src{}, 2},
		{src{code: 503, hasCode: true, resp: map[string]string{"grpc-status": "5"}}, 5},
		{src{resp: map[string]string{"grpc-status": "x"}}, 2},
	}
	for _, c := range cases {
		if got := grpcStatus(c.s); got != c.want {
			t.Errorf("%+v: status %d, want %d", c.s, got, c.want)
		}
	}
}

func TestCompileRejectsInvalid(t *testing.T) {
	_, err := Compile(&config.AccessLogFilter{AndFilter: []config.AccessLogFilterType{{NotHealthCheckFilter: true}}}, nil)
	if err == nil {
		t.Fatal("andFilter of one compiled")
	}
}
