package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// stopGrace is how long the controller gets to exit after SIGTERM, as a
// kubelet's terminationGracePeriodSeconds would give it.
const stopGrace = 15 * time.Second

// RepoRoot finds the repository root (the directory holding go.work) from
// the working directory upwards.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.work not found above the working directory")
		}
		dir = parent
	}
}

// BuildWasp builds the wasp binary (controller/cmd/wasp) into dir, the
// way mk/controller.mk does (GOWORK=off: the controller module is
// self-contained).
func BuildWasp(ctx context.Context, root, dir string) (string, error) {
	out := filepath.Join(dir, "wasp")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/wasp")
	cmd.Dir = filepath.Join(root, "controller")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./controller/cmd/wasp: %w\n%s", err, b)
	}
	return out, nil
}

// ControllerArgs are the controller container's args in a rendered chart.
func ControllerArgs(rendered []byte) ([]string, error) {
	objs, err := Decode(rendered)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.GetKind() != "Deployment" || o.GetLabels()["app.kubernetes.io/component"] != "controller" {
			continue
		}
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d); err != nil {
			return nil, err
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			if c.Name == "controller" {
				return append([]string(nil), c.Args...), nil
			}
		}
	}
	return nil, errors.New("rendered chart has no controller Deployment with a controller container")
}

// LocalAddresses are the loopback addresses the controller process serves.
type LocalAddresses struct {
	XDS, Wasm, Metrics, Health string
}

// Localize rewrites the chart's listen flags (--xds-address=:18000, …) to
// free loopback ports, keeping every other flag as the chart sets it.
func Localize(args []string) ([]string, LocalAddresses, error) {
	var la LocalAddresses
	out := make([]string, 0, len(args))
	for _, a := range args {
		name, _, isFlag := strings.Cut(a, "=")
		var target *string
		switch name {
		case "--xds-address", "--xds-bind-address":
			target = &la.XDS
		case "--wasm-address", "--wasm-bind-address":
			target = &la.Wasm
		case "--metrics-address", "--metrics-bind-address":
			target = &la.Metrics
		case "--health-address", "--health-probe-bind-address":
			target = &la.Health
		}
		if target == nil || !isFlag {
			out = append(out, a)
			continue
		}
		addr, err := FreeAddress()
		if err != nil {
			return nil, la, err
		}
		*target = addr
		out = append(out, name+"="+addr)
	}
	return out, la, nil
}

// FreeAddress returns a loopback address with a port nothing listens on.
func FreeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Process is a running child process with its output captured.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	mu   sync.Mutex
	out  bytes.Buffer
}

// Start runs bin with args and extra environment variables; its output
// goes to the Process (Output) and, if tee is non-nil, to tee as well.
func Start(bin string, args, env []string, tee func([]byte)) (*Process, error) {
	p := &Process{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	w := writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		p.out.Write(b)
		p.mu.Unlock()
		if tee != nil {
			tee(b)
		}
		return len(b), nil
	})
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	return p, nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// Output is everything the process wrote so far.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Stop sends SIGTERM, waits for a clean exit, then kills. It returns the
// exit error of a process that did not exit cleanly.
func (p *Process) Stop() error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(stopGrace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("did not exit within %v of SIGTERM; killed", stopGrace)
	}
}

// WaitHTTP polls url until it answers 200 or ctx ends.
func WaitHTTP(ctx context.Context, url string) error {
	var last error
	for {
		req, _ := newGet(ctx, url)
		resp, err := httpClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
			last = fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
