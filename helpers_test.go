package maestrano_test

import (
	"context"
	"encoding/base64"
	"strings"
	"time"
)

func noSleep(context.Context, time.Duration) error { return nil }

func base64Lines(der []byte) string {
	s := base64.StdEncoding.EncodeToString(der)
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s + "\n")
	return b.String()
}
