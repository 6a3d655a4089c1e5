package authz

import (
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"wasp.dev/xds/ir"
)

// Policy sets for the evaluation table, as the controller would produce
// them (all targeting the chain's service).
var policySets = map[string]string{
	// Seed 004.
	"seed004": `
- {namespace: default, name: api-authz, action: ALLOW, rules: [
    {from: [{principals: ["cluster.local/ns/default/sa/frontend"]}],
     to: [{methods: [GET, POST], paths: ["/api/*"]}]}]}`,
	"deny-admin": `
- {namespace: default, name: deny-admin, action: DENY, rules: [
    {from: [{notNamespaces: [ops]}], to: [{paths: ["/admin", "/admin/*"]}]}]}`,
	"seed004+deny-admin": `
- {namespace: default, name: api-authz, action: ALLOW, rules: [
    {from: [{principals: ["cluster.local/ns/default/sa/frontend"]}], to: [{paths: ["/api/*", "/admin/*"]}]}]}
- {namespace: default, name: deny-admin, action: DENY, rules: [
    {to: [{paths: ["/admin/*"]}]}]}`,
	"allow-nothing":   `[{namespace: default, name: allow-nothing, action: ALLOW}]`,
	"deny-no-rules":   `[{namespace: default, name: deny-nothing, action: DENY}]`,
	"allow-all":       `[{namespace: default, name: allow-all, rules: [{}]}]`,
	"deny-all":        `[{namespace: default, name: deny-all, action: DENY, rules: [{}]}]`,
	"allow-any-peer":  `[{namespace: default, name: any-peer, rules: [{from: [{principals: ["*"]}]}]}]`,
	"allow-sa-suffix": `[{namespace: default, name: sa-suffix, rules: [{from: [{principals: ["*/sa/frontend"]}]}]}]`,
	"allow-ns-prefix": `[{namespace: default, name: ns-prefix, rules: [{from: [{principals: ["cluster.local/ns/team-*"]}]}]}]`,
	"allow-namespaces": `
- {namespace: default, name: from-ns, rules: [{from: [{namespaces: [prod, "team-*"], notNamespaces: [team-x]}]}]}`,
	"allow-service-accounts": `
- {namespace: default, name: from-sa, rules: [{from: [{serviceAccounts: [frontend, "ops/admin"]}]}]}`,
	"deny-not-principal": `
- {namespace: default, name: only-trusted, action: DENY, rules: [
    {from: [{notPrincipals: ["cluster.local/ns/default/sa/trusted"]}]}]}`,
	"allow-ports":          `[{namespace: default, name: ports, rules: [{to: [{ports: ["8080"]}, {notPorts: ["8080", "9090"], methods: [GET]}]}]}]`,
	"allow-hosts":          `[{namespace: default, name: hosts, rules: [{to: [{hosts: [example.com, "*.example.org", "api.example.net:*"]}]}]}]`,
	"allow-host-port":      `[{namespace: default, name: host-port, rules: [{to: [{hosts: ["example.com:8080"]}]}]}]`,
	"deny-host-port":       `[{namespace: default, name: host-port, action: DENY, rules: [{to: [{hosts: ["example.com:8080"]}]}]}]`,
	"allow-paths":          `[{namespace: default, name: paths, rules: [{to: [{paths: ["/exact", "/dir/*", "*.html"], notPaths: ["/dir/secret"]}]}]}]`,
	"allow-path-templates": `[{namespace: default, name: tmpl, rules: [{to: [{paths: ["/api/{*}/users", "/files/{**}"]}]}]}]`,
	"bad-path-templates": `
- {namespace: default, name: tmpl-allow, rules: [{to: [{paths: ["/a/{**}/b"]}]}, {to: [{paths: ["/ok"]}]}]}
- {namespace: default, name: tmpl-deny, action: DENY, rules: [{to: [{paths: ["/x/{*}", "/y/pre{*}"]}]}]}`,
	"allow-not-methods": `[{namespace: default, name: no-writes, rules: [{to: [{notMethods: [POST, PUT, DELETE]}]}]}]`,
	"allow-header": `
- {namespace: default, name: tenant, rules: [{when: [
    {key: "request.headers[X-Tenant]", values: [acme, "beta-*"], notValues: [beta-blocked]}]}]}`,
	"deny-ip-blocks": `
- {namespace: default, name: no-legacy, action: DENY, rules: [{from: [{ipBlocks: ["10.1.0.0/16", "192.168.1.7"]}]}]}`,
	"allow-remote-ip": `[{namespace: default, name: office, rules: [{from: [{remoteIpBlocks: ["203.0.113.0/24"]}]}]}]`,
	"allow-when-mix": `
- {namespace: default, name: when-mix, rules: [{when: [
    {key: source.namespace, values: [prod]},
    {key: destination.port, notValues: ["9090"]},
    {key: source.ip, values: ["10.0.0.0/8"]}]}]}`,
	"allow-or-rules": `
- {namespace: default, name: two-rules, rules: [
    {from: [{principals: ["cluster.local/ns/a/sa/x"]}]},
    {to: [{paths: ["/public/*"]}]}]}`,
	"allow-jwt": `
- {namespace: default, name: jwt, rules: [
    {when: [{key: "request.auth.claims[groups]", values: [admins]}]},
    {to: [{paths: ["/healthz"]}]}]}`,
	"deny-jwt": `
- {namespace: default, name: jwt-deny, action: DENY, rules: [
    {from: [{notRequestPrincipals: ["*"]}], to: [{paths: ["/private/*"]}]}]}`,
	"allow-unsupported-marker": `
- {namespace: default, name: future, rules: [{from: [{principals: ["*"]}], unsupported: [from.source.future]}]}`,
	"allow-invalid": `
- {namespace: default, name: bad, rules: [
    {to: [{ports: ["http"]}]},
    {when: [{key: "request.headers[]", values: [x]}]},
    {from: [{namespaces: ["` + strings.Repeat("n", 120) + `"]}]},
    {to: [{paths: ["/ok"]}]}]}`,
	"deny-invalid-cidr": `
- {namespace: default, name: bad-cidr, action: DENY, rules: [{from: [{ipBlocks: ["10.0.0.0/8", "not-an-ip"]}], to: [{paths: ["/x"]}]}]}`,
	"custom": `
- {namespace: default, name: ext, action: CUSTOM, provider: oauth2-proxy, rules: [{to: [{paths: ["/ext/*"]}]}]}`,
	"custom-no-rules": `[{namespace: default, name: ext, action: CUSTOM, provider: opa}]`,
	"audit": `
- {namespace: default, name: audit, action: AUDIT, rules: [{to: [{methods: [DELETE]}]}]}
- {namespace: default, name: deny-debug, action: DENY, rules: [{to: [{paths: ["/debug"]}]}]}`,
	"dry-run-deny": `
- {namespace: default, name: try-deny, action: DENY, dryRun: true, rules: [{to: [{methods: [DELETE]}]}]}`,
	"dry-run-allow": `
- {namespace: default, name: try-allow, action: ALLOW, dryRun: true, rules: [
    {from: [{principals: ["cluster.local/ns/default/sa/frontend"]}]}]}`,
	"dry-run-allow+enforced-allow": `
- {namespace: default, name: try-allow, dryRun: true, rules: [{from: [{principals: ["cluster.local/ns/default/sa/frontend"]}]}]}
- {namespace: default, name: real-allow, rules: [{to: [{paths: ["/open"]}]}]}`,
	"tcp-allow-principal-port": `
- {namespace: default, name: db, rules: [{from: [{principals: ["cluster.local/ns/default/sa/app"]}], to: [{ports: ["5432"]}]}]}`,
}

