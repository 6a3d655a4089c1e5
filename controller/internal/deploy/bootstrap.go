package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"sigs.k8s.io/yaml"
)

// XDSClusterName is the bootstrap's static cluster of the control plane.
const XDSClusterName = "wasp_xds"

// Bootstrap returns Envoy's bootstrap (YAML) for the proxy with xDS node ID
// node: everything else (listeners, routes, clusters) comes over ADS.
func Bootstrap(node string, cfg Config) (string, error) {
	return bootstrap(node, cfg, false)
}

// bootstrap adds, with istio, the static cluster of `wasp sds`: Envoy
// refuses a cluster whose SDS source names a cluster its bootstrap lacks.
func bootstrap(node string, cfg Config, istio bool) (string, error) {
	if cfg.XDSHost == "" || cfg.XDSPort <= 0 {
		return "", fmt.Errorf("bootstrap: xDS address %q:%d is incomplete", cfg.XDSHost, cfg.XDSPort)
	}
	ads := map[string]any{"ads": map[string]any{}, "resource_api_version": "V3"}
	xds := xdsCluster(cfg.XDSHost, cfg.XDSPort)
	if !cfg.InsecureXDS {
		ts, err := tlsTransportSocket(cfg.XDSHost)
		if err != nil {
			return "", err
		}
		xds["transport_socket"] = ts
	}
	clusters := []any{xds, adminCluster()}
	if istio {
		c, err := sdsBootstrapCluster()
		if err != nil {
			return "", err
		}
		clusters = append(clusters, c)
	}
	b := map[string]any{
		"node": map[string]any{"id": node, "cluster": node},
		"dynamic_resources": map[string]any{
			"ads_config": map[string]any{
				"api_type":                       "GRPC",
				"transport_api_version":          "V3",
				"set_node_on_first_message_only": true,
				"grpc_services":                  []any{map[string]any{"envoy_grpc": map[string]any{"cluster_name": XDSClusterName}}},
			},
			"cds_config": ads,
			"lds_config": ads,
		},
		"static_resources": map[string]any{
			"clusters":  clusters,
			"listeners": []any{readyListener()},
		},
		"admin": map[string]any{"address": socket("127.0.0.1", AdminPort)},
	}
	out, err := yaml.Marshal(b)
	return string(out), err
}

func socket(addr string, port int) map[string]any {
	return map[string]any{"socket_address": map[string]any{"address": addr, "port_value": port}}
}

func xdsCluster(host string, port int32) map[string]any {
	return map[string]any{
		"name":            XDSClusterName,
		"type":            "STRICT_DNS",
		"connect_timeout": "5s",
		"typed_extension_protocol_options": map[string]any{
			"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": map[string]any{
				"@type":                "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
				"explicit_http_config": map[string]any{"http2_protocol_options": map[string]any{}},
			},
		},
		"load_assignment": map[string]any{
			"cluster_name": XDSClusterName,
			"endpoints": []any{map[string]any{"lb_endpoints": []any{map[string]any{
				"endpoint": map[string]any{"address": socket(host, int(port))},
			}}}},
		},
	}
}

// adminCluster lets the ready listener reach the localhost admin port.
func adminCluster() map[string]any {
	return map[string]any{
		"name":            "wasp_admin",
		"type":            "STATIC",
		"connect_timeout": "1s",
		"load_assignment": map[string]any{
			"cluster_name": "wasp_admin",
			"endpoints": []any{map[string]any{"lb_endpoints": []any{map[string]any{
				"endpoint": map[string]any{"address": socket("127.0.0.1", AdminPort)},
			}}}},
		},
	}
}

// readyListener answers the kubelet's readiness probe on ReadyPort by
// forwarding /ready to the admin interface, which stays on localhost.
func readyListener() map[string]any {
	return map[string]any{
		"name":    "wasp_ready",
		"address": socket("0.0.0.0", ReadyPort),
		"filter_chains": []any{map[string]any{"filters": []any{map[string]any{
			"name": "envoy.filters.network.http_connection_manager",
			"typed_config": map[string]any{
				"@type":       "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
				"stat_prefix": "wasp_ready",
				"route_config": map[string]any{
					"name": "wasp_ready",
					"virtual_hosts": []any{map[string]any{
						"name": "ready", "domains": []any{"*"},
						"routes": []any{map[string]any{
							"match": map[string]any{"path": "/ready"},
							"route": map[string]any{"cluster": "wasp_admin"},
						}},
					}},
				},
				"http_filters": []any{map[string]any{
					"name":         "envoy.filters.http.router",
					"typed_config": map[string]any{"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
				}},
			},
		}}}},
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
