package sds

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// certFiles are the files read, in the order NewMaterial takes them.
var certFiles = [...]string{CertChainFile, KeyFile, RootCertFile}

// stamp is what stat says about one file; equal stamps mean "unchanged"
// for the cheap check between full reads.
type stamp struct {
	info os.FileInfo // nil when stat failed
	err  string
}

func (a stamp) same(b stamp) bool {
	if a.info == nil || b.info == nil {
		return a.info == nil && b.info == nil && a.err == b.err
	}
	// SameFile catches an atomic rename (new inode) even when size and
	// modification time happen to be equal.
	return os.SameFile(a.info, b.info) && a.info.Size() == b.info.Size() &&
		a.info.ModTime().Equal(b.info.ModTime())
}

type stamps [len(certFiles)]stamp

func (a stamps) same(b stamps) bool {
	for i := range a {
		if !a[i].same(b[i]) {
			return false
		}
	}
	return true
}

func statFiles(dir string) stamps {
	var s stamps
	for i, f := range certFiles {
		info, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			s[i] = stamp{err: err.Error()}
			continue
		}
		s[i] = stamp{info: info}
	}
	return s
}

// readFiles reads the files. key identifies what was read — content
// hash, or the errors — so the caller can skip states it already handled.
func readFiles(dir string) (contents [len(certFiles)][]byte, key string, err error) {
	var missing []string
	var errs []error
	for i, f := range certFiles {
		b, rerr := os.ReadFile(filepath.Join(dir, f))
		switch {
		case errors.Is(rerr, fs.ErrNotExist):
			missing = append(missing, f)
		case rerr != nil:
			errs = append(errs, rerr)
		default:
			contents[i] = b
		}
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("missing %s (istio-proxy has not written them yet?)", strings.Join(missing, ", ")))
	}
	if err := errors.Join(errs...); err != nil {
		return contents, "error:" + err.Error(), err
	}
	return contents, contentVersion(contents[:]...), nil
}

// resyncEvery is how many polls pass between full re-reads.
func resyncEvery(poll time.Duration) int {
	return max(1, int(resyncInterval/poll))
}
