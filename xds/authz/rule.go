package authz

import (
	"fmt"
	"strings"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"

	"wasp.dev/xds/ir"
)

// condition is one Istio field (or when-key) of a rule: its values are
// ORed, its notValues must all fail, and gen turns one value into an
// Envoy matcher of kind T (a permission or a principal).
type condition[T any] struct {
	field             string
	values, notValues []string
	httpOnly          bool
	// unsupported, when set, explains why wasp cannot enforce the field.
	unsupported string
	gen         func(v string) (T, error)
}

// unsupportedError is a value wasp understands but cannot enforce (as
// opposed to one that does not parse).
type unsupportedError string

func (e unsupportedError) Error() string { return string(e) }

// ruleBuilder turns one Istio rule into one RBAC policy for one chain.
type ruleBuilder struct {
	policy *ir.AuthorizationPolicy
	index  int
	tcp    bool
	// strict is ALLOW's treatment: a condition that cannot be enforced
	// makes the whole rule never match (allow less). Otherwise the
	// condition is dropped (deny or log more): both fail closed.
	strict   bool
	skipped  bool
	findings []Finding
	seen     map[Finding]bool
}

func (b *ruleBuilder) report(field string, reason Reason, msg string) {
	effect := EffectConditionDropped
	if b.strict {
		effect = EffectRuleSkipped
		b.skipped = true
	}
	f := Finding{
		Policy: b.policy.Namespace + "/" + b.policy.Name, Rule: b.index,
		Field: field, Reason: reason, Effect: effect, Message: msg,
	}
	if b.seen == nil {
		b.seen = map[Finding]bool{}
	}
	if !b.seen[f] { // when-conditions repeat in every from/to entry
		b.seen[f] = true
		b.findings = append(b.findings, f)
	}
}

// build returns 0, 1 or 2 matchers for c (values, then not(notValues)), or
// nothing when c cannot be enforced (after reporting it). Any value that
// fails drops the whole condition, not just the value: dropping one of
// several DENY values would deny less, which is not failing closed.
func build[T any](b *ruleBuilder, c condition[T], or func([]T) T, not func(T) T) []T {
	if len(c.values) == 0 && len(c.notValues) == 0 {
		return nil
	}
	switch {
	case c.unsupported != "":
		b.report(c.field, ReasonUnsupported, c.unsupported)
		return nil
	case c.httpOnly && b.tcp:
		b.report(c.field, ReasonHTTPOnlyOnTCP, "HTTP-only field on a TCP port")
		return nil
	}
	gen := func(vs []string) ([]T, bool) {
		var out []T
		for _, v := range vs {
			m, err := c.gen(v)
			if err == nil {
				// Envoy's own rules on the matcher (e.g. a header name's
				// syntax): a bad user value is a finding, never a
				// config Envoy would reject.
				err = any(m).(validatable).ValidateAll()
			}
			if err != nil {
				reason := ReasonInvalidValue
				if _, ok := err.(unsupportedError); ok {
					reason = ReasonUnsupported
				}
				b.report(c.field, reason, err.Error())
				return nil, false
			}
			out = append(out, m)
		}
		return out, true
	}
	yes, ok1 := gen(c.values)
	no, ok2 := gen(c.notValues)
	if !ok1 || !ok2 {
		return nil
	}
	var out []T
	if len(yes) > 0 {
		out = append(out, or(yes))
	}
	if len(no) > 0 {
		out = append(out, not(or(no)))
	}
	return out
}

// rule returns the RBAC policy of rule r, or nil when the rule is skipped.
// Envoy's policy matches when any permission and any principal match:
// one permission per to-entry, one principal per from-entry, each ANDed
// with the when-conditions of its kind (Istio's model).
func (b *ruleBuilder) rule(r ir.AuthorizationRule) *rbacv3.Policy {
	for _, u := range r.Unsupported {
		b.report(u, ReasonUnsupported, "field not supported by wasp")
	}
	var whenPerm []condition[*rbacv3.Permission]
	var whenPrinc []condition[*rbacv3.Principal]
	for _, w := range r.When {
		perm, princ := b.when(w)
		if perm != nil {
			whenPerm = append(whenPerm, *perm)
		}
		if princ != nil {
			whenPrinc = append(whenPrinc, *princ)
		}
	}

	to := r.To
	if len(to) == 0 {
		to = []ir.AuthorizationOperation{{}}
	}
	var perms []*rbacv3.Permission
	for _, op := range to {
		var and []*rbacv3.Permission
		for _, c := range append(operationConditions(op), whenPerm...) {
			and = append(and, build(b, c, permOr, permNot)...)
		}
		perms = append(perms, permAnd(and))
	}

	from := r.From
	if len(from) == 0 {
		from = []ir.AuthorizationSource{{}}
	}
	var princs []*rbacv3.Principal
	for _, src := range from {
		var and []*rbacv3.Principal
		for _, c := range append(b.sourceConditions(src), whenPrinc...) {
			and = append(and, build(b, c, princOr, princNot)...)
		}
		princs = append(princs, princAnd(and))
	}
	if b.skipped {
		return nil
	}
	return &rbacv3.Policy{Permissions: perms, Principals: princs}
}

