package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
)

// logFlags is the one logging configuration of every long-running
// subcommand: controller-runtime (logr), client-go (klog), the xDS server
// and `wasp sds` (slog) all write through the same slog handler, so one
// --log-level governs every line the process prints.
type logFlags struct {
	level  string
	format string
}

// logLevels are the values --log-level (and the chart's controller.logLevel
// enum) accept.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

func (f *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.level, "log-level", "info", "least severe level logged: debug, info, warn or error")
	fs.StringVar(&f.format, "log-format", "json", "log line format: json or text")
}

// logger builds the process's handler from the flags and installs it as
// controller-runtime's and klog's logger. It fails on a value the flags
// do not define, naming the accepted ones, so a typo stops the process at
// start instead of logging at a surprising level.
func (f *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	level, ok := logLevels[strings.ToLower(f.level)]
	if !ok {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", f.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(f.format) {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("--log-format %q: want json or text", f.format)
	}
	lr := logr.FromSlogHandler(h)
	ctrl.SetLogger(lr)
	klog.SetLogger(lr)
	return slog.New(h), nil
}
