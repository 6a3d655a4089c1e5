package harness

import (
	"context"
	"net/http"
	"time"
)

// httpClient is for loopback calls to the controller; the timeout keeps a
// hung server from hanging the suite.
var httpClient = &http.Client{Timeout: 30 * time.Second}

func newGet(ctx context.Context, url string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
}
