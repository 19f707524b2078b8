// Package delivery is the contract of exactly-once delivery that the
// ledger (the Redis store) and the sender (bot's Poster) share: the states
// a claim on a delivery can be in and the Ledger that records them. It has
// no Slack and no Redis in it, so both sides use these types as they are,
// with no adapter between them.
//
// A delivery is one message that must go out once, named by a key such as
// "weekly-feedback/2026-W48/U123". An owner (one name per process) claims
// it with a lease, sends it, and marks it delivered with the message's
// timestamp; a claim that lapses or is released unrecorded makes the next
// claimer look for the message before sending again.
package delivery

import (
	"context"
	"fmt"
	"time"
)

// Claim is what a Ledger says about a delivery when it is claimed.
type Claim int

// The claim states. The zero value is not a valid state.
const (
	// New: the caller holds the lease and nobody claimed the delivery
	// before (or the caller renewed its own live lease, or the last holder
	// released it knowing nothing was posted): send it.
	New Claim = iota + 1
	// Reclaimed: the caller holds the lease, but an earlier claim lapsed
	// or was released without being marked delivered, and its holder may
	// have posted: look for the message before sending, and if it is
	// there, MarkDelivered with its ts instead.
	Reclaimed
	// Sent: the delivery was marked delivered; do not send.
	Sent
	// Held: another owner holds a live lease; do not send now.
	Held
)

func (c Claim) String() string {
	switch c {
	case New:
		return "new"
	case Reclaimed:
		return "reclaimed"
	case Sent:
		return "sent"
	case Held:
		return "held"
	}
	return fmt.Sprintf("Claim(%d)", int(c))
}

// Ledger records which deliveries were sent, shared by every replica.
type Ledger interface {
	// ClaimDelivery claims key for owner with a lease that lapses after
	// lease unless the delivery is marked or released first. A live lease
	// held by the same owner is renewed and reported New.
	ClaimDelivery(ctx context.Context, key, owner string, lease time.Duration) (Claim, error)
	// MarkDelivered records that key was sent as the message ts. Only the
	// owner holding the lease (or the last claimer, if nobody claimed
	// since its lease lapsed) may mark it. Where the ledger has replicas,
	// it returns only once a replica has the record too, or an error.
	MarkDelivered(ctx context.Context, key, owner, ts string) error
	// ReleaseDelivery gives up owner's live lease on key at once, so that
	// another run need not wait for it to lapse. maybePosted says whether
	// a post may have landed unseen: if so the next claim is Reclaimed,
	// else New. Releasing a lease owner does not hold is a no-op.
	ReleaseDelivery(ctx context.Context, key, owner string, maybePosted bool) error
}