const (
	frontend = "spiffe://cluster.local/ns/default/sa/frontend"
	other    = "spiffe://cluster.local/ns/default/sa/other"
	opsPeer  = "spiffe://cluster.local/ns/ops/sa/admin"
	appPeer  = "spiffe://cluster.local/ns/default/sa/app"
)

// get and friends build requests with sensible defaults.
func get(path string) request {
	return request{http: true, method: "GET", path: path, host: "app.default.svc.cluster.local", principal: frontend,
		sourceIP: "10.0.0.5", destIP: "10.96.0.10", destPort: 8080, headers: map[string]string{}}
}

func tcp(principal string, port uint32) request {
	return request{principal: principal, sourceIP: "10.0.0.5", destIP: "10.96.0.10", destPort: port}
}

func (r request) as(principal string) request { r.principal = principal; return r }
func (r request) method_(m string) request    { r.method = m; return r }
func (r request) port(p uint32) request       { r.destPort = p; return r }
func (r request) hostIs(h string) request     { r.host = h; return r }
func (r request) from(ip string) request      { r.sourceIP = ip; return r }
func (r request) via(ip string) request       { r.remoteIP = ip; return r }
func (r request) header(k, v string) request {
	h := map[string]string{}
	for a, b := range r.headers {
		h[a] = b
	}
	h[k] = v
	r.headers = h
	return r
}

