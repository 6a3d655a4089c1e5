package wasmtest

import "bytes"

// logWriter turns what the module writes to fd 1 or fd 2 into log lines, as
// Envoy does (fd 1 at info, fd 2 at error, one line per newline; a partial
// line waits for its end).
type logWriter struct {
	vm    *VM
	level LogLevel
	buf   []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.vm.addLog(LogEntry{Level: w.level, Message: string(w.buf[:i])})
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) == 0 {
		w.buf = nil
	}
	return len(p), nil
}
