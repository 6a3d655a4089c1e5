package proxyauth

import (
	"crypto/tls"
	"sync"
	"time"
)

// Serving holds the controller's serving certificate and re-issues it
// from the CA when due; every replica signs its own (in memory, never
// stored), so nothing but the CA is shared between replicas.
type Serving struct {
	ca    *CA
	hosts []string
	now   func() time.Time

	mu  sync.Mutex
	cur *tls.Certificate
	due time.Time
}

// Serving returns the serving certificate source for hosts.
func (ca *CA) Serving(hosts []string) *Serving {
	return &Serving{ca: ca, hosts: hosts, now: time.Now}
}

// Get returns the current certificate, issuing a new one when due.
func (s *Serving) Get() (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.cur != nil && now.Before(s.due) {
		return s.cur, nil
	}
	leaf, err := s.ca.IssueServer(s.hosts, now)
	if err != nil {
		return nil, err
	}
	kp, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		return nil, err
	}
	s.cur, s.due = &kp, RenewAt(leaf.NotBefore, leaf.NotAfter)
	return s.cur, nil
}

// TLS is the servers' TLS configuration with this certificate.
func (s *Serving) TLS() *tls.Config { return s.ca.ServerTLS(s.Get) }
