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
}

// RecognizeUsage is the argument summary of /recognize.
const RecognizeUsage = "@person [shout-out | top-closer | biggest-deal | quota-crusher | most-improved] why"

// RecognizeCallback is the callback ID of the recognition form.
const RecognizeCallback = "recognize"

// awardKind is a kind of recognition as people see it.
type awardKind struct{ id, label, emoji string }

var awardKinds = []awardKind{
	{"shout-out", "Shout-out", ":clap:"},
	{insights.AwardTopCloser, "Top closer", ":trophy:"},
	{insights.AwardBiggestDeal, "Biggest deal", ":gem:"},
	{insights.AwardQuotaCrusher, "Quota crusher", ":rocket:"},
	{insights.AwardMostImproved, "Most improved", ":chart_with_upwards_trend:"},
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

// ParseRecognize splits /recognize's text into the person (a Slack user
// ID), the award kind ("shout-out" when none is named) and the reason.
func ParseRecognize(text string) (user, kind, reason string, err error) {
	words := strings.Fields(text)
	if len(words) == 0 {
		return "", "", "", fmt.Errorf("%w: say who and why", ErrBadRecognition)
	}
	m := mention.FindStringSubmatch(words[0])
	if m == nil {
		return "", "", "", fmt.Errorf("%w: start with the person, as a mention (@name)", ErrBadRecognition)
	}
	user, kind, rest := m[1], "shout-out", words[1:]
	if len(rest) > 0 {
		if k, ok := kindOf(strings.ToLower(rest[0])); ok {
			kind, rest = k.id, rest[1:]
		}
	}
	reason = strings.Join(rest, " ")
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return "", "", "", fmt.Errorf("%w: say why, in a few words", ErrBadRecognition)
	case n > maxReason:
		return "", "", "", fmt.Errorf("%w: keep the reason under %d characters (it has %d)", ErrBadRecognition, maxReason, n)
	}
	return user, kind, reason, nil
}

// Command handles /recognize typed by userID in channelID. Bare, it opens
// the form (triggerID); otherwise it posts the award in the channel.
func (r *Recognize) Command(ctx context.Context, userID, channelID, triggerID, text string) (Message, error) {
	if err := RequireOps(ctx, r.Roles, userID); err != nil {
		return Message{}, err
	}
	if strings.TrimSpace(text) == "" {
		if _, err := r.Modals.OpenViewContext(ctx, triggerID, recognizeModal(channelID)); err != nil {
			return Message{}, fmt.Errorf("open the recognition form: %w", err)
		}
		return Message{}, nil
	}
	if strings.EqualFold(strings.TrimSpace(text), "help") {
		return Text("`/recognize " + RecognizeUsage + "`\nPosts an award in this channel and adds it to the person's weekly feedback. Type `/recognize` alone for a form. Sales ops only."), nil
	}
	to, kind, reason, err := ParseRecognize(text)
	if err != nil {
		return Text(fmt.Sprintf("%s\nUsage: `/recognize %s`", kit.Escape(err.Error()), RecognizeUsage)), nil
	}
	rec := insights.Recognition{To: to, From: userID, Kind: kind, Reason: reason, At: r.Now()}
	if err := r.Store.AddRecognition(ctx, rec); err != nil {
		return Message{}, err
	}
	m := RecognitionMessage(rec)
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
	to, kind := values["who"]["user"], values["kind"]["kind"]
	reason := strings.TrimSpace(values["why"]["reason"])
	problems := map[string]string{}
	if !IsUserID(to) {
		problems["who"] = "Choose the person to recognise."
	}
	if _, ok := kindOf(kind); !ok {
		problems["kind"] = "Choose a kind of award."
	}
	if n := utf8.RuneCountInString(reason); n == 0 || n > maxReason {
		problems["why"] = fmt.Sprintf("Say why in 1 to %d characters.", maxReason)
	}
	if len(problems) > 0 {
		return problems, nil
	}
	if viewID == "" {
		return nil, errors.New("recognition form submitted without a view ID")
	}
	rec := insights.Recognition{To: to, From: userID, Kind: kind, Reason: reason, At: r.Now()}
	posted, err := r.Poster.PostOnce(ctx, "recognize/"+viewID, channelID, RecognitionMessage(rec))
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

// RecognitionMessage is the public post of a recognition. The reason is
// the only free text and is escaped; the people are mentions built from
// user IDs checked to be IDs.
func RecognitionMessage(rec insights.Recognition) Message {
	k, _ := kindOf(rec.Kind)
	text := fmt.Sprintf("%s %s for <@%s>: %s", k.emoji, k.label, rec.To, kit.Escape(rec.Reason))
	blocks := []slack.Block{
		kit.Section(fmt.Sprintf("%s *%s* for <@%s>\n>%s", k.emoji, k.label, rec.To, kit.Escape(rec.Reason))),
		kit.Context(fmt.Sprintf("Recognised by <@%s> · %s", rec.From, rec.At.Format("2 Jan 2006"))),
	}
	return Message{Text: text, Blocks: blocks}
}

// recognizeModal is the form /recognize opens; channelID rides in the
// private metadata so the award is posted where the form was opened.
func recognizeModal(channelID string) slack.ModalViewRequest {
	opts := make([]*slack.OptionBlockObject, 0, len(awardKinds))
	for _, k := range awardKinds {
		opts = append(opts, slack.NewOptionBlockObject(k.id, kit.Plain(k.label), nil))
	}
	kinds := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, kit.Plain("Choose"), "kind", opts...)
	kinds.InitialOption = opts[0]
	reason := slack.NewPlainTextInputBlockElement(kit.Plain("What did they do?"), "reason")
	reason.Multiline = true
	reason.MaxLength = maxReason
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      RecognizeCallback,
		Title:           kit.Plain("Recognise someone"),
		Submit:          kit.Plain("Post"),
		Close:           kit.Plain("Cancel"),
		PrivateMetadata: channelID,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("who", kit.Plain("Who"), nil, slack.NewOptionsSelectBlockElement(slack.OptTypeUser, kit.Plain("Choose a person"), "user")),
			slack.NewInputBlock("kind", kit.Plain("Award"), nil, kinds),
			slack.NewInputBlock("why", kit.Plain("Why"), nil, reason),
		}},
	}
}

// kindLabel names a kind of recognition in p's language.
func kindLabel(p *i18n.Printer, k awardKind) string {
	if p.Lang() == i18n.English || k.id == "" {
		return k.label
	}
	return p.T("kind." + k.id)
}
