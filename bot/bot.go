// Package bot is RepCoach's Slack adapter and the only code that knows
// Socket Mode. It holds the connection, acks every envelope at once, dedupes
// redelivered events, routes commands, buttons, modal submissions and events
// to handlers declared in a table, recovers from handler panics, turns
// handler errors into answers, posts through a rate-limited poster and runs
// scheduled jobs. Handlers never see socketmode types: they get a Request and
// return a Reply.
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/repcoach/repcoach/insights/clock"
)

// Deduper remembers which Events API events were already handled, across
// replicas. FirstDelivery reports true only for the first caller with id.
type Deduper interface {
	FirstDelivery(ctx context.Context, id string, ttl time.Duration) (bool, error)
}

// Config configures a Bot. Tokens are only passed to slack-go, never logged.
type Config struct {
	AppToken string // xapp-…
	BotToken string // xoxb-…
	// APIURL is Slack's Web API base URL ending in "/"; empty means Slack's.
	APIURL string
	// HandlerTimeout bounds one handler run (default 30 s).
	HandlerTimeout time.Duration
	// ShutdownGrace bounds how long Run waits for in-flight handlers after
	// its context ends (default 10 s).
	ShutdownGrace time.Duration
	// MaxInFlight bounds handlers running at once (default 512); envelopes
	// past it are still acked at once and wait for a slot.
	MaxInFlight int
	// Explain turns a handler error into a friendly message for the user,
	// or reports false for an internal error (the user then sees an apology
	// and the error is logged).
	Explain func(error) (string, bool)
	// Say, when set, writes what the bot itself tells a user in their
	// language (an explained error, the apology, the unknown-command
	// reply) and replaces Explain.
	Say Sayer
	// Dedupe drops redelivered events; nil keeps an in-process memory only.
	Dedupe Deduper
	Logger *slog.Logger
	// HTTPClient is used for the Web API and response_url posts.
	HTTPClient *http.Client
	// Observer, if not nil, is told of envelopes, handler runs and the
	// connection's state (for metrics).
	Observer Observer
	// ViewDeadline is when a modal submission is acked at the latest,
	// whether or not its handler has finished (default 2.5 s, inside
	// Slack's 3 s).
	ViewDeadline time.Duration
	// MaxFrameBytes bounds one incoming Socket Mode frame (default 4 MiB,
	// well above Slack's largest envelope, a 250 kB view with its state).
	// A bigger frame is not read: the socket is closed and reopened.
	MaxFrameBytes int64
	// Clock waits out 429s and the retries of replies (nil means
	// clock.Real).
	Clock clock.Clock
}

// DefaultMaxFrameBytes is Config.MaxFrameBytes's default.
const DefaultMaxFrameBytes = 4 << 20

// Bot is a Socket Mode connection to Slack and the router behind it.
type Bot struct {
	cfg    Config
	api    *slack.Client
	sm     *socketmode.Client
	router *Router
	log    *slog.Logger
	slots  chan struct{}
	wg     sync.WaitGroup

	connected atomic.Bool

	seenMu sync.Mutex
	seen   map[string]time.Time // in-process dedupe when cfg.Dedupe is nil

	// uninstalled receives the event type when Slack says the app was
	// uninstalled or its bot token revoked; Run then stops.
	uninstalled chan string
}

// mrkdwnEscaper escapes text for mrkdwn, as handlers/kit.Escape does (bot
// does not import handlers).
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Sayer writes, in a user's language, what the bot itself tells them.
type Sayer interface {
	// Explain turns a handler error into a friendly message for userID, or
	// reports false for an internal error.
	Explain(ctx context.Context, userID string, err error) (string, bool)
	// Apology is what userID sees for an internal error.
	Apology(ctx context.Context, userID string) string
	// UnknownCommand answers a slash command not in the table; commands
	// are the table's command names, in order.
	UnknownCommand(ctx context.Context, userID, command string, commands []string) string
	// FormNotSaved tells userID, after their form has closed, that it was
	// not saved; errs are its field errors, sorted and mrkdwn-escaped.
	FormNotSaved(ctx context.Context, userID string, errs []string) string
}