type evalCase struct {
	name     string
	policies string // key of policySets
	req      request
	allow    bool
	// optional expectations
	deniedBy     string
	logged       bool
	shadowDenied []string
	// finding reason that must be reported, if any
	finding Reason
}

var evalCases = []evalCase{
	// No policies / trivial policies.
	{name: "no policy allows", policies: "", req: get("/anything"), allow: true},
	{name: "ALLOW without rules denies all", policies: "allow-nothing", req: get("/"), allow: false, deniedBy: "wasp.authz.allow"},
	{name: "DENY without rules denies nothing", policies: "deny-no-rules", req: get("/"), allow: true},
	{name: "empty ALLOW rule allows all", policies: "allow-all", req: get("/x").as(""), allow: true},
	{name: "empty DENY rule denies all", policies: "deny-all", req: get("/x"), allow: false, deniedBy: "wasp.authz.deny"},

	// Seed 004: principal + method + path.
	{name: "seed004 frontend GET /api/users", policies: "seed004", req: get("/api/users"), allow: true},
	{name: "seed004 frontend POST /api/users?x=1 (query ignored)", policies: "seed004", req: get("/api/users?x=1").method_("POST"), allow: true},
	{name: "seed004 frontend DELETE denied", policies: "seed004", req: get("/api/users").method_("DELETE"), allow: false},
	{name: "seed004 other principal denied", policies: "seed004", req: get("/api/users").as(other), allow: false},
	{name: "seed004 no identity denied", policies: "seed004", req: get("/api/users").as(""), allow: false},
	{name: "seed004 /api itself not under /api/*", policies: "seed004", req: get("/api"), allow: false},
	{name: "seed004 principal is exact, not prefix", policies: "seed004", req: get("/api/x").as(frontend + "-v2"), allow: false},

	// DENY by path, with notNamespaces.
	{name: "deny /admin from default", policies: "deny-admin", req: get("/admin"), allow: false, deniedBy: "wasp.authz.deny"},
	{name: "deny /admin/users from default", policies: "deny-admin", req: get("/admin/users"), allow: false},
	{name: "ops may reach /admin", policies: "deny-admin", req: get("/admin").as(opsPeer), allow: true},
	{name: "no identity is not in ops: denied", policies: "deny-admin", req: get("/admin/x").as(""), allow: false},
	{name: "/administrator is not /admin/*", policies: "deny-admin", req: get("/administrator"), allow: true},
	{name: "DENY before ALLOW", policies: "seed004+deny-admin", req: get("/admin/x"), allow: false, deniedBy: "wasp.authz.deny"},
	{name: "ALLOW after DENY passes", policies: "seed004+deny-admin", req: get("/api/x"), allow: true},

	// Principal wildcards, namespaces, service accounts.
	{name: "principals * needs an identity", policies: "allow-any-peer", req: get("/").as(""), allow: false},
	{name: "principals * any identity", policies: "allow-any-peer", req: get("/").as(other), allow: true},
	{name: "principal suffix wildcard", policies: "allow-sa-suffix", req: get("/").as("spiffe://other.domain/ns/x/sa/frontend"), allow: true},
	{name: "principal suffix wildcard mismatch", policies: "allow-sa-suffix", req: get("/").as(other), allow: false},
	{name: "principal prefix wildcard", policies: "allow-ns-prefix", req: get("/").as("spiffe://cluster.local/ns/team-a/sa/x"), allow: true},
	{name: "namespace exact", policies: "allow-namespaces", req: get("/").as("spiffe://cluster.local/ns/prod/sa/x"), allow: true},
	{name: "namespace wildcard", policies: "allow-namespaces", req: get("/").as("spiffe://cluster.local/ns/team-q/sa/x"), allow: true},
	{name: "notNamespaces excludes", policies: "allow-namespaces", req: get("/").as("spiffe://cluster.local/ns/team-x/sa/x"), allow: false},
	{name: "namespace must be a whole segment", policies: "allow-namespaces", req: get("/").as("spiffe://cluster.local/ns/production/sa/x"), allow: false},
	{name: "serviceAccount in policy namespace", policies: "allow-service-accounts", req: get("/"), allow: true},
	{name: "serviceAccount other namespace", policies: "allow-service-accounts", req: get("/").as(opsPeer), allow: true},
	{name: "serviceAccount name must be whole", policies: "allow-service-accounts", req: get("/").as(frontend + "x"), allow: false},
	{name: "notPrincipals DENY spares trusted", policies: "deny-not-principal", req: get("/").as("spiffe://cluster.local/ns/default/sa/trusted"), allow: true},
	{name: "notPrincipals DENY denies others", policies: "deny-not-principal", req: get("/"), allow: false},
	{name: "notPrincipals DENY denies no identity", policies: "deny-not-principal", req: get("/").as(""), allow: false},

	// Ports, hosts, paths, methods, headers, IPs.
	{name: "port 8080 allowed", policies: "allow-ports", req: get("/"), allow: true},
	{name: "port 9090 denied", policies: "allow-ports", req: get("/").port(9090), allow: false},
	{name: "other port GET via second operation", policies: "allow-ports", req: get("/").port(7000), allow: true},
	{name: "other port POST denied", policies: "allow-ports", req: get("/").port(7000).method_("POST"), allow: false},
	{name: "host exact, case-insensitive", policies: "allow-hosts", req: get("/").hostIs("Example.COM"), allow: true},
	{name: "host exact matches any port", policies: "allow-hosts", req: get("/").hostIs("example.com:8080"), allow: true},
	{name: "host exact is not a prefix", policies: "allow-hosts", req: get("/").hostIs("example.com.evil"), allow: false},
	{name: "host:* matches without port", policies: "allow-hosts", req: get("/").hostIs("API.example.net"), allow: true},
	{name: "host with a specific port is unsupported (ALLOW skipped)", policies: "allow-host-port", req: get("/").hostIs("example.com:8080"), allow: false, finding: ReasonUnsupported},
	{name: "host with a specific port in DENY denies more", policies: "deny-host-port", req: get("/").hostIs("other.com"), allow: false, finding: ReasonUnsupported},
	{name: "host suffix wildcard", policies: "allow-hosts", req: get("/").hostIs("a.b.EXAMPLE.org"), allow: true},
	{name: "host prefix wildcard takes any port", policies: "allow-hosts", req: get("/").hostIs("api.example.net:8443"), allow: true},
	{name: "host mismatch", policies: "allow-hosts", req: get("/").hostIs("example.net"), allow: false},
	{name: "path exact", policies: "allow-paths", req: get("/exact"), allow: true},
	{name: "path exact is not prefix", policies: "allow-paths", req: get("/exact/more"), allow: false},
	{name: "path prefix", policies: "allow-paths", req: get("/dir/a/b"), allow: true},
	{name: "path suffix", policies: "allow-paths", req: get("/x/index.html"), allow: true},
	{name: "notPaths excludes", policies: "allow-paths", req: get("/dir/secret"), allow: false},
	{name: "path is case-sensitive", policies: "allow-paths", req: get("/EXACT"), allow: false},
	{name: "path template {*} is one segment", policies: "allow-path-templates", req: get("/api/v1/users?page=2"), allow: true},
	{name: "path template {*} not two segments", policies: "allow-path-templates", req: get("/api/v1/v2/users"), allow: false},
	{name: "path template {*} not empty", policies: "allow-path-templates", req: get("/api//users"), allow: false},
	{name: "path template {**} any depth", policies: "allow-path-templates", req: get("/files/a/b/c.txt"), allow: true},
	{name: "path template {**} needs its prefix", policies: "allow-path-templates", req: get("/filesystem"), allow: false},
	{name: "bad template skips ALLOW rule", policies: "bad-path-templates", req: get("/a/x/b"), allow: false, finding: ReasonInvalidValue},
	{name: "bad template drops DENY paths: denies more", policies: "bad-path-templates", req: get("/ok"), allow: false, deniedBy: "wasp.authz.deny", finding: ReasonInvalidValue},
	{name: "notMethods allows GET", policies: "allow-not-methods", req: get("/"), allow: true},
	{name: "notMethods denies DELETE", policies: "allow-not-methods", req: get("/").method_("DELETE"), allow: false},
	{name: "header value", policies: "allow-header", req: get("/").header("x-tenant", "acme"), allow: true},
	{name: "header prefix value", policies: "allow-header", req: get("/").header("x-tenant", "beta-1"), allow: true},
	{name: "header notValues", policies: "allow-header", req: get("/").header("x-tenant", "beta-blocked"), allow: false},
	{name: "header absent", policies: "allow-header", req: get("/"), allow: false},
	{name: "ipBlocks CIDR denied", policies: "deny-ip-blocks", req: get("/").from("10.1.200.3"), allow: false},
	{name: "ipBlocks single IP denied", policies: "deny-ip-blocks", req: get("/").from("192.168.1.7"), allow: false},
	{name: "ipBlocks outside allowed", policies: "deny-ip-blocks", req: get("/").from("10.2.0.1"), allow: true},
	{name: "remoteIpBlocks uses the original client", policies: "allow-remote-ip", req: get("/").via("203.0.113.9"), allow: true},
	{name: "remoteIpBlocks ignores the direct peer", policies: "allow-remote-ip", req: get("/").from("203.0.113.9").via("198.51.100.1"), allow: false},
	{name: "when: namespace, port, ip all hold", policies: "allow-when-mix", req: get("/").as("spiffe://cluster.local/ns/prod/sa/x"), allow: true},
	{name: "when: notValues port fails", policies: "allow-when-mix", req: get("/").as("spiffe://cluster.local/ns/prod/sa/x").port(9090), allow: false},
	{name: "when: source.ip fails", policies: "allow-when-mix", req: get("/").as("spiffe://cluster.local/ns/prod/sa/x").from("172.16.0.1"), allow: false},
	{name: "rules are ORed (first)", policies: "allow-or-rules", req: get("/private").as("spiffe://cluster.local/ns/a/sa/x"), allow: true},
	{name: "rules are ORed (second)", policies: "allow-or-rules", req: get("/public/x").as(""), allow: true},
	{name: "rules are ORed (neither)", policies: "allow-or-rules", req: get("/private"), allow: false},

	// Unsupported fields.
	{name: "ALLOW with JWT claim never matches", policies: "allow-jwt", req: get("/admin").header("authorization", "Bearer x"), allow: false, finding: ReasonUnsupported},
	{name: "ALLOW other rule still allows", policies: "allow-jwt", req: get("/healthz"), allow: true, finding: ReasonUnsupported},
	{name: "DENY drops JWT condition: denies everyone", policies: "deny-jwt", req: get("/private/x"), allow: false, finding: ReasonUnsupported},
	{name: "DENY with dropped condition keeps its path", policies: "deny-jwt", req: get("/public"), allow: true, finding: ReasonUnsupported},
	{name: "producer-marked unsupported field skips ALLOW rule", policies: "allow-unsupported-marker", req: get("/"), allow: false, finding: ReasonUnsupported},

	{name: "invalid values skip ALLOW rules", policies: "allow-invalid", req: get("/").port(80).header("", "x"), allow: false, finding: ReasonInvalidValue},
	{name: "valid ALLOW rule beside invalid ones", policies: "allow-invalid", req: get("/ok"), allow: true, finding: ReasonInvalidValue},
	{name: "invalid CIDR drops the DENY condition (denies more)", policies: "deny-invalid-cidr", req: get("/x").from("192.0.2.1"), allow: false, finding: ReasonInvalidValue},
	{name: "DENY with dropped condition keeps the rest", policies: "deny-invalid-cidr", req: get("/y"), allow: true, finding: ReasonInvalidValue},

	// CUSTOM, AUDIT, dry-run.
	{name: "CUSTOM rules deny (fail closed)", policies: "custom", req: get("/ext/login"), allow: false, deniedBy: "wasp.authz.custom", finding: ReasonCustomAction},
	{name: "CUSTOM leaves other requests alone", policies: "custom", req: get("/home"), allow: true, finding: ReasonCustomAction},
	{name: "CUSTOM without rules matches nothing", policies: "custom-no-rules", req: get("/"), allow: true, finding: ReasonCustomAction},
	{name: "AUDIT logs and allows", policies: "audit", req: get("/x").method_("DELETE"), allow: true, logged: true},
	{name: "AUDIT does not log others", policies: "audit", req: get("/x"), allow: true, logged: false},
	{name: "AUDIT logs before DENY denies", policies: "audit", req: get("/debug").method_("DELETE"), allow: false, logged: true, deniedBy: "wasp.authz.deny"},
	{name: "dry-run DENY only shadows", policies: "dry-run-deny", req: get("/").method_("DELETE"), allow: true, shadowDenied: []string{"wasp.authz.deny"}},
	{name: "dry-run DENY no shadow hit", policies: "dry-run-deny", req: get("/"), allow: true},
	{name: "dry-run ALLOW alone enforces nothing", policies: "dry-run-allow", req: get("/").as(other), allow: true, shadowDenied: []string{"wasp.authz.allow"}},
	{name: "dry-run ALLOW shadow allows frontend", policies: "dry-run-allow", req: get("/"), allow: true},
	{name: "dry-run ALLOW beside enforced ALLOW", policies: "dry-run-allow+enforced-allow", req: get("/closed"), allow: false, deniedBy: "wasp.authz.allow"},
	{name: "enforced ALLOW still allows with dry-run beside", policies: "dry-run-allow+enforced-allow", req: get("/open").as(other), allow: true, shadowDenied: []string{"wasp.authz.allow"}},

	// TCP chains.
	{name: "TCP: no policy allows", policies: "", req: tcp(other, 5432), allow: true},
	{name: "TCP: principal+port ALLOW", policies: "tcp-allow-principal-port", req: tcp(appPeer, 5432), allow: true},
	{name: "TCP: wrong principal denied", policies: "tcp-allow-principal-port", req: tcp(other, 5432), allow: false},
	{name: "TCP: wrong port denied", policies: "tcp-allow-principal-port", req: tcp(appPeer, 6379), allow: false},
	{name: "TCP: no identity denied", policies: "tcp-allow-principal-port", req: tcp("", 5432), allow: false},
	{name: "TCP: ALLOW rule with HTTP fields never matches", policies: "seed004", req: tcp(frontend, 8080), allow: false, finding: ReasonHTTPOnlyOnTCP},
	{name: "TCP: DENY drops HTTP fields, denies more", policies: "deny-admin", req: tcp(frontend, 6379), allow: false, deniedBy: "wasp.authz.deny", finding: ReasonHTTPOnlyOnTCP},
	{name: "TCP: DENY keeps its other conditions", policies: "deny-admin", req: tcp(opsPeer, 6379), allow: true, finding: ReasonHTTPOnlyOnTCP},
	{name: "TCP: notPrincipals DENY", policies: "deny-not-principal", req: tcp("spiffe://cluster.local/ns/default/sa/trusted", 9000), allow: true},
	{name: "TCP: ipBlocks DENY", policies: "deny-ip-blocks", req: tcp(frontend, 9000).from("10.1.0.9"), allow: false},
	{name: "TCP: header condition skipped for ALLOW", policies: "allow-header", req: tcp(frontend, 9000), allow: false, finding: ReasonHTTPOnlyOnTCP},
	{name: "TCP: CUSTOM with HTTP fields denies all", policies: "custom", req: tcp(frontend, 9000), allow: false, deniedBy: "wasp.authz.custom", finding: ReasonHTTPOnlyOnTCP},
	{name: "TCP: AUDIT logs connection", policies: "audit", req: tcp(frontend, 9000), allow: false, logged: true, deniedBy: "wasp.authz.deny", finding: ReasonHTTPOnlyOnTCP},
	{name: "TCP: dry-run DENY shadows", policies: "dry-run-deny", req: tcp(frontend, 9000), allow: true, shadowDenied: []string{"wasp.authz.deny"}, finding: ReasonHTTPOnlyOnTCP},
}

