package delivery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/repcoach/repcoach/insights/clock"
)

// ErrNotOwner is returned by Memory.MarkDelivered when owner may not mark
// the delivery (another owner claimed it since).
var ErrNotOwner = errors.New("not the delivery's owner")

// Memory is a Ledger held in this process, with its leases on a Clock: the
// same rules as the Redis store's ledger, for tests that move a clock.Fake
// instead of waiting for a lease to lapse. Nothing survives the process,
// and replicas cannot share it. It is safe for concurrent use.
type Memory struct {
	clock clock.Clock
	mu    sync.Mutex
	recs  map[string]*memRecord
}

type memRecord struct {
	sent   bool
	ts     string
	owner  string    // the last claimer, "" once released with nothing posted
	holder string    // the lease's holder while it is live
	until  time.Time // when the lease lapses
}

// NewMemory returns an empty Memory ledger whose leases lapse on c (nil
// means clock.Real).
func NewMemory(c clock.Clock) *Memory {
	return &Memory{clock: clock.Or(c), recs: map[string]*memRecord{}}
}

// Delivered returns the ts key was marked delivered with, and whether it
// was.
func (m *Memory) Delivered(key string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.recs[key]
	if r == nil || !r.sent {
		return "", false
	}
	return r.ts, true
}

// live returns r's lease holder, or "" if the lease lapsed.
func (m *Memory) live(r *memRecord) string {
	if r.holder != "" && m.clock.Now().Before(r.until) {
		return r.holder
	}
	return ""
}

// ClaimDelivery implements Ledger.
func (m *Memory) ClaimDelivery(_ context.Context, key, owner string, lease time.Duration) (Claim, error) {
	if key == "" || owner == "" || lease <= 0 {
		return 0, fmt.Errorf("claim delivery %q by %q for %v: empty key or owner, or no lease", key, owner, lease)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.recs[key]
	if r == nil {
		r = &memRecord{}
		m.recs[key] = r
	}
	if r.sent {
		return Sent, nil
	}
	switch m.live(r) {
	case owner:
		r.until = m.clock.Now().Add(lease)
		return New, nil
	case "":
	default:
		return Held, nil
	}
	prev := r.owner
	r.owner, r.holder, r.until = owner, owner, m.clock.Now().Add(lease)
	if prev != "" {
		return Reclaimed, nil
	}
	return New, nil
}

// MarkDelivered implements Ledger; it returns an error wrapping
// ErrNotOwner if another owner claimed key since owner did.
func (m *Memory) MarkDelivered(_ context.Context, key, owner, ts string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.recs[key]
	switch {
	case r == nil:
	case r.sent:
		if r.owner == owner {
			return nil
		}
	case m.live(r) == owner || (m.live(r) == "" && r.owner == owner):
		r.sent, r.ts, r.holder = true, ts, ""
		return nil
	}
	return fmt.Errorf("mark delivery %s delivered by %s: %w", key, owner, ErrNotOwner)
}

// ReleaseDelivery implements Ledger.
func (m *Memory) ReleaseDelivery(_ context.Context, key, owner string, maybePosted bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.recs[key]
	if r == nil || r.sent || m.live(r) != owner {
		return nil
	}
	r.holder = ""
	if !maybePosted {
		r.owner = ""
	}
	return nil
}
