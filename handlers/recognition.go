package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

// RecognitionStore keeps the recognitions people received.
type RecognitionStore interface {
	AddRecognition(ctx context.Context, r insights.Recognition) error
	Recognitions(ctx context.Context, slackID string, since time.Time) ([]insights.Recognition, error)
}

// ModalOpener opens a modal in answer to a trigger.
type ModalOpener interface {
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
}

// OncePoster posts a message in a channel at most once per key, across
// clicks, resubmissions and replicas.
type OncePoster interface {
	// PostOnce posts m in channel unless the message with key was posted
	// (or is being posted) already; posted is false then. An error means
	// it was not posted, and a later call with the key may post it.
	PostOnce(ctx context.Context, key, channel string, m Message) (posted bool, err error)
}

// Recognize answers /recognize: sales ops give someone an award, posted in
// the channel for everyone to see and kept for the person's weekly
// feedback. Typed bare, it opens a form.
type Recognize struct {
	Store  RecognitionStore
	Roles  Roles
	Modals ModalOpener
	Poster OncePoster
	Now    func() time.Time
	// Locales picks the language of each answer and form (the asker's)
	// and of the award posted (the workspace default: a channel is read
	// by everyone); nil is English.
	Locales *Locales
}

// RecognizeUsage is the argument summary of /recognize.
const RecognizeUsage = "@person [shout-out | top-closer | biggest-deal | quota-crusher | most-improved] why"

// RecognizeCallback is the callback ID of the recognition form.
const RecognizeCallback = "recognize"

// awardKind is a kind of recognition; its name is the catalog's
// "kind."+id.
type awardKind struct{ id, emoji string }

var awardKinds = []awardKind{
	{"shout-out", ":clap:"},
	{insights.AwardTopCloser, ":trophy:"},
	{insights.AwardBiggestDeal, ":gem:"},
	{insights.AwardQuotaCrusher, ":rocket:"},
	{insights.AwardMostImproved, ":chart_with_upwards_trend:"},
}

// kindWords maps each award kind as typed (folded, words joined by "-"):
// its keyword, and its name in every catalog language ("top-closer",
// "en-çok-kapatan", "en-cok-kapatan"), to its ID.
var kindWords = func() map[string]string {
	m := map[string]string{"most-improved": insights.AwardMostImproved}
	for _, k := range awardKinds {
		m[k.id] = k.id
		for _, lang := range i18n.Languages() {
			m[fold(kindKeyword(i18n.New(lang, "USD"), k))] = k.id
		}
	}
	return m
}()

// kindKeyword is how a kind is typed in p's language: its name in lower
// case, words joined by "-" ("en-çok-kapatan"); the English keyword
// (the ID) in English.
func kindKeyword(p *i18n.Printer, k awardKind) string {
	if p.Lang() == i18n.English {
		return strings.TrimSuffix(k.id, "-win-rate")
	}
	return strings.ReplaceAll(cases.Lower(language.Turkish).String(kindLabel(p, k)), " ", "-")
}

func kindOf(id string) (awardKind, bool) {
	for _, k := range awardKinds {
		if k.id == id || (id == "most-improved" && k.id == insights.AwardMostImproved) {
			return k, true
		}
	}
	return awardKind{}, false
}

// maxReason bounds a recognition's reason, in characters.
const maxReason = 500

// mention matches a Slack user mention as Slack escapes it in command text:
// <@U123ABC> or <@U123ABC|name>.
var mention = regexp.MustCompile(`^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$`)

// userID matches a Slack user ID and nothing else: a form's user value must
// be exactly one before it goes into a mention.
var userID = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// IsUserID reports whether s is exactly a well-formed Slack user ID.
func IsUserID(s string) bool { return userID.MatchString(s) }

// ErrBadRecognition is wrapped by ParseRecognize's errors; their text says
// what to type instead.
var ErrBadRecognition = errors.New("bad recognition")

// badRecognition is a ParseRecognize error: the catalog key of what to
// type instead, and its arguments.
type badRecognition struct {
	key  string
	args []any
}

func (e badRecognition) Error() string {
	return ErrBadRecognition.Error() + ": " + english.T(e.key, e.args...)
}
func (e badRecognition) Unwrap() error { return ErrBadRecognition }

