package main

import (
	"flag"
	"strings"

	"wasp.dev/controller/internal/translate"
)

// listFlag is a comma-separated, repeatable string list flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// translateFlags registers the translation options shared by both
// subcommands, so offline output matches what the controller produces.
type translateFlags struct {
	controllerName  string
	waypointClasses listFlag
	ingressClasses  listFlag
	clusterDomain   string
	// Istio mesh settings for AuthorizationPolicies (docs/istio.md).
	istioRootNamespace string
	istioTrustDomain   string
	istioTDAliases     listFlag
	// accessLogDir is where HTTPListenerPolicy file sinks may write
	// besides /dev/stdout and /dev/stderr; proxies mount it.
	accessLogDir string
}

func (f *translateFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.controllerName, "controller-name", translate.DefaultControllerName, "spec.controllerName of the GatewayClasses wasp serves")
	fs.Var(&f.waypointClasses, "waypoint-class", "GatewayClass names whose Gateways are waypoints (repeatable, comma-separated; default "+translate.DefaultWaypointClass+"); e.g. kgateway-waypoint to serve kgateway manifests")
	fs.Var(&f.ingressClasses, "ingress-class", "GatewayClass names whose Gateways are ingress gateways (default "+translate.DefaultIngressClass+")")
	fs.StringVar(&f.clusterDomain, "cluster-domain", translate.DefaultClusterDomain, "cluster DNS domain of Service hostnames")
	fs.StringVar(&f.istioRootNamespace, "istio-root-namespace", "istio-system", "Istio's root namespace: its AuthorizationPolicies targeting GatewayClass istio-waypoint apply to every wasp waypoint")
	fs.StringVar(&f.istioTrustDomain, "istio-trust-domain", "cluster.local", "the mesh's trust domain (meshConfig.trustDomain), for AuthorizationPolicy principals")
	fs.StringVar(&f.accessLogDir, "access-log-dir", translate.DefaultAccessLogDir, "the directory (mounted writable in every proxy) where HTTPListenerPolicy access logs may write files, besides /dev/stdout and /dev/stderr")
	fs.Var(&f.istioTDAliases, "istio-trust-domain-alias", "trust domains treated as the local one (meshConfig.trustDomainAliases; repeatable, comma-separated)")
}

func (f *translateFlags) options() translate.Options {
	o := translate.DefaultOptions()
	o.ControllerName = f.controllerName
	o.ClusterDomain = f.clusterDomain
	o.IstioMesh.RootNamespace = f.istioRootNamespace
	o.IstioMesh.TrustDomain = f.istioTrustDomain
	o.IstioMesh.TrustDomainAliases = f.istioTDAliases
	o.AccessLogDir = f.accessLogDir
	if len(f.waypointClasses) > 0 {
		o.WaypointClasses = f.waypointClasses
	}
	if len(f.ingressClasses) > 0 {
		o.IngressClasses = f.ingressClasses
	}
	return o
}
