package wasmsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
)

// fetchHTTP downloads url, refusing more than MaxModuleBytes. Server
// errors, 408, 429 and network errors are transient; other statuses are
// not.
func (f *Fetcher) fetchHTTP(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, permanent(err)
	}
	// Redirects need no check of their own: each one dials anew, through
	// the policy's check.
	client := &http.Client{Transport: f.transport}
	resp, err := client.Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			ue.URL = redactURL(ue.URL) // a presigned URL's query is a credential
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The code and Go's text for it, never the server's reason phrase,
		// headers or body: the status must not become a way to read them.
		err := fmt.Errorf("GET %s: HTTP %d %s", redactURL(url), resp.StatusCode, http.StatusText(resp.StatusCode))
		if transientStatus(resp.StatusCode) {
			return nil, err
		}
		return nil, permanent(err)
	}
	if resp.ContentLength > f.opts.MaxModuleBytes {
		return nil, permanent(tooLargeError{resp.ContentLength, f.opts.MaxModuleBytes})
	}
	return readLimited(resp.Body, f.opts.MaxModuleBytes)
}

func transientStatus(code int) bool {
	return code >= 500 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests
}

// readLimited reads r to the end, failing (permanently) past limit bytes
// without buffering more than limit+1.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, permanent(tooLargeError{-1, limit})
	}
	return b, nil
}
