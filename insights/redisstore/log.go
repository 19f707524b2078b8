package redisstore

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// SetLogger sends go-redis's own log lines (pool dial failures, Sentinel
// and Cluster topology changes, …) to l at warn level, so they honour the
// configured level and format instead of going to stderr on their own.
// go-redis keeps one logger per process: the last call wins.
func SetLogger(l *slog.Logger) {
	redis.SetLogger(slogPrinter{l})
}

// slogPrinter adapts a slog.Logger to go-redis's Printf logger.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	p.l.Log(ctx, slog.LevelWarn, fmt.Sprintf(format, v...), "source", "go-redis")
}
