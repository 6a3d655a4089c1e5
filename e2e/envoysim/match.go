package envoysim

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// regexCache compiles each RE2 pattern once; Envoy's safe_regex is RE2 and
// must match the whole value.
var regexCache sync.Map // pattern -> *regexp.Regexp

func fullRegex(pattern string) (*regexp.Regexp, error) {
	if re, ok := regexCache.Load(pattern); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, fmt.Errorf("bad safe_regex %q: %w", pattern, err)
	}
	regexCache.Store(pattern, re)
	return re, nil
}

// matchString applies an Envoy StringMatcher.
func matchString(m *matcherv3.StringMatcher, v string) (bool, error) {
	fold := m.GetIgnoreCase()
	eq := func(a, b string) bool {
		if fold {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	lower := func(s string) string {
		if fold {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return eq(v, p.Exact), nil
	case *matcherv3.StringMatcher_Prefix:
		return strings.HasPrefix(lower(v), lower(p.Prefix)), nil
	case *matcherv3.StringMatcher_Suffix:
		return strings.HasSuffix(lower(v), lower(p.Suffix)), nil
	case *matcherv3.StringMatcher_Contains:
		return strings.Contains(lower(v), lower(p.Contains)), nil
	case *matcherv3.StringMatcher_SafeRegex:
		re, err := fullRegex(p.SafeRegex.GetRegex())
		if err != nil {
			return false, err
		}
		return re.MatchString(v), nil
	}
	return false, fmt.Errorf("string matcher %v is not modelled", m)
}
