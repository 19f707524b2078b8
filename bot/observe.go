package bot

import "time"

// Observer is told what the bot does, for metrics. Its methods are called
// from many goroutines and must be quick; Config.Observer nil tells nobody.
type Observer interface {
	// Envelope reports one envelope from Slack (kind: slash_commands,
	// interactive, events_api) and how long it took to ack or hand over.
	Envelope(kind string, ack time.Duration)
	// Handled reports a handler's run time and how it ended: "answered",
	// "silent" (nothing to say), "explained" (a friendly error), "failed"
	// (an apology was shown or, for events, logged) or "undelivered" (the
	// reply could not be posted).
	Handled(kind Kind, took time.Duration, outcome string)
	// Connection reports the socket's state: "connecting", "connected" or
	// "failed".
	Connection(state string)
}

// Connected reports whether the Socket Mode connection is up.
func (b *Bot) Connected() bool { return b.connected.Load() }

func (b *Bot) connection(state string) {
	b.connected.Store(state == "connected")
	if b.cfg.Observer != nil {
		b.cfg.Observer.Connection(state)
	}
}

func (b *Bot) envelope(kind string, start time.Time) {
	if b.cfg.Observer != nil {
		b.cfg.Observer.Envelope(kind, time.Since(start))
	}
}

func (b *Bot) handled(kind Kind, start time.Time, outcome string) {
	if b.cfg.Observer != nil {
		b.cfg.Observer.Handled(kind, time.Since(start), outcome)
	}
}
