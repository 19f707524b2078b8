package redisstore

import (
	"context"
	"fmt"
	"strings"
)

// Server describes how the Redis behind a Store keeps data, for
// `repcoach doctor`.
type Server struct {
	// AppendOnly is true when the append-only file is on; Snapshots is the
	// RDB "save" schedule ("" when off or when CONFIG is not allowed).
	AppendOnly bool
	Snapshots  string
	// EvictionPolicy is maxmemory-policy: "noeviction" keeps every key
	// when memory runs out; any other policy may drop delivery records.
	EvictionPolicy string
}

// Persistent reports whether the server writes its data to disk.
func (s Server) Persistent() bool { return s.AppendOnly || s.Snapshots != "" }

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping Redis: %w", err)
	}
	return nil
}

// Server reads the server's persistence and eviction settings from INFO
// (and CONFIG GET save where allowed). The embedded Redis reports nothing
// persistent.
func (s *Store) Server(ctx context.Context) (Server, error) {
	if s.mini != nil {
		return Server{EvictionPolicy: "noeviction"}, nil
	}
	info, err := s.rdb.Info(ctx, "persistence", "memory").Result()
	if err != nil {
		return Server{}, fmt.Errorf("read Redis INFO: %w", err)
	}
	var out Server
	for _, line := range strings.Split(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		switch k {
		case "aof_enabled":
			out.AppendOnly = v == "1"
		case "maxmemory_policy":
			out.EvictionPolicy = v
		}
	}
	if cfg, err := s.rdb.ConfigGet(ctx, "save").Result(); err == nil {
		out.Snapshots = strings.TrimSpace(cfg["save"])
	}
	return out, nil
}
