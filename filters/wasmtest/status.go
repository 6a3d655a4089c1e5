package wasmtest

// Status is a proxy-wasm WasmResult, the value every host call returns.
type Status uint32

const (
	StatusOK                  Status = 0
	StatusNotFound            Status = 1
	StatusBadArgument         Status = 2
	StatusSerializationFailed Status = 3
	StatusParseFailure        Status = 4
	StatusBadExpression       Status = 5
	StatusInvalidMemoryAccess Status = 6
	StatusEmpty               Status = 7
	StatusCasMismatch         Status = 8
	StatusResultMismatch      Status = 9
	StatusInternalFailure     Status = 10
	StatusBrokenConnection    Status = 11
	StatusUnimplemented       Status = 12
)

// LogLevel is a proxy-wasm log level.
type LogLevel uint32

const (
	LogTrace    LogLevel = 0
	LogDebug    LogLevel = 1
	LogInfo     LogLevel = 2
	LogWarn     LogLevel = 3
	LogError    LogLevel = 4
	LogCritical LogLevel = 5
)

func (l LogLevel) String() string {
	names := [...]string{"trace", "debug", "info", "warn", "error", "critical"}
	if int(l) < len(names) {
		return names[l]
	}
	return "unknown"
}

// LogEntry is one captured log line: from proxy_log, or a line the module
// wrote to fd 1 (info) or fd 2 (error), as Envoy logs them.
type LogEntry struct {
	Level LogLevel
	// Plugin is the name of the plugin whose context logged, empty for
	// output that belongs to the VM (WASI writes, _initialize).
	Plugin  string
	VMID    string
	Message string
}

func (e LogEntry) String() string {
	return "[" + e.Level.String() + "] " + e.Message
}
