package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"wasp.dev/xds/translator"
)

// versionLen is how many hex digits of the content hash make a version:
// 64 bits, collision-free in practice for one node's history, and short in
// Envoy's logs and admin output.
const versionLen = 16

// Snapshot is a validated, consistent go-control-plane snapshot plus what
// publishing it needs to report.
type Snapshot struct {
	*cachev3.Snapshot
	// Versions per type URL (content hashes).
	Versions map[string]string
	// Bytes is the serialized size of all resources (protobuf wire format).
	Bytes int
}

// NewSnapshot validates resources again (a resource must never reach the
// cache unvalidated, whoever built it), checks their consistency (every
// route configuration and EDS cluster referenced is present) and versions
// each type with a hash of its content.
func NewSnapshot(r *translator.Resources) (*Snapshot, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	groups := []struct {
		typ   string
		items []types.Resource
	}{
		{resourcev3.ClusterType, toResources(r.Clusters)},
		{resourcev3.EndpointType, toResources(r.Endpoints)},
		{resourcev3.ListenerType, toResources(r.Listeners)},
		{resourcev3.RouteType, toResources(r.Routes)},
		// TLS certificates as SDS secrets on the same ADS stream: a
		// rotated certificate changes only this type's version.
		{resourcev3.SecretType, toResources(r.Secrets)},
	}
	s := &Snapshot{Snapshot: &cachev3.Snapshot{}, Versions: map[string]string{}}
	buf := make([]byte, 0, 64<<10)
	for _, g := range groups {
		h := sha256.New()
		for _, it := range g.items {
			var err error
			buf, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(buf[:0], it)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", g.typ, cachev3.GetResourceName(it), err)
			}
			s.Bytes += len(buf)
			h.Write(buf)
		}
		v := hex.EncodeToString(h.Sum(nil))[:versionLen]
		s.Versions[g.typ] = v
		s.Resources[cachev3.GetResponseType(g.typ)] = cachev3.NewResources(v, g.items)
	}
	if err := s.Consistent(); err != nil {
		return nil, fmt.Errorf("inconsistent snapshot: %w", err)
	}
	return s, nil
}

func toResources[T types.Resource](in []T) []types.Resource {
	out := make([]types.Resource, len(in))
	for i, r := range in {
		out[i] = r
	}
	return out
}
