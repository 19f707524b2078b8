package schedule_test

import (
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/bot"
	"github.com/repcoach/repcoach/bot/internal/bottest"
	"github.com/repcoach/repcoach/bot/schedule"
	"github.com/repcoach/repcoach/bot/slackfake"
	"github.com/repcoach/repcoach/insights/delivery"
	"github.com/repcoach/repcoach/insights/redisstore"
)

// The store is the Outbox and the Prefs as it is.
var (
	_ schedule.Outbox = (*redisstore.Store)(nil)
	_ schedule.Prefs  = (*redisstore.Store)(nil)
)

// fastPoster returns a Poster for tests: a high rate, little spacing.
func fastPoster(t testing.TB, api *slack.Client, l delivery.Ledger, cfg bot.PosterConfig) *bot.Poster {
	if cfg.Rate == 0 {
		cfg.Rate = 2000
		cfg.Burst = 50
	}
	if cfg.PerChannel == 0 {
		cfg.PerChannel = time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = bottest.WarnLogger(t)
	}
	return bot.NewPoster(api, l, cfg)
}

// deliveryKey reads the delivery key from a message's metadata.
func deliveryKey(t testing.TB, m slackfake.Message) string {
	t.Helper()
	return bottest.DeliveryKey(t, m, bot.DeliveryEventType)
}
