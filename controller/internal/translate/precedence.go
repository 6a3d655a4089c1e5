package translate

import (
	"sort"

	"wasp.dev/xds/ir"
)

// emitted is one Envoy route before ordering.
type emitted struct {
	route *ir.Route
	rc    *routeCtx // nil for a waypoint's default route
	rule  int
	match int
	// inherited is the covering wildcard hostname a route came from ("" for
	// the virtual host's own hostname).
	inherited string
}

// pathRank orders path match types: exact, then regular expression, then
// prefix (Gateway API: exact before prefix; regex is implementation
// specific, and placing it before prefixes keeps "/" from shadowing it).
func pathRank(m *ir.Match) int {
	if m == nil || m.Path == nil {
		return 2
	}
	switch m.Path.Type {
	case ir.PathExact:
		return 0
	case ir.PathRegularExpression:
		return 1
	}
	return 2
}

// sortByPrecedence orders routes as Gateway API requires: hostname
// specificity, then path match
// (exact, then longer prefixes), method match, more header matches, more
// query matches, then the older route, then namespace/name, then rule and
// match order. Default routes come last.
func sortByPrecedence(es []emitted) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if (a.rc == nil) != (b.rc == nil) {
			return b.rc == nil
		}
		// Routes of the most specific hostname first (HTTPRouteSpec.Hostnames:
		// a matching non-wildcard hostname, then the longest hostname).
		if (a.inherited == "") != (b.inherited == "") {
			return a.inherited == ""
		}
		if len(a.inherited) != len(b.inherited) {
			return len(a.inherited) > len(b.inherited)
		}
		ma, mb := a.route.Match, b.route.Match
		if ra, rb := pathRank(ma), pathRank(mb); ra != rb {
			return ra < rb
		}
		if la, lb := pathLen(ma), pathLen(mb); la != lb {
			return la > lb
		}
		if xa, xb := ma != nil && ma.Method != "", mb != nil && mb.Method != ""; xa != xb {
			return xa
		}
		if ha, hb := headerCount(ma), headerCount(mb); ha != hb {
			return ha > hb
		}
		if qa, qb := queryCount(ma), queryCount(mb); qa != qb {
			return qa > qb
		}
		if a.rc != nil && a.rc != b.rc {
			ta, tb := a.rc.r.CreationTimestamp, b.rc.r.CreationTimestamp
			if !ta.Equal(&tb) {
				return ta.Before(&tb)
			}
			return a.rc.key.String() < b.rc.key.String()
		}
		if a.rule != b.rule {
			return a.rule < b.rule
		}
		return a.match < b.match
	})
}

func pathLen(m *ir.Match) int {
	if m == nil || m.Path == nil {
		return 1
	}
	return len(m.Path.Value)
}

func headerCount(m *ir.Match) int {
	if m == nil {
		return 0
	}
	return len(m.Headers)
}

func queryCount(m *ir.Match) int {
	if m == nil {
		return 0
	}
	return len(m.QueryParams)
}
