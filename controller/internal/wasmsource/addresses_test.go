package wasmsource

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestAddressPolicyCheck(t *testing.T) {
	var zero AddressPolicy
	private := AddressPolicy{AllowPrivateNetworks: true}
	allowed := AddressPolicy{AllowedCIDRs: mustCIDRs(t, "127.0.0.1,10.96.0.0/12")}
	denied := AddressPolicy{AllowPrivateNetworks: true, AllowedCIDRs: mustCIDRs(t, "203.0.113.0/24"), DeniedCIDRs: mustCIDRs(t, "10.244.0.0/16,203.0.113.7")}
	for _, tc := range []struct {
		policy AddressPolicy
		addr   string
		want   string // the class refused; "" for allowed
	}{
		{zero, "127.0.0.1", "loopback"},
		{zero, "127.8.9.10", "loopback"},
		{zero, "::1", "loopback"},
		{zero, "::ffff:127.0.0.1", "loopback"},
		{zero, "64:ff9b::a9fe:a9fe", "link-local (the cloud metadata endpoint)"}, // NAT64 of 169.254.169.254
		{zero, "64:ff9b::cb00:7107", ""},                                         // NAT64 of 203.0.113.7
		{zero, "169.254.169.254", "link-local (the cloud metadata endpoint)"},
		{zero, "169.254.10.1", "link-local"},
		{zero, "fe80::1", "link-local"},
		{zero, "0.0.0.0", "unspecified"},
		{zero, "0.1.2.3", "unspecified"},
		{zero, "::", "unspecified"},
		{zero, "224.0.0.251", "multicast"},
		{zero, "ff02::1", "multicast"},
		{zero, "255.255.255.255", "broadcast"},
		{zero, "10.96.0.10", "a private network address"},
		{zero, "172.20.1.1", "a private network address"},
		{zero, "192.168.1.1", "a private network address"},
		{zero, "100.64.0.1", "a private network address"},
		{zero, "fd00::1", "a private network address"},
		{zero, "203.0.113.7", ""},
		{zero, "2001:db8::1", ""},
		// AllowPrivateNetworks opens private ranges, not loopback or
		// metadata.
		{private, "10.96.0.10", ""},
		{private, "fd00:ec2::254", ""},
		{private, "127.0.0.1", "loopback"},
		{private, "169.254.169.254", "link-local (the cloud metadata endpoint)"},
		// AllowedCIDRs opens exactly its ranges.
		{allowed, "127.0.0.1", ""},
		{allowed, "127.0.0.2", "loopback"},
		{allowed, "10.100.0.1", ""},
		{allowed, "10.244.0.1", "a private network address"},
		// DeniedCIDRs wins over everything.
		{denied, "10.1.1.1", ""},
		{denied, "10.244.3.4", "denied"},
		{denied, "203.0.113.8", ""},
		{denied, "203.0.113.7", "denied"},
	} {
		err := tc.policy.Check(netip.MustParseAddr(tc.addr))
		var re *RefusedError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %s refused: %v", tc.policy, tc.addr, err)
		case tc.want == "":
		case !errors.As(err, &re):
			t.Errorf("%+v: %s allowed, want refused as %s", tc.policy, tc.addr, tc.want)
		case tc.want == "denied" && !re.Denied.IsValid(), tc.want != "denied" && re.Class != tc.want:
			t.Errorf("%+v: %s refused as %q (%v), want %s", tc.policy, tc.addr, re.Class, err, tc.want)
		}
	}
}

// TestRefusalMessages: the condition message says what the address is and
// which setting would allow it.
func TestRefusalMessages(t *testing.T) {
	var zero AddressPolicy
	for addr, want := range map[string]string{
		"127.0.0.1":       "address 127.0.0.1 is loopback; allowed only by --wasm-fetch-allowed-cidrs (Helm controller.wasmFetch.allowedCIDRs)",
		"169.254.169.254": "address 169.254.169.254 is link-local (the cloud metadata endpoint); allowed only by --wasm-fetch-allowed-cidrs",
		"10.0.0.1":        "address 10.0.0.1 is a private network address; allowed by --wasm-fetch-allow-private-networks (Helm controller.wasmFetch.allowPrivateNetworks) or --wasm-fetch-allowed-cidrs",
	} {
		if err := zero.Check(netip.MustParseAddr(addr)); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %q", addr, err, want)
		}
	}
	d := AddressPolicy{DeniedCIDRs: mustCIDRs(t, "198.51.100.0/24")}
	if err := d.Check(netip.MustParseAddr("198.51.100.9")); err == nil || err.Error() != "address 198.51.100.9 is in the denied range 198.51.100.0/24 (--wasm-fetch-denied-cidrs, Helm controller.wasmFetch.deniedCIDRs)" {
		t.Errorf("denied: %v", err)
	}
}