// Apology is what a user sees when a handler fails for an internal reason
// (in English; Config.Say writes it in the user's language).
const Apology = ":warning: Sorry, something went wrong on our side and I couldn't answer that. It has been logged; please try again in a minute."

// New returns a bot that will answer with the routes of router once Run is
// called.
func New(cfg Config, router *Router) *Bot {
	if cfg.HandlerTimeout <= 0 {
		cfg.HandlerTimeout = 30 * time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 10 * time.Second
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 512
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = NewHTTPClient()
	}
	if cfg.ViewDeadline <= 0 {
		cfg.ViewDeadline = 2500 * time.Millisecond
	}
	if cfg.MaxFrameBytes <= 0 {
		cfg.MaxFrameBytes = DefaultMaxFrameBytes
	}
	cfg.Clock = clock.Or(cfg.Clock)
	if cfg.Explain == nil {
		cfg.Explain = func(error) (string, bool) { return "", false }
	}
	api := NewAPI(cfg.BotToken, cfg.AppToken, cfg.APIURL, cfg.HTTPClient)
	return &Bot{
		cfg:    cfg,
		api:    api,
		sm:     socketmode.New(api, socketmode.OptionReadLimit(cfg.MaxFrameBytes)),
		router: router,
		log:    cfg.Logger,
		slots:  make(chan struct{}, cfg.MaxInFlight),
		seen:   map[string]time.Time{},

		uninstalled: make(chan string, 1),
	}
}

// NewHTTPClient returns the HTTP client for Slack: a 30 s timeout and
// enough idle connections per host that replies at hundreds a second reuse
// connections instead of opening one each (the default keeps only two).
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	return &http.Client{Timeout: 30 * time.Second, Transport: t}
}

// NewAPI returns a slack-go Web API client for the given tokens and base
// URL ("" means Slack's own).
func NewAPI(botToken, appToken, apiURL string, hc *http.Client) *slack.Client {
	opts := []slack.Option{slack.OptionAppLevelToken(appToken), slack.OptionHTTPClient(hc)}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	return slack.New(botToken, opts...)
}

// API returns the Web API client the bot uses.
func (b *Bot) API() *slack.Client { return b.api }

// Run connects to Slack and serves until ctx ends, then waits for in-flight
// handlers for at most ShutdownGrace. It returns nil after a clean shutdown,
// or the error that made Slack refuse the connection (invalid_auth, …).
func (b *Bot) Run(ctx context.Context) error {
	smCtx, stop := context.WithCancel(context.Background())
	defer stop()
	runErr := make(chan error, 1)
	go func() { runErr <- b.sm.RunContext(smCtx) }()

	// Handlers get their own context so that shutdown lets them finish.
	handlerCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()

	var err error
	var revoked string
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err = <-runErr:
			break loop
		case revoked = <-b.uninstalled:
			b.log.Error("Slack says the app was uninstalled or its tokens revoked ("+revoked+"); stopping. Reinstall the app and set SLACK_BOT_TOKEN and SLACK_APP_TOKEN to the new tokens.", "event", revoked)
			break loop
		case evt := <-b.sm.Events:
			b.dispatch(handlerCtx, evt)
		}
	}
	stop()
	if err == nil {
		select { // the socket's goroutine ends soon after stop
		case <-runErr:
		case <-time.After(b.cfg.ShutdownGrace):
			b.log.Warn("Socket Mode connection did not close in time")
		}
	}

	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(b.cfg.ShutdownGrace):
		b.log.Warn("shutdown grace over; cancelling handlers still running")
		cancelHandlers()
		<-done
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return appTokenError(err)
	}
	if revoked != "" {
		return fmt.Errorf("%w: %s", ErrUninstalled, revoked)
	}
	return nil
}

// ErrUninstalled is returned by Run when Slack said the app was
// uninstalled or its bot token revoked (app_uninstalled, tokens_revoked):
// nothing it does can work until it is reinstalled with new tokens.
var ErrUninstalled = errors.New("Slack uninstalled the app or revoked its tokens")

