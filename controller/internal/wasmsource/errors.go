package wasmsource

import (
	"errors"
	"fmt"
)

// Reason is a WasmFilter status reason for a module that could not be
// served.
type Reason string

// The reasons, as WasmFilter status reports them.
const (
	// ReasonFetchFailed: the source could not be read (unreachable, not
	// found, unauthorized, a malformed image), after retries when the
	// failure looked transient.
	ReasonFetchFailed Reason = "FetchFailed"
	// ReasonFetchRefused: the source resolves to an address the
	// controller may not connect to (AddressPolicy); nothing was sent.
	ReasonFetchRefused Reason = "FetchRefused"
	// ReasonDigestMismatch: the module's sha256 is not the pinned one.
	ReasonDigestMismatch Reason = "DigestMismatch"
	// ReasonTooLarge: the module is larger than the size limit.
	ReasonTooLarge Reason = "TooLarge"
	// ReasonInvalidModule: the bytes are not a proxy-wasm module Envoy can
	// load.
	ReasonInvalidModule Reason = "InvalidModule"
)

// Error is a failed fetch: the status reason, the source it concerns, how
// many attempts were made, and the cause.
type Error struct {
	Reason   Reason
	Source   string // Source.String()
	Attempts int    // network attempts made; 0 when none was needed
	Err      error
}

func (e *Error) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("%s: %s (after %d attempts): %v", e.Reason, e.Source, e.Attempts, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Reason, e.Source, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the status reason of err: its *Error's Reason, or
// FetchFailed for any other non-nil error, or "" for nil.
func ReasonOf(err error) Reason {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ReasonFetchFailed
}

// permanentError marks a fetch failure that retrying cannot fix (a 404, a
// bad credential, a malformed image, too large): the retry loop stops.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

func permanent(err error) error { return permanentError{err} }

// tooLargeError is a module over the size limit, detected while reading.
type tooLargeError struct{ size, limit int64 }

func (e tooLargeError) Error() string {
	if e.size < 0 {
		return fmt.Sprintf("module is larger than the limit of %d bytes", e.limit)
	}
	return fmt.Sprintf("module is %d bytes, over the limit of %d bytes", e.size, e.limit)
}