func TestParseCIDRs(t *testing.T) {
	got, err := ParseCIDRs(" 10.1.2.3/8, 192.0.2.1 ,,fd00::/8")
	if err != nil || fmt.Sprint(got) != "[10.0.0.0/8 192.0.2.1/32 fd00::/8]" {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := ParseCIDRs("10.0.0.0/33"); err == nil {
		t.Fatal("10.0.0.0/33 accepted")
	}
	if got, err := ParseCIDRs(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v, %v", got, err)
	}
}

// countingListener accepts connections on a loopback address and counts
// them: a refused fetch must not reach it.
type countingListener struct {
	ln    net.Listener
	conns atomic.Int64
}

func newCountingListener(t *testing.T, ip string) *countingListener {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	c := &countingListener{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.conns.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

func (c *countingListener) port() string {
	_, p, _ := net.SplitHostPort(c.ln.Addr().String())
	return p
}

// guardedFetcher is a fetcher with the given policy (newTestFetcher opens
// loopback when the policy allows nothing).
func guardedFetcher(t *testing.T, p AddressPolicy) *Fetcher {
	t.Helper()
	cache, err := OpenCache(CacheOptions{Dir: t.TempDir(), MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(Options{Cache: cache, Addresses: p, Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	f.sleep = func(context.Context, time.Duration) error { return nil }
	return f
}

// wantRefused asserts a FetchRefused failure after one attempt whose
// message starts with the policy's.
func wantRefused(t *testing.T, err error, msg string) {
	t.Helper()
	e := wantReason(t, err, ReasonFetchRefused)
	if e.Attempts != 1 || !strings.Contains(e.Error(), msg) {
		t.Errorf("want one attempt refused with %q, got %v", msg, e)
	}
}

// TestFetchRefusedSendsNothing: with the default policy, URLs and images
// on loopback (by address or by name) and the metadata endpoint are
// refused before any connection is made.
func TestFetchRefusedSendsNothing(t *testing.T) {
	ln := newCountingListener(t, "127.0.0.1")
	f := guardedFetcher(t, AddressPolicy{})
	pin := strings.Repeat("a", 64)
	for _, src := range []Source{
		{HTTP: &HTTPSource{URL: "http://127.0.0.1:" + ln.port() + "/m.wasm"}, SHA256: pin},
		{HTTP: &HTTPSource{URL: "http://localhost:" + ln.port() + "/m.wasm"}, SHA256: pin},
		{HTTP: &HTTPSource{URL: "http://[::ffff:127.0.0.1]:" + ln.port() + "/m.wasm"}, SHA256: pin},
		{Image: &ImageSource{Reference: "127.0.0.1:" + ln.port() + "/filters/demo:v1"}},
		{Image: &ImageSource{Reference: "localhost:" + ln.port() + "/filters/demo:v1"}},
	} {
		wantRefused(t, fetchErr(f, src), "is loopback; allowed only by --wasm-fetch-allowed-cidrs")
	}
	wantRefused(t, fetchErr(f, Source{HTTP: &HTTPSource{URL: "http://169.254.169.254/latest/meta-data/?token=s3cret"}, SHA256: pin}),
		"address 169.254.169.254 is link-local (the cloud metadata endpoint)")
	if n := ln.conns.Load(); n != 0 {
		t.Fatalf("the listener saw %d connections, want none", n)
	}
}

// TestFetchAllowedCIDR: the same loopback server is refused by default
// and fetched once its address is allowed.
func TestFetchAllowedCIDR(t *testing.T) {
	fs := newFileServer(t)
	module := proxyModule().bytes()
	src := Source{HTTP: &HTTPSource{URL: fs.put("/m.wasm", module)}, SHA256: sha(module)}
	wantRefused(t, fetchErr(guardedFetcher(t, AddressPolicy{}), src), "address 127.0.0.1 is loopback")
	if n := fs.requests.Load(); n != 0 {
		t.Fatalf("refused, yet the server got %d requests", n)
	}
	m, err := guardedFetcher(t, AddressPolicy{AllowedCIDRs: mustCIDRs(t, "127.0.0.1")}).Fetch(context.Background(), src)
	if err != nil || m.SHA256 != sha(module) {
		t.Fatalf("allowed: %+v, %v", m, err)
	}
}

// TestFetchRedirectRechecked: an allowed server redirecting to a refused
// address (another loopback address here) does not get the fetch there;
// nor does a registry whose token realm is on a refused address.
func TestFetchRedirectRechecked(t *testing.T) {
	target := newCountingListener(t, "127.0.0.2")
	elsewhere := "http://127.0.0.2:" + target.port()
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if strings.HasPrefix(r.URL.Path, "/v2/") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+elsewhere+`/token",service="registry"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, elsewhere+"/m.wasm", http.StatusFound)
	}))
	defer srv.Close()
	f := guardedFetcher(t, AddressPolicy{AllowedCIDRs: mustCIDRs(t, "127.0.0.1")})

	wantRefused(t, fetchErr(f, Source{HTTP: &HTTPSource{URL: srv.URL + "/m.wasm"}, SHA256: strings.Repeat("a", 64)}), "address 127.0.0.2 is loopback")
	wantRefused(t, fetchErr(f, Source{Image: &ImageSource{Reference: strings.TrimPrefix(srv.URL, "http://") + "/filters/demo:v1"}}), "address 127.0.0.2 is loopback")
	if served.Load() < 2 {
		t.Fatalf("the allowed server saw %d requests, want the redirect and the registry ping", served.Load())
	}
	if n := target.conns.Load(); n != 0 {
		t.Fatalf("the refused address saw %d connections", n)
	}
}

// TestStatusDoesNotEchoTheServer: a failed answer is reduced to its status
// code; the server's reason phrase, headers and body stay out of the
// message (a WasmFilter's status would otherwise read internal services).
func TestStatusDoesNotEchoTheServer(t *testing.T) {
	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		body := "internal-body-secret"
		if strings.HasPrefix(r.URL.Path, "/v2/") {
			body = `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"internal-body-secret","detail":"internal-body-secret"}]}`
		}
		fmt.Fprintf(buf, "HTTP/1.1 404 internal-reason-secret\r\nX-Internal: internal-header-secret\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		buf.Flush()
	}))
	defer raw.Close()
	// Registries whose authentication handshake go-containerregistry
	// reports by quoting the server: a token answer without a token, a
	// challenge without a realm.
	tokenless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			fmt.Fprint(w, `{"internal":"internal-body-secret"}`)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="http://`+r.Host+`/token",service="registry"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer tokenless.Close()
	realmless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer service="internal-header-secret"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer realmless.Close()
	f, _ := newTestFetcher(t, Options{})
	for _, srv := range []*httptest.Server{tokenless, realmless} {
		e := wantReason(t, fetchErr(f, Source{Image: &ImageSource{Reference: strings.TrimPrefix(srv.URL, "http://") + "/filters/demo:v1"}}), ReasonFetchFailed)
		if msg := e.Error(); strings.Contains(msg, "secret") || !strings.Contains(msg, "its content is not shown") || e.Attempts != 1 {
			t.Errorf("handshake failure: %q after %d attempts", msg, e.Attempts)
		}
	}
	for _, src := range []Source{
		{HTTP: &HTTPSource{URL: raw.URL + "/m.wasm"}, SHA256: strings.Repeat("a", 64)},
		{Image: &ImageSource{Reference: strings.TrimPrefix(raw.URL, "http://") + "/filters/demo:v1"}},
	} {
		e := wantReason(t, fetchErr(f, src), ReasonFetchFailed)
		msg := e.Error()
		if strings.Contains(msg, "secret") || !strings.Contains(msg, "HTTP 404 Not Found") {
			t.Errorf("%s: message %q: want the status code only", src, msg)
		}
		if src.Image != nil && !strings.Contains(msg, "(MANIFEST_UNKNOWN)") {
			t.Errorf("%s: message %q does not keep the registry's error code", src, msg)
		}
	}
}

func mustCIDRs(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	p, err := ParseCIDRs(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