// dispatch acks one socketmode event at once and hands it to a handler.
func (b *Bot) dispatch(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		defer b.envelope(string(evt.Type), time.Now())
	}
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.connection("connecting")
		b.log.Debug("connecting to Slack")
	case socketmode.EventTypeConnected:
		b.connection("connected")
		b.log.Info("connected to Slack over Socket Mode")
	case socketmode.EventTypeHello:
		b.log.Debug("hello from Slack", "connections", evt.Request.NumConnections)
	case socketmode.EventTypeConnectionError:
		b.connection("failed")
		b.log.Warn("Socket Mode connection failed; retrying", "err", evt.Data)
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("Slack refused SLACK_APP_TOKEN")
	case socketmode.EventTypeIncomingError:
		b.log.Warn("unreadable frame from Slack", "err", evt.Data)
	case socketmode.EventTypeErrorWriteFailed:
		b.log.Warn("an ack could not be written; Slack will retry or time out", "err", evt.Data)
	case socketmode.EventTypeErrorBadMessage:
		b.ackBadMessage(evt)
	case socketmode.EventTypeSlashCommand:
		cmd, _ := evt.Data.(slack.SlashCommand)
		b.ack(evt.Request, nil)
		b.spawn(ctx, commandRequest(cmd))
	case socketmode.EventTypeInteractive:
		cb, _ := evt.Data.(slack.InteractionCallback)
		b.interactive(ctx, evt.Request, cb)
	case socketmode.EventTypeEventsAPI:
		ev, _ := evt.Data.(slackevents.EventsAPIEvent)
		b.ack(evt.Request, nil)
		b.event(ctx, evt.Request, ev)
	}
}

// ack answers an envelope; payload may be nil.
func (b *Bot) ack(req *socketmode.Request, payload any) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	var err error
	if payload == nil {
		err = b.sm.Ack(*req)
	} else {
		err = b.sm.Ack(*req, payload)
	}
	if err != nil {
		b.log.Error("ack failed", "envelope", req.EnvelopeID, "err", err)
	}
}

// ackBadMessage acks an envelope slack-go could not parse, so Slack does not
// redeliver it forever, reading its envelope_id from the raw frame.
func (b *Bot) ackBadMessage(evt socketmode.Event) {
	bad, _ := evt.Data.(*socketmode.ErrorBadMessage)
	if bad == nil {
		return
	}
	var env struct {
		EnvelopeID string `json:"envelope_id"`
		Type       string `json:"type"`
	}
	_ = json.Unmarshal(bad.Message, &env)
	b.log.Warn("envelope could not be parsed; acked and dropped", "type", env.Type, "envelope", env.EnvelopeID, "err", bad.Cause)
	if env.EnvelopeID != "" {
		b.ack(&socketmode.Request{EnvelopeID: env.EnvelopeID}, nil)
	}
}

func commandRequest(cmd slack.SlashCommand) Request {
	return Request{
		Kind:        KindCommand,
		UserID:      cmd.UserID,
		TeamID:      cmd.TeamID,
		ChannelID:   cmd.ChannelID,
		Command:     cmd.Command,
		Text:        strings.TrimSpace(cmd.Text),
		TriggerID:   cmd.TriggerID,
		ResponseURL: cmd.ResponseURL,
	}
}

func (b *Bot) interactive(ctx context.Context, env *socketmode.Request, cb slack.InteractionCallback) {
	base := Request{
		UserID:    cb.User.ID,
		TeamID:    cb.Team.ID,
		ChannelID: cb.Channel.ID,
		TriggerID: cb.TriggerID,
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		b.ack(env, nil)
		if cb.ResponseURL != "" {
			base.ResponseURL = cb.ResponseURL
		}
		base.MessageTS = cb.Container.MessageTs
		for _, a := range cb.ActionCallback.BlockActions {
			req := base
			req.Kind = KindAction
			req.ActionID, req.BlockID = a.ActionID, a.BlockID
			req.Value = a.Value
			if a.SelectedOption.Value != "" {
				req.Value = a.SelectedOption.Value
			}
			b.spawn(ctx, req)
		}
	case slack.InteractionTypeViewSubmission:
		req := base
		req.Kind = KindView
		req.ViewID = cb.View.ID
		req.CallbackID = cb.View.CallbackID
		req.PrivateMetadata = cb.View.PrivateMetadata
		req.Values = viewValues(cb.View.State)
		b.viewSubmission(ctx, env, req)
	default:
		b.ack(env, nil)
		b.log.Debug("interaction ignored", "type", cb.Type)
	}
}

