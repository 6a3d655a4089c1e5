package envoywasi

import (
	"slices"
	"sort"
	"testing"
)

// TestFunctions pins the list to its source (cpp-host
// FOR_ALL_WASI_FUNCTIONS plus the three functions added for Go): a change
// must be deliberate.
func TestFunctions(t *testing.T) {
	fromExportsH := []string{
		"fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "environ_get",
		"environ_sizes_get", "args_get", "args_sizes_get", "clock_time_get", "random_get",
		"proc_exit", "path_open", "fd_prestat_get", "fd_prestat_dir_name",
	}
	addedForGo := []string{"sched_yield", "poll_oneoff", "fd_fdstat_set_flags"}
	want := append(fromExportsH, addedForGo...)
	sort.Strings(want)
	if got := Functions(); !slices.Equal(got, want) {
		t.Fatalf("Functions() = %v, want %v", got, want)
	}
	if !sort.StringsAreSorted(functions) {
		t.Fatal("functions is not sorted: Provides searches it")
	}
}

func TestProvidesAndRefused(t *testing.T) {
	for _, n := range Functions() {
		if !Provides(n) {
			t.Errorf("Provides(%q) = false", n)
		}
	}
	// What Go's wasip1 port or wasi-libc may import and Envoy lacks.
	for _, n := range []string{"sock_accept", "fd_readdir", "path_unlink_file", "fd_filestat_get", "fd_pread", "", "FD_WRITE"} {
		if Provides(n) {
			t.Errorf("Provides(%q) = true", n)
		}
	}
	got := Refused([]string{"fd_write", "sock_accept", "fd_readdir", "sock_accept", "random_get"})
	if !slices.Equal(got, []string{"fd_readdir", "sock_accept"}) {
		t.Fatalf("Refused = %v", got)
	}
	// Functions returns a copy.
	f := Functions()
	f[0] = "sock_accept"
	if !Provides("args_get") || Provides("sock_accept") {
		t.Fatal("Functions() aliases the list")
	}
}
