package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
)

// LanguageStore keeps the language each person chose with /repcoach
// language.
type LanguageStore interface {
	Language(ctx context.Context, slackID string) (code string, ok bool, err error)
	SetLanguage(ctx context.Context, slackID, code string) error
}

// SlackLocales tells a user's Slack language ("tr-TR").
type SlackLocales interface {
	Locale(ctx context.Context, slackID string) (string, error)
}

// Locales picks the language to write to each person in: the one they
// chose (/repcoach language), else their Slack language when RepCoach
// speaks it, else Default. Money is shown in Currency. Answers are kept in
// memory for a minute (a choice) or a day (a Slack locale), so a command
// costs no extra round trip most of the time; a choice made on another
// replica shows within the minute.
type Locales struct {
	Store    LanguageStore
	Slack    SlackLocales // nil: Slack locales are not asked
	Default  language.Tag
	Currency string // ISO 4217
	Now      func() time.Time
	Log      *slog.Logger

	mu    sync.Mutex
	cache map[string]localeEntry
}

type localeEntry struct {
	chosen, slack string
	chosenAt      time.Time
	slackAt       time.Time
	haveSlack     bool
}

// How long Locales trusts what it read.
const (
	chosenTTL = time.Minute
	slackTTL  = 24 * time.Hour
)

// Source says where a person's language came from.
type Source int

// The places a language comes from, strongest first.
const (
	FromChoice Source = iota
	FromSlack
	FromDefault
)

// Printer returns a Printer in the language for slackID. Failures to read
// a choice or a Slack locale are logged and fall through to the default:
// a message in the wrong language beats no message.
func (l *Locales) Printer(ctx context.Context, slackID string) *i18n.Printer {
	if l == nil {
		return english
	}
	tag, _ := l.Language(ctx, slackID)
	return i18n.New(tag, l.Currency)
}

// DefaultPrinter returns a Printer in the workspace's default language.
func (l *Locales) DefaultPrinter() *i18n.Printer {
	if l == nil {
		return i18n.New(i18n.English, "USD")
	}
	return i18n.New(l.def(), l.Currency)
}

func (l *Locales) def() language.Tag {
	if l.Default == (language.Tag{}) {
		return i18n.English
	}
	return l.Default
}

// Language returns the language for slackID and where it came from.
func (l *Locales) Language(ctx context.Context, slackID string) (language.Tag, Source) {
	if l == nil {
		return i18n.English, FromDefault
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	t := now()
	l.mu.Lock()
	e, ok := l.cache[slackID]
	l.mu.Unlock()
	if !ok || t.Sub(e.chosenAt) > chosenTTL {
		e.chosen, e.chosenAt = "", t
		if l.Store != nil {
			code, ok, err := l.Store.Language(ctx, slackID)
			switch {
			case err != nil:
				l.logf("read language choice", slackID, err)
				e.chosenAt = time.Time{}
			case ok:
				e.chosen = code
			}
		}
	}
	if e.chosen == "" && l.Slack != nil && (!e.haveSlack || t.Sub(e.slackAt) > slackTTL) {
		loc, err := l.Slack.Locale(ctx, slackID)
		switch {
		case err != nil:
			l.logf("read Slack locale", slackID, err)
		case loc == "":
			// Unknown for now (Slack gave none, or was busy): ask again
			// after a minute rather than a day.
			e.slack, e.slackAt, e.haveSlack = "", t.Add(chosenTTL-slackTTL), true
		default:
			e.slack, e.slackAt, e.haveSlack = loc, t, true
		}
	}
	l.mu.Lock()
	if l.cache == nil {
		l.cache = map[string]localeEntry{}
	}
	l.cache[slackID] = e
	l.mu.Unlock()
	if tag, ok := i18n.Parse(e.chosen); ok {
		return tag, FromChoice
	}
	if tag, ok := i18n.Parse(e.slack); ok {
		return tag, FromSlack
	}
	return l.def(), FromDefault
}

// Choose records slackID's language choice.
func (l *Locales) Choose(ctx context.Context, slackID string, tag language.Tag) error {
	if err := l.Store.SetLanguage(ctx, slackID, i18n.Code(tag)); err != nil {
		return err
	}
	l.mu.Lock()
	if l.cache == nil {
		l.cache = map[string]localeEntry{}
	}
	e := l.cache[slackID]
	e.chosen, e.chosenAt = i18n.Code(tag), time.Now()
	if l.Now != nil {
		e.chosenAt = l.Now()
	}
	l.cache[slackID] = e
	l.mu.Unlock()
	return nil
}

func (l *Locales) logf(what, slackID string, err error) {
	if l.Log != nil {
		l.Log.Warn(what, "user", slackID, "err", err)
	}
}

// languageCommand answers /repcoach language [tr|en].
func (l *Locales) languageCommand(ctx context.Context, userID string, args []string) (Message, error) {
	if len(args) == 0 {
		tag, src := l.Language(ctx, userID)
		p := i18n.New(tag, l.Currency)
		return Text(p.T("language.current", p.T([]string{"language.source.chosen", "language.source.slack", "language.source.default"}[src]))), nil
	}
	tag, ok := i18n.Parse(args[0])
	if !ok || len(args) > 1 {
		cur, _ := l.Language(ctx, userID)
		return Text(i18n.New(cur, l.Currency).T("language.unknown")), nil
	}
	if err := l.Choose(ctx, userID, tag); err != nil {
		return Message{}, err
	}
	return Text(i18n.New(tag, l.Currency).T("language.set")), nil
}

// Explain is ExplainIn in userID's language: the friendly text for a
// domain error, or false for an internal one.
func (l *Locales) Explain(ctx context.Context, userID string, err error) (string, bool) {
	return ExplainIn(l.Printer(ctx, userID), err)
}

// Apology is what userID sees, in their language, when a handler fails for
// an internal reason.
func (l *Locales) Apology(ctx context.Context, userID string) string {
	return l.Printer(ctx, userID).T("bot.apology")
}

// FormNotSaved tells userID, in their language, that a form they sent
// was not saved, with its field errors (already mrkdwn text).
func (l *Locales) FormNotSaved(ctx context.Context, userID string, errs []string) string {
	return l.Printer(ctx, userID).T("bot.formnotsaved", strings.Join(errs, " "))
}

// UnknownCommand answers, in userID's language, a slash command RepCoach
// does not have, listing commands (the bot's command table, in order)
// with their arguments and what each does.
func (l *Locales) UnknownCommand(ctx context.Context, userID, command string, commands []string) string {
	p := l.Printer(ctx, userID)
	var b strings.Builder
	for _, name := range commands {
		fmt.Fprintf(&b, "• `%s", name)
		if u := commandUsage(p, name); u != "" {
			b.WriteString(" " + u)
		}
		b.WriteString("`")
		if key := "cmd." + name; i18n.Has(p.Lang(), key) {
			b.WriteString(" — " + p.T(key))
		}
		b.WriteString("\n")
	}
	return p.T("bot.unknown", kit.Escape(kit.Truncate(command, 60)), b.String())
}

// commandUsage is the argument summary of one of RepCoach's slash
// commands in p's language, or "" for one it does not know.
func commandUsage(p *i18n.Printer, name string) string {
	switch name {
	case "/myperformance":
		return usageIn(p)
	case "/teamperformance":
		return teamUsageIn(p)
	case "/recognize":
		return recognizeUsageIn(p)
	case "/repcoach":
		return adminUsageIn(p)
	}
	return ""
}

// CommandSummary says what one of RepCoach's slash commands does, in
// English, for the command table (the app manifest and help).
func CommandSummary(name string) string { return english.T("cmd." + name) }