// viewSubmission runs the handler before the ack, because only the ack
// can keep the modal open with errors; but the ack goes out by
// ViewDeadline whatever the handler (or a Redis behind it) is doing, so
// that Slack never shows the user a timeout. A handler still running then
// goes on under HandlerTimeout; its error, if any, reaches the user by DM.
func (b *Bot) viewSubmission(ctx context.Context, env *socketmode.Request, req Request) {
	h := b.router.handler(req)
	if h == nil {
		b.ack(env, nil)
		return
	}
	type result struct {
		reply Reply
		err   error
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		hctx, cancel := context.WithTimeout(ctx, b.cfg.HandlerTimeout)
		defer cancel()
		done := make(chan result, 1)
		go func() {
			reply, err := b.call(hctx, h, req)
			done <- result{reply, err}
		}()
		deadline := time.NewTimer(b.cfg.ViewDeadline)
		defer deadline.Stop()
		select {
		case r := <-done:
			switch {
			case r.err != nil:
				text, _ := b.userText(ctx, req, r.err)
				b.ack(env, map[string]any{"response_action": "errors", "errors": map[string]string{"_": text}})
			case len(r.reply.ViewErrors) > 0:
				b.ack(env, map[string]any{"response_action": "errors", "errors": r.reply.ViewErrors})
			default:
				b.ack(env, nil)
			}
			return
		case <-deadline.C:
			b.ack(env, nil) // close the form; the work goes on
			b.log.Warn("form handler still running at the ack deadline; acked", "callback", req.CallbackID, "user", req.UserID)
		}
		r := <-done
		var text string
		switch {
		case r.err != nil:
			text, _ = b.userText(ctx, req, r.err)
		case len(r.reply.ViewErrors) > 0:
			parts := make([]string, 0, len(r.reply.ViewErrors))
			for _, msg := range r.reply.ViewErrors {
				parts = append(parts, mrkdwnEscaper.Replace(msg))
			}
			sort.Strings(parts)
			text = "Your form could not be saved: " + strings.Join(parts, " ")
			if b.cfg.Say != nil {
				text = b.cfg.Say.FormNotSaved(ctx, req.UserID, parts)
			}
		default:
			return
		}
		if err := b.postFallback(hctx, req.UserID, Reply{Text: text}, errors.New("form closed before its answer")); err != nil {
			b.log.Error("form answer not delivered", "user", req.UserID, "err", err)
		}
	}()
}

func viewValues(state *slack.ViewState) map[string]map[string]string {
	out := map[string]map[string]string{}
	if state == nil {
		return out
	}
	for blockID, actions := range state.Values {
		m := map[string]string{}
		for actionID, v := range actions {
			switch {
			case v.SelectedUser != "":
				m[actionID] = v.SelectedUser
			case v.SelectedOption.Value != "":
				m[actionID] = v.SelectedOption.Value
			default:
				m[actionID] = v.Value
			}
		}
		out[blockID] = m
	}
	return out
}

func (b *Bot) event(ctx context.Context, env *socketmode.Request, ev slackevents.EventsAPIEvent) {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || ev.Type != slackevents.CallbackEvent {
		return
	}
	req := Request{Kind: KindEvent, EventType: ev.InnerEvent.Type, TeamID: ev.TeamID, eventID: cb.EventID, retry: env.RetryAttempt}
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		req.UserID, req.ChannelID, req.EventTab = inner.User, inner.Channel, inner.Tab
	case *slackevents.AppMentionEvent:
		req.UserID, req.ChannelID, req.Text = inner.User, inner.Channel, inner.Text
	case *slackevents.MessageEvent:
		req.UserID, req.ChannelID, req.Text = inner.User, inner.Channel, inner.Text
	case *slackevents.AppUninstalledEvent:
		b.stopFor(ev.InnerEvent.Type)
		return
	case *slackevents.TokensRevokedEvent:
		if len(inner.Tokens.Bot) > 0 {
			b.stopFor(ev.InnerEvent.Type)
		} else {
			b.log.Info("Slack revoked user tokens; the bot token is unaffected", "event", ev.InnerEvent.Type)
		}
		return
	}
	b.spawn(ctx, req)
}

