package wasmserver

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Users' modules (WasmFilters): the controller adds each module once it is
// fetched and verified, and drops those no WasmFilter uses any more, so
// memory follows the current configuration.

// AddCustom serves code under its sha256 and returns the sha256 and the
// URL proxies fetch it from (baseURL as for IRModules). Safe for
// concurrent use with serving.
func (s *Server) AddCustom(baseURL string, code []byte) (sum, url string) {
	h := sha256.Sum256(code)
	sum = hex.EncodeToString(h[:])
	s.mu.Lock()
	if s.custom == nil {
		s.custom = map[string][]byte{}
	}
	s.custom[sum] = code
	s.mu.Unlock()
	return sum, ModuleURL(baseURL, sum)
}

// RetainCustom drops the users' modules whose sha256 keep rejects.
func (s *Server) RetainCustom(keep func(sum string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sum := range s.custom {
		if !keep(sum) {
			delete(s.custom, sum)
		}
	}
}

// HasCustom says whether a user's module with this sha256 is served.
func (s *Server) HasCustom(sum string) bool {
	_, ok := s.customCode(sum)
	return ok
}

func (s *Server) customCode(sum string) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.custom[sum]
	return c, ok
}

// ModuleURL is where proxies fetch the module with this sha256.
func ModuleURL(baseURL, sum string) string {
	return strings.TrimSuffix(baseURL, "/") + PathPrefix + sum + ".wasm"
}