// ParseRecognize splits /recognize's text into the person (a Slack user
// ID), the award kind ("shout-out" when none is named) and the reason.
// Its errors wrap ErrBadRecognition.
func ParseRecognize(text string) (user, kind, reason string, err error) {
	words := strings.Fields(text)
	if len(words) == 0 {
		return "", "", "", badRecognition{key: "rec.bad.empty"}
	}
	m := mention.FindStringSubmatch(words[0])
	if m == nil {
		return "", "", "", badRecognition{key: "rec.bad.mention"}
	}
	user, kind, rest := m[1], "shout-out", words[1:]
	// A kind is its keyword or its name, in English or Turkish, of up to
	// three words ("en büyük anlaşma").
	for n := min(3, len(rest)); n > 0; n-- {
		if id, ok := kindWords[strings.ReplaceAll(fold(strings.Join(rest[:n], " ")), " ", "-")]; ok {
			kind, rest = id, rest[n:]
			break
		}
	}
	reason = strings.Join(rest, " ")
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return "", "", "", badRecognition{key: "rec.bad.noreason"}
	case n > maxReason:
		return "", "", "", badRecognition{key: "rec.bad.long", args: []any{maxReason, n}}
	}
	return user, kind, reason, nil
}

// recognizeUsageIn is RecognizeUsage in p's language.
func recognizeUsageIn(p *i18n.Printer) string {
	if p.Lang() == i18n.English {
		return RecognizeUsage
	}
	return p.T("rec.usage")
}

// Command handles /recognize typed by userID in channelID. Bare, it opens
// the form (triggerID) in the asker's language; otherwise it posts the
// award in the channel, in the workspace's language.
func (r *Recognize) Command(ctx context.Context, userID, channelID, triggerID, text string) (Message, error) {
	if err := RequireOps(ctx, r.Roles, userID); err != nil {
		return Message{}, err
	}
	p := r.Locales.Printer(ctx, userID)
	if strings.TrimSpace(text) == "" {
		if _, err := r.Modals.OpenViewContext(ctx, triggerID, recognizeModal(p, channelID)); err != nil {
			return Message{}, fmt.Errorf("open the recognition form: %w", err)
		}
		return Message{}, nil
	}
	if periodArg(text) == "help" {
		kinds := make([]string, 0, len(awardKinds))
		for _, k := range awardKinds {
			kw := kindKeyword(p, k)
			if fold(strings.ReplaceAll(kw, "-", " ")) == fold(kindLabel(p, k)) {
				kinds = append(kinds, "`"+kw+"`") // the keyword is the name
				continue
			}
			kinds = append(kinds, fmt.Sprintf("`%s` (%s)", kw, kindLabel(p, k)))
		}
		return Text(p.T("rec.help", recognizeUsageIn(p), strings.Join(kinds, ", "))), nil
	}
	to, kind, reason, err := ParseRecognize(text)
	var bad badRecognition
	if errors.As(err, &bad) {
		return Text(p.T("rec.bad", p.T(bad.key, bad.args...), recognizeUsageIn(p))), nil
	}
	if err != nil {
		return Message{}, err
	}
	rec := insights.Recognition{To: to, From: userID, Kind: kind, Reason: reason, At: r.Now()}
	if err := r.Store.AddRecognition(ctx, rec); err != nil {
		return Message{}, err
	}
	m := RecognitionMessageIn(r.Locales.DefaultPrinter(), rec)
	m.InChannel = true
	return m, nil
}

