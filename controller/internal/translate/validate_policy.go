package translate

import (
	"fmt"
	"path"
	"strings"
	"time"

	"wasp.dev/controller/api/v1alpha1"
)

// Bounds on policy values with no sane meaning beyond them. The CRDs
// enforce the same at admission (controller/api/v1alpha1); the controller
// checks again for objects admitted before a CRD upgrade and for `wasp
// translate`. docs/policies.md lists them.
const (
	// MinFillInterval and MaxFillInterval bound a token bucket's refill
	// period: below 50ms the bucket is a busy timer, above a day a typo.
	MinFillInterval = 50 * time.Millisecond
	MaxFillInterval = 24 * time.Hour
	// MaxTemplate is the size of one header or body template.
	MaxTemplate = 4096
	// MaxTransformHeaderBytes bounds the header templates of one direction
	// (set and add together): Envoy refuses requests whose headers exceed
	// 60 KiB (max_request_headers_kb), so 16 values of 4 KiB would break
	// every request the policy touches.
	MaxTransformHeaderBytes = 16384
	// MaxAccessLogFormat bounds one access log format (a stringFormat, or
	// a jsonFormat's encoding).
	MaxAccessLogFormat = 8192
)

// validateTrafficPolicy returns, per field, what the filters' own Validate
// does not refuse but must not reach a proxy.
func validateTrafficPolicy(p *v1alpha1.TrafficPolicy) (rateLimit, transformation string) {
	if tb := tokenBucket(p); tb != nil {
		if d := tb.FillInterval.Duration; d < MinFillInterval || d > MaxFillInterval {
			rateLimit = fmt.Sprintf("rateLimit.local.tokenBucket.fillInterval: %s is outside %s to %s", d, MinFillInterval, MaxFillInterval)
		}
	}
	if tr := p.Spec.Transformation; tr != nil {
		for _, d := range []struct {
			name string
			t    *v1alpha1.Transform
		}{{"request", tr.Request}, {"response", tr.Response}} {
			if msg := checkTransform("transformation."+d.name, d.t); msg != "" {
				return rateLimit, msg
			}
		}
	}
	return rateLimit, ""
}

func tokenBucket(p *v1alpha1.TrafficPolicy) *v1alpha1.TokenBucket {
	if rl := p.Spec.RateLimit; rl != nil && rl.Local != nil {
		return rl.Local.TokenBucket
	}
	return nil
}

func checkTransform(at string, t *v1alpha1.Transform) string {
	if t == nil {
		return ""
	}
	if len(t.Set) > maxHeaderModItems || len(t.Add) > maxHeaderModItems || len(t.Remove) > maxHeaderModItems {
		return fmt.Sprintf("%s: set, add and remove hold at most %d entries each", at, maxHeaderModItems)
	}
	total := 0
	for _, l := range []struct {
		name string
		hs   []v1alpha1.HeaderTransformation
	}{{"set", t.Set}, {"add", t.Add}} {
		for k, h := range l.hs {
			hat := fmt.Sprintf("%s.%s[%d]", at, l.name, k)
			if msg := checkHeaderName(strings.TrimPrefix(string(h.Name), ":")); msg != "" {
				return hat + ".name: " + msg
			}
			if len(h.Value) > MaxTemplate {
				return fmt.Sprintf("%s.value: longer than %d bytes", hat, MaxTemplate)
			}
			total += len(h.Value)
		}
	}
	if total > MaxTransformHeaderBytes {
		return fmt.Sprintf("%s: the set and add values total %d bytes, above %d", at, total, MaxTransformHeaderBytes)
	}
	for k, n := range t.Remove {
		if msg := checkHeaderName(strings.TrimPrefix(string(n), ":")); msg != "" {
			return fmt.Sprintf("%s.remove[%d]: %s", at, k, msg)
		}
	}
	if b := t.Body; b != nil && b.Value != nil && len(*b.Value) > MaxTemplate {
		return fmt.Sprintf("%s.body.value: longer than %d bytes", at, MaxTemplate)
	}
	return ""
}

// Access-log file paths a policy may name (docs/security.md): the
// proxy's standard streams, or a file directly or deeper inside the
// directory the operator configured (Options.AccessLogDir, the proxies
// mount it). The CRD's CEL rule refuses what is wrong whatever the
// directory; this check adds the directory.
const (
	AccessLogStdout = "/dev/stdout"
	AccessLogStderr = "/dev/stderr"
	// DefaultAccessLogDir is the access-log directory when none is
	// configured (Helm value accessLog.directory, flag --access-log-dir).
	DefaultAccessLogDir = "/var/log/wasp"
)

// CheckAccessLogPath says why a file sink path is refused, "" when it is
// allowed with access-log directory dir.
func CheckAccessLogPath(p, dir string) string {
	if p == AccessLogStdout || p == AccessLogStderr {
		return ""
	}
	if dir == "" {
		dir = DefaultAccessLogDir
	}
	dir = path.Clean(dir)
	if !path.IsAbs(p) || path.Clean(p) != p || !strings.HasPrefix(p, dir+"/") {
		return fmt.Sprintf("%q: must be %s, %s or a clean absolute path inside the access-log directory %s", p, AccessLogStdout, AccessLogStderr, dir)
	}
	return ""
}

// validateListenerPolicy checks the access log's paths and format sizes.
func validateListenerPolicy(p *v1alpha1.HTTPListenerPolicy, dir string) string {
	for i, al := range p.Spec.AccessLog {
		fs := al.FileSink
		if fs == nil {
			continue
		}
		at := fmt.Sprintf("accessLog[%d].fileSink", i)
		if msg := CheckAccessLogPath(fs.Path, dir); msg != "" {
			return at + ".path: " + msg
		}
		if len(fs.StringFormat) > MaxAccessLogFormat {
			return fmt.Sprintf("%s.stringFormat: longer than %d bytes", at, MaxAccessLogFormat)
		}
		if fs.JSONFormat != nil && len(fs.JSONFormat.Raw) > MaxAccessLogFormat {
			return fmt.Sprintf("%s.jsonFormat: longer than %d bytes", at, MaxAccessLogFormat)
		}
	}
	return ""
}
