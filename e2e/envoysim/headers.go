package envoysim

import (
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// headerMutations are a route's native header changes, which the router
// applies to the request it sends upstream and to the upstream's response
// (route first, then virtual host, as Envoy's default precedence does).
type headerMutations struct {
	reqAdd, respAdd       []*corev3.HeaderValueOption
	reqRemove, respRemove []string
}

func headerMutationsOf(vh *routev3.VirtualHost, r *routev3.Route) (*headerMutations, error) {
	m := &headerMutations{}
	m.reqAdd = append(append(m.reqAdd, r.GetRequestHeadersToAdd()...), vh.GetRequestHeadersToAdd()...)
	m.respAdd = append(append(m.respAdd, r.GetResponseHeadersToAdd()...), vh.GetResponseHeadersToAdd()...)
	m.reqRemove = append(append(m.reqRemove, r.GetRequestHeadersToRemove()...), vh.GetRequestHeadersToRemove()...)
	m.respRemove = append(append(m.respRemove, r.GetResponseHeadersToRemove()...), vh.GetResponseHeadersToRemove()...)
	for _, o := range append(append([]*corev3.HeaderValueOption(nil), m.reqAdd...), m.respAdd...) {
		if strings.Contains(o.GetHeader().GetValue(), "%") {
			return nil, fmt.Errorf("route %q: header %q uses a formatter command, which is not modelled", r.GetName(), o.GetHeader().GetKey())
		}
	}
	return m, nil
}

func (m *headerMutations) request(h [][2]string) [][2]string {
	return mutate(h, m.reqRemove, m.reqAdd)
}

func (m *headerMutations) response(h [][2]string) [][2]string {
	return mutate(h, m.respRemove, m.respAdd)
}

// mutate removes, then adds or overwrites per append_action.
func mutate(h [][2]string, remove []string, add []*corev3.HeaderValueOption) [][2]string {
	out := make([][2]string, 0, len(h)+len(add))
	for _, kv := range h {
		drop := false
		for _, r := range remove {
			if strings.EqualFold(kv[0], r) {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	for _, o := range add {
		k, v := strings.ToLower(o.GetHeader().GetKey()), o.GetHeader().GetValue()
		present := false
		for _, kv := range out {
			if kv[0] == k {
				present = true
			}
		}
		switch o.GetAppendAction() {
		case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
			kept := out[:0]
			for _, kv := range out {
				if kv[0] != k {
					kept = append(kept, kv)
				}
			}
			out = append(kept, [2]string{k, v})
		case corev3.HeaderValueOption_ADD_IF_ABSENT:
			if !present {
				out = append(out, [2]string{k, v})
			}
		case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS:
			if present {
				for i := range out {
					if out[i][0] == k {
						out[i][1] = v
					}
				}
			}
		default: // APPEND_IF_EXISTS_OR_ADD
			out = append(out, [2]string{k, v})
		}
	}
	return out
}
