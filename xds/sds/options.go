package sds

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"
)

// DefaultPollInterval: a stat of three files per second costs nothing, and
// Envoy waits for its secrets before it warms clusters, so a short interval
// shortens pod start-up as well as rotation.
const DefaultPollInterval = time.Second

// resyncInterval: re-read the files even when stat shows no change, in case
// a writer replaced one in place with the same size within the timestamp
// granularity. Content hashing makes a no-op resync silent.
const resyncInterval = time.Minute

// Options configure the SDS server. The zero value means the defaults.
type Options struct {
	// Address to listen on (Run only); must be a loopback address.
	Address string
	// CertDir holds CertChainFile, KeyFile and RootCertFile.
	CertDir string
	// PollInterval between stats of the files.
	PollInterval time.Duration
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// OnLoad, if set, is called after every look at changed files (tests,
	// metrics). It runs on the polling goroutine: keep it short.
	OnLoad func(Load)
}

// Load is the outcome of reading changed files.
type Load struct {
	// Version served after this load ("" while nothing valid was seen).
	Version string
	// Err says why the files were not served; nil when Version is new.
	Err error
}

// RegisterFlags binds the options to flags of the `wasp sds` subcommand:
// --address, --cert-dir, --poll-interval.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Address, "address", DefaultAddress,
		"loopback host:port to serve SDS on (the bootstrap cluster "+BootstrapClusterName+" points here)")
	fs.StringVar(&o.CertDir, "cert-dir", DefaultCertDir,
		"directory istio-proxy writes "+CertChainFile+", "+KeyFile+" and "+RootCertFile+" to (its OUTPUT_CERTS)")
	fs.DurationVar(&o.PollInterval, "poll-interval", DefaultPollInterval,
		"how often to check the certificate files for rotation")
}

// withDefaults fills unset fields.
func (o Options) withDefaults() Options {
	if o.Address == "" {
		o.Address = DefaultAddress
	}
	if o.CertDir == "" {
		o.CertDir = DefaultCertDir
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// checkLoopback refuses addresses other pods could reach: SDS has no
// authentication and the response carries the private key.
func checkLoopback(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("sds address %q: %w", address, err)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("sds address %q: host must be a loopback IP or localhost, "+
			"because the server hands out the workload's private key without authentication", address)
	}
	return nil
}