// stopFor asks Run to stop because of event (app_uninstalled,
// tokens_revoked); a second such event changes nothing.
func (b *Bot) stopFor(event string) {
	select {
	case b.uninstalled <- event:
	default:
	}
}

// duplicate reports whether req is an event already handled (by this or
// another replica). It runs in the handler's goroutine, never in the loop
// that acks, so a slow Redis delays no ack.
func (b *Bot) duplicate(ctx context.Context, req Request) bool {
	if req.Kind != KindEvent {
		return false
	}
	first, err := b.firstDelivery(ctx, req.eventID)
	if err != nil {
		// Failing open risks a duplicate; failing closed would lose events.
		b.log.Warn("event dedupe unavailable; handling anyway", "event", req.eventID, "err", err)
		return false
	}
	if !first {
		b.log.Debug("duplicate event dropped", "event", req.eventID, "retry", req.retry)
	}
	return !first
}

const dedupeTTL = 24 * time.Hour

func (b *Bot) firstDelivery(ctx context.Context, id string) (bool, error) {
	if id == "" {
		return true, nil
	}
	if b.cfg.Dedupe != nil {
		return b.cfg.Dedupe.FirstDelivery(ctx, id, dedupeTTL)
	}
	b.seenMu.Lock()
	defer b.seenMu.Unlock()
	if _, ok := b.seen[id]; ok {
		return false, nil
	}
	b.seen[id] = time.Now()
	return true, nil
}

// spawn runs the handler for req in its own goroutine, bounded by
// MaxInFlight and HandlerTimeout, and shows the reply.
func (b *Bot) spawn(ctx context.Context, req Request) {
	h := b.router.handler(req)
	if h == nil {
		if req.Kind == KindCommand {
			h = b.unknownCommand
		} else {
			b.log.Debug("no route", "kind", req.Kind, "action", req.ActionID, "event", req.EventType)
			return
		}
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		select {
		case b.slots <- struct{}{}:
			defer func() { <-b.slots }()
		case <-ctx.Done():
			return
		}
		ctx, cancel := context.WithTimeout(ctx, b.cfg.HandlerTimeout)
		defer cancel()
		if b.duplicate(ctx, req) {
			return
		}
		start, outcome := time.Now(), "answered"
		defer func() { b.handled(req.Kind, start, outcome) }()
		reply, err := b.call(ctx, h, req)
		if err != nil {
			text, explained := b.userText(ctx, req, err)
			reply = Reply{Text: text}
			outcome = "failed"
			if explained {
				outcome = "explained"
			}
			if req.Kind == KindEvent {
				// Nobody asked: an event's failure is logged, not shown.
				return
			}
		}
		if reply.Empty() {
			outcome = "silent"
			return
		}
		if err := b.show(ctx, req, reply); err != nil {
			outcome = "undelivered"
			b.log.Error("reply not delivered", "kind", req.Kind, "user", req.UserID, "err", err)
		}
	}()
}

