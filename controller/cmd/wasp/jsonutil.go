package main

import (
	"bytes"
	"encoding/json"
)

func jsonIndent(buf *bytes.Buffer, b []byte) error {
	if err := json.Indent(buf, b, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	return nil
}