func loadPolicies(t *testing.T, key string) []*ir.AuthorizationPolicy {
	t.Helper()
	if key == "" {
		return nil
	}
	src, ok := policySets[key]
	if !ok {
		t.Fatalf("no policy set %q", key)
	}
	var ps []*ir.AuthorizationPolicy
	if err := yamlToPolicies(src, &ps); err != nil {
		t.Fatalf("policy set %q: %v", key, err)
	}
	return ps
}

func yamlToPolicies(src string, ps *[]*ir.AuthorizationPolicy) error {
	return yaml.UnmarshalStrict([]byte(src), ps)
}

func TestEvaluateEmittedRBAC(t *testing.T) {
	if len(evalCases) < 40 {
		t.Fatalf("only %d cases", len(evalCases))
	}
	for _, c := range evalCases {
		t.Run(c.name, func(t *testing.T) {
			ps := loadPolicies(t, c.policies)
			var got outcome
			var findings []Finding
			if c.req.http {
				fs, f, err := HTTPFilters(ps)
				if err != nil {
					t.Fatal(err)
				}
				got, findings = evalHTTP(t, fs, c.req), f
			} else {
				fs, f, err := NetworkFilters(ps, "")
				if err != nil {
					t.Fatal(err)
				}
				got, findings = evalNetwork(t, fs, c.req), f
			}
			if got.allowed != c.allow {
				t.Errorf("allowed = %v, want %v (%s)", got.allowed, c.allow, got)
			}
			if c.deniedBy != "" && got.deniedBy != c.deniedBy {
				t.Errorf("denied by %q, want %q", got.deniedBy, c.deniedBy)
			}
			if got.logged != c.logged {
				t.Errorf("logged = %v, want %v", got.logged, c.logged)
			}
			if !slices.Equal(got.shadowDenied, c.shadowDenied) {
				t.Errorf("shadow denied by %v, want %v", got.shadowDenied, c.shadowDenied)
			}
			if c.finding != "" && !slices.ContainsFunc(findings, func(f Finding) bool { return f.Reason == c.finding }) {
				t.Errorf("no %s finding in %v", c.finding, findings)
			}
			if c.finding == "" && len(findings) > 0 {
				t.Errorf("unexpected findings %v", findings)
			}
		})
	}
}
