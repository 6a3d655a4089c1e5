package translator

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// validatable is implemented by every generated Envoy message
// (protoc-gen-validate): the rules Envoy enforces when it ingests config.
type validatable interface {
	proto.Message
	ValidateAll() error
}

// pack validates m and wraps it in an Any. The Any's own validation checks
// only its type URL, so this is the one place inner config gets checked.
func pack(what string, m validatable) (*anypb.Any, error) {
	if err := m.ValidateAll(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	a, err := packDeterministic(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return a, nil
}

// mustPack is pack for messages built from constants only, whose validity
// does not depend on input; a failure is a programming error.
func mustPack(m validatable) *anypb.Any {
	a, err := pack(string(m.ProtoReflect().Descriptor().FullName()), m)
	if err != nil {
		panic(err)
	}
	return a
}

// packDeterministic marshals with sorted map entries, so equal configs give
// equal Any bytes and snapshot versions (content hashes) stay stable.
func packDeterministic(m proto.Message) (*anypb.Any, error) {
	a := &anypb.Any{}
	if err := anypb.MarshalFrom(a, m, proto.MarshalOptions{Deterministic: true}); err != nil {
		return nil, err
	}
	return a, nil
}