// call runs h, turning a panic into an error.
func (b *Bot) call(ctx context.Context, h HandlerFunc, req Request) (reply Reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("handler panicked", "kind", req.Kind, "command", req.Command, "action", req.ActionID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return h(ctx, req)
}

// userText is what the user sees for a handler error, and whether it
// explains the error (false: an apology, and the error is logged).
func (b *Bot) userText(ctx context.Context, req Request, err error) (string, bool) {
	if b.cfg.Say != nil {
		if msg, ok := b.cfg.Say.Explain(ctx, req.UserID, err); ok {
			return msg, true
		}
	} else if msg, ok := b.cfg.Explain(err); ok {
		return msg, true
	}
	b.log.Error("handler failed", "kind", req.Kind, "command", req.Command, "action", req.ActionID, "event", req.EventType, "user", req.UserID, "err", err)
	if b.cfg.Say != nil {
		return b.cfg.Say.Apology(ctx, req.UserID), false
	}
	return Apology, false
}

func (b *Bot) unknownCommand(ctx context.Context, req Request) (Reply, error) {
	if b.cfg.Say != nil {
		names := make([]string, 0, len(b.router.Commands()))
		for _, c := range b.router.Commands() {
			names = append(names, c.Name)
		}
		return Reply{Text: b.cfg.Say.UnknownCommand(ctx, req.UserID, req.Command, names)}, nil
	}
	return Reply{Text: fmt.Sprintf("I don't know the command `%s`. Here is what I can do:\n%s", mrkdwnEscaper.Replace(req.Command), b.router.Help())}, nil
}

// show delivers a reply: through the response_url where the request has
// one, else as an ephemeral message in the channel it came from. A
// response_url that fails (5xx, 429, no answer) is tried again; if it
// still fails, or is expired or used up (404), the reply goes to the user
// another way: ephemeral in the channel, else by DM. It returns an error
// only when every way failed.
func (b *Bot) show(ctx context.Context, req Request, r Reply) error {
	if req.ResponseURL != "" {
		err := b.postResponse(ctx, req.ResponseURL, r)
		if err == nil {
			return nil
		}
		b.log.Warn("reply through response_url failed; sending it another way", "kind", req.Kind, "user", req.UserID, "err", err)
		if r.InChannel && req.ChannelID != "" {
			// Meant for the whole channel: post it there.
			return b.postFallback(ctx, req.ChannelID, r, err)
		}
		if ferr := b.ephemeral(ctx, req, r); ferr == nil {
			return nil
		}
		return b.postFallback(ctx, req.UserID, r, err)
	}
	if req.ChannelID == "" || req.UserID == "" {
		return nil
	}
	return b.ephemeral(ctx, req, r)
}

// replyTries bounds the tries of one response_url post; replyBackoff is
// the first wait between them, doubling.
const (
	replyTries   = 3
	replyBackoff = 250 * time.Millisecond
)

// postResponse posts r to a response_url, retrying failures that may pass.
func (b *Bot) postResponse(ctx context.Context, responseURL string, r Reply) error {
	msg := &slack.WebhookMessage{Text: r.Text, ReplaceOriginal: r.ReplaceOriginal, ResponseType: slack.ResponseTypeEphemeral}
	if r.InChannel {
		msg.ResponseType = slack.ResponseTypeInChannel
	}
	if len(r.Blocks) > 0 {
		msg.Blocks = &slack.Blocks{BlockSet: r.Blocks}
	}
	var err error
	for try := 1; ; try++ {
		err = callWaiting(ctx, b.cfg.Clock, func() error {
			return slack.PostWebhookCustomHTTPContext(ctx, responseURL, b.cfg.HTTPClient, msg)
		})
		if err == nil || !retryableReply(err) || try == replyTries || ctx.Err() != nil {
			break
		}
		if b.cfg.Clock.Sleep(ctx, replyBackoff<<(try-1)) != nil {
			break
		}
	}
	if err != nil {
		// A response_url is a 30-minute credential: keep it out of logs.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s response_url: %w", ue.Op, ue.Err)
		}
		return fmt.Errorf("post to response_url: %w", err)
	}
	return nil
}

// ephemeral shows r to the user only, in the channel of req.
func (b *Bot) ephemeral(ctx context.Context, req Request, r Reply) error {
	if req.ChannelID == "" || req.UserID == "" {
		return errors.New("no channel to answer in")
	}
	opts := []slack.MsgOption{slack.MsgOptionText(r.Text, false)}
	if len(r.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(r.Blocks...))
	}
	err := callWaiting(ctx, b.cfg.Clock, func() error {
		_, err := b.api.PostEphemeralContext(ctx, req.ChannelID, req.UserID, opts...)
		return err
	})
	if err != nil {
		return fmt.Errorf("chat.postEphemeral: %w", err)
	}
	return nil
}

// postFallback posts r in channel (a user ID means the bot's DM), after
// the response_url failed with first.
func (b *Bot) postFallback(ctx context.Context, channel string, r Reply, first error) error {
	if channel == "" {
		return first
	}
	opts := []slack.MsgOption{slack.MsgOptionText(r.Text, false)}
	if len(r.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(r.Blocks...))
	}
	err := callWaiting(ctx, b.cfg.Clock, func() error {
		_, _, err := b.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w; then chat.postMessage: %w", first, err)
	}
	return nil
}