// Submit handles the recognition form viewID: it checks the answers
// (returning errors by block ID to show in the form), posts the award in
// the channel the form was opened from and records it. A form submitted
// again (Slack's deadline missed, a double click) is posted and recorded
// once: the view is the key.
func (r *Recognize) Submit(ctx context.Context, userID, viewID string, values map[string]map[string]string, channelID string) (map[string]string, error) {
	if err := RequireOps(ctx, r.Roles, userID); err != nil {
		return nil, err
	}
	p := r.Locales.Printer(ctx, userID)
	to, kind := values["who"]["user"], values["kind"]["kind"]
	reason := strings.TrimSpace(values["why"]["reason"])
	problems := map[string]string{}
	if !IsUserID(to) {
		problems["who"] = p.T("rec.form.err.who")
	}
	if _, ok := kindOf(kind); !ok {
		problems["kind"] = p.T("rec.form.err.kind")
	}
	if n := utf8.RuneCountInString(reason); n == 0 || n > maxReason {
		problems["why"] = p.T("rec.form.err.why", maxReason)
	}
	if len(problems) > 0 {
		return problems, nil
	}
	if viewID == "" {
		return nil, errors.New("recognition form submitted without a view ID")
	}
	rec := insights.Recognition{To: to, From: userID, Kind: kind, Reason: reason, At: r.Now()}
	posted, err := r.Poster.PostOnce(ctx, "recognize/"+viewID, channelID, RecognitionMessageIn(r.Locales.DefaultPrinter(), rec))
	if err != nil {
		return nil, fmt.Errorf("post recognition in %s: %w", channelID, err)
	}
	if !posted {
		return nil, nil // this form was handled already
	}
	if err := r.Store.AddRecognition(ctx, rec); err != nil {
		return nil, fmt.Errorf("recognition posted in %s but not kept for feedback: %w", channelID, err)
	}
	return nil, nil
}

// RecognitionMessage is the public post of a recognition, in English; see
// RecognitionMessageIn.
func RecognitionMessage(rec insights.Recognition) Message {
	return RecognitionMessageIn(english, rec)
}

// RecognitionMessageIn is the public post of a recognition in p's
// language. The reason is the only free text and is escaped; the people
// are mentions built from user IDs checked to be IDs.
func RecognitionMessageIn(p *i18n.Printer, rec insights.Recognition) Message {
	k, _ := kindOf(rec.Kind)
	label, reason := kindLabel(p, k), kit.Escape(rec.Reason)
	return Message{
		Text: p.T("rec.post.text", k.emoji, label, rec.To, reason),
		Blocks: []slack.Block{
			kit.Section(p.T("rec.post", k.emoji, label, rec.To, reason)),
			kit.Context(p.T("rec.post.by", rec.From, p.Date(rec.At))),
		},
	}
}

// recognizeModal is the form /recognize opens, in p's language; channelID
// rides in the private metadata so the award is posted where the form was
// opened.
func recognizeModal(p *i18n.Printer, channelID string) slack.ModalViewRequest {
	opts := make([]*slack.OptionBlockObject, 0, len(awardKinds))
	for _, k := range awardKinds {
		opts = append(opts, slack.NewOptionBlockObject(k.id, kit.Plain(kindLabel(p, k)), nil))
	}
	kinds := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, kit.Plain(p.T("rec.form.choose")), "kind", opts...)
	kinds.InitialOption = opts[0]
	reason := slack.NewPlainTextInputBlockElement(kit.Plain(p.T("rec.form.what")), "reason")
	reason.Multiline = true
	reason.MaxLength = maxReason
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      RecognizeCallback,
		Title:           kit.Plain(kit.Truncate(p.T("rec.form.title"), kit.MaxModalTitle)),
		Submit:          kit.Plain(p.T("rec.form.submit")),
		Close:           kit.Plain(p.T("rec.form.close")),
		PrivateMetadata: channelID,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("who", kit.Plain(p.T("rec.form.who")), nil, slack.NewOptionsSelectBlockElement(slack.OptTypeUser, kit.Plain(p.T("rec.form.person")), "user")),
			slack.NewInputBlock("kind", kit.Plain(p.T("rec.form.award")), nil, kinds),
			slack.NewInputBlock("why", kit.Plain(p.T("rec.form.why")), nil, reason),
		}},
	}
}

// kindLabel names a kind of recognition in p's language.
func kindLabel(p *i18n.Printer, k awardKind) string {
	if k.id == "" {
		return ""
	}
	return p.T("kind." + k.id)
}

// kindLabelOf names the kind of recognition with ID id in p's language.
func kindLabelOf(p *i18n.Printer, id string) string {
	k, _ := kindOf(id)
	return kindLabel(p, k)
}