func operationConditions(op ir.AuthorizationOperation) []condition[*rbacv3.Permission] {
	return []condition[*rbacv3.Permission]{
		{field: "to.operation.hosts", values: op.Hosts, notValues: op.NotHosts, httpOnly: true, gen: hostPermission},
		{field: "to.operation.methods", values: op.Methods, notValues: op.NotMethods, httpOnly: true, gen: methodPermission},
		{field: "to.operation.paths", values: op.Paths, notValues: op.NotPaths, httpOnly: true, gen: pathPermission},
		{field: "to.operation.ports", values: op.Ports, notValues: op.NotPorts, gen: portPermission},
	}
}

func (b *ruleBuilder) sourceConditions(s ir.AuthorizationSource) []condition[*rbacv3.Principal] {
	return []condition[*rbacv3.Principal]{
		{field: "from.source.principals", values: s.Principals, notValues: s.NotPrincipals, gen: principalPrincipal},
		{field: "from.source.requestPrincipals", values: s.RequestPrincipals, notValues: s.NotRequestPrincipals,
			httpOnly: true, unsupported: "JWT request principals need RequestAuthentication, which wasp does not implement"},
		{field: "from.source.namespaces", values: s.Namespaces, notValues: s.NotNamespaces, gen: namespacePrincipal},
		{field: "from.source.serviceAccounts", values: s.ServiceAccounts, notValues: s.NotServiceAccounts, gen: b.serviceAccountPrincipal},
		{field: "from.source.ipBlocks", values: s.IPBlocks, notValues: s.NotIPBlocks, gen: sourceIPPrincipal},
		{field: "from.source.remoteIpBlocks", values: s.RemoteIPBlocks, notValues: s.NotRemoteIPBlocks, gen: remoteIPPrincipal},
	}
}

// Istio's when-keys (security.istio.io conditions reference).
const (
	keyRequestHeaders = "request.headers"
	keyRequestAuth    = "request.auth."
	keyEnvoyFilters   = "experimental.envoy.filters."
)

// when classifies a when-condition as a permission or a principal, as
// Istio's model does.
func (b *ruleBuilder) when(w ir.AuthorizationCondition) (*condition[*rbacv3.Permission], *condition[*rbacv3.Principal]) {
	field := "when[" + w.Key + "]"
	perm := func(gen func(string) (*rbacv3.Permission, error)) *condition[*rbacv3.Permission] {
		return &condition[*rbacv3.Permission]{field: field, values: w.Values, notValues: w.NotValues, gen: gen}
	}
	princ := func(gen func(string) (*rbacv3.Principal, error)) *condition[*rbacv3.Principal] {
		return &condition[*rbacv3.Principal]{field: field, values: w.Values, notValues: w.NotValues, gen: gen}
	}
	unsupported := func(why string) *condition[*rbacv3.Principal] {
		return &condition[*rbacv3.Principal]{field: field, values: w.Values, notValues: w.NotValues, unsupported: why}
	}
	switch k := w.Key; {
	case k == "destination.port":
		return perm(portPermission), nil
	case k == "destination.ip":
		return perm(destinationIPPermission), nil
	case k == "connection.sni":
		return perm(sniPermission), nil
	case k == "source.ip":
		return nil, princ(sourceIPPrincipal)
	case k == "remote.ip":
		return nil, princ(remoteIPPrincipal)
	case k == "source.namespace":
		return nil, princ(namespacePrincipal)
	case k == "source.principal":
		return nil, princ(principalPrincipal)
	case strings.HasPrefix(k, keyRequestHeaders):
		c := princ(nil)
		c.httpOnly = true
		name, err := bracketed(k, keyRequestHeaders)
		if err != nil {
			c.gen = func(string) (*rbacv3.Principal, error) { return nil, err }
		} else {
			c.gen = headerPrincipal(strings.ToLower(name))
		}
		return nil, c
	case strings.HasPrefix(k, keyRequestAuth):
		return nil, unsupported("JWT claims need RequestAuthentication, which wasp does not implement")
	case strings.HasPrefix(k, keyEnvoyFilters):
		return nil, unsupported("experimental Envoy metadata keys are not supported by wasp")
	default:
		return nil, unsupported(fmt.Sprintf("unknown condition key %q", k))
	}
}
