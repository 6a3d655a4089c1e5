package envoysim

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	// The extensions wasp's translator emits, registered so that nested
	// Anys decode and validate.
	_ "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/filters/cel/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/proxy_protocol/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/set_filter_state/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// ValidateDeep runs ValidateAll on m and on every message packed in an Any
// anywhere inside it. A resource's own ValidateAll checks only an Any's
// type URL, not its content (facts.md), so this is what Envoy's ingestion
// of the whole resource checks. An Any of an unregistered type is an error.
func ValidateDeep(m proto.Message) error {
	if v, ok := m.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			return err
		}
	}
	return walkAnys(m.ProtoReflect(), "")
}

func walkAnys(m protoreflect.Message, path string) error {
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := path + "." + string(fd.Name())
		check := func(sub protoreflect.Message) bool {
			if a, ok := sub.Interface().(*anypb.Any); ok {
				inner, uerr := a.UnmarshalNew()
				if uerr != nil {
					err = fmt.Errorf("%s: %w", p, uerr)
					return false
				}
				if verr := ValidateDeep(inner); verr != nil {
					err = fmt.Errorf("%s (%s): %w", p, a.GetTypeUrl(), verr)
					return false
				}
				return true
			}
			if werr := walkAnys(sub, p); werr != nil {
				err = werr
				return false
			}
			return true
		}
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				if !check(l.Get(i).Message()) {
					return false
				}
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				return check(mv.Message())
			})
			if err != nil {
				return false
			}
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			return check(v.Message())
		}
		return true
	})
	return err
}
