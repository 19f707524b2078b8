package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

// Action IDs of the buttons in the /repcoach links view.
const (
	ActionLinkConfirm = "links:confirm"
	ActionLinkRemove  = "links:remove"
)

// Links lets sales ops see and settle who is linked to whom from Slack:
// `/repcoach links` lists the clashes, the people left unmatched and the
// links made by name (with Keep / Remove buttons); `/repcoach link @user
// NAME` links a user to a CRM person (moving the link if needed) and
// `/repcoach unlink @user` links them to nobody. Decisions are kept and
// rank second, after the mapping file (see Match).
type Links struct {
	Roles     Roles
	Book      LinkBooks
	Decisions LinkDecisions
	// Reps lists the CRM reps, to find the person a typed name means.
	Reps func(ctx context.Context) ([]insights.Rep, error)
	// Refresh matches people again, so that a decision takes effect at once.
	Refresh func(ctx context.Context) error
	// Locales picks each reader's language; nil is English.
	Locales *Locales
}

// maxListed bounds each list in the links view.
const maxListed = 15

// Show builds the links view for sales ops, in the reader's language.
func (l *Links) Show(ctx context.Context, userID string) (Message, error) {
	if err := RequireOps(ctx, l.Roles, userID); err != nil {
		return Message{}, err
	}
	p := l.Locales.Printer(ctx, userID)
	book, err := l.Book.LinkBook(ctx)
	if err != nil {
		return Message{}, err
	}
	if book.Generation == 0 && len(book.Links) == 0 {
		return Message{}, insights.ErrNoData
	}
	byHow := map[string]int{}
	var byName []string
	for uid, link := range book.Links {
		byHow[link.How]++
		if link.How == insights.LinkByName {
			byName = append(byName, uid)
		}
	}
	sort.Strings(byName)
	blocks := []slack.Block{
		kit.Header(p.T("links.header")),
		kit.Context(p.T("links.context", p.T("links.n", len(book.Links)), byHow[insights.LinkByMapping], byHow[insights.LinkByOps], byHow[insights.LinkByEmail], byHow[insights.LinkByName], asOfIn(p, book.At, nil))),
	}
	if len(book.Clashes) > 0 {
		lines := make([]string, len(book.Clashes))
		for i, c := range book.Clashes {
			lines[i] = ClashText(p, c)
		}
		blocks = append(blocks, kit.Section(p.T("links.clashes", bullets(p, lines, maxListed))))
	} else {
		blocks = append(blocks, kit.Section(p.T("links.noclash")))
	}
	if len(book.Unmatched) > 0 {
		blocks = append(blocks, kit.Section(p.T("links.unmatched", len(book.Unmatched), bullets(p, escapeAll(book.Unmatched), maxListed))))
	}
	if len(byName) > 0 {
		blocks = append(blocks, kit.Section(p.T("links.byname", len(byName))))
		for _, uid := range byName[:min(len(byName), maxListed)] {
			sec := kit.Section(p.T("links.is", uid, kit.Escape(personName(p, book.Links[uid].Rep))))
			sec.Accessory = slack.NewAccessory(slack.NewOverflowBlockElement("links:menu",
				slack.NewOptionBlockObject(ActionLinkConfirm+"|"+uid, kit.Plain(p.T("links.keep")), nil),
				slack.NewOptionBlockObject(ActionLinkRemove+"|"+uid, kit.Plain(p.T("links.remove")), nil)))
			blocks = append(blocks, sec)
		}
	}
	blocks = append(blocks, kit.Context(p.T("links.footer")))
	return Message{Text: p.T("links.text", p.T("n.links", len(book.Links)), p.T("n.clashes", len(book.Clashes))), Blocks: blocks}, nil
}

// Command handles `/repcoach link @user NAME` and `/repcoach unlink @user`
// (args are the words after link or unlink).
func (l *Links) Command(ctx context.Context, userID string, unlink bool, args []string) (Message, error) {
	if err := RequireOps(ctx, l.Roles, userID); err != nil {
		return Message{}, err
	}
	p := l.Locales.Printer(ctx, userID)
	usage := Text(p.T("links.usage"))
	if len(args) == 0 {
		return usage, nil
	}
	m := mention.FindStringSubmatch(args[0])
	if m == nil {
		return usage, nil
	}
	who := m[1]
	if unlink {
		if len(args) != 1 {
			return usage, nil
		}
		return l.decide(ctx, who, "", p.T("links.unlinked", who))
	}
	name := strings.Join(args[1:], " ")
	if name == "" {
		return usage, nil
	}
	rep, label, err := l.find(ctx, name)
	if err != nil {
		return Message{}, err
	}
	return l.decide(ctx, who, rep, p.T("links.linked", who, kit.Escape(label)))
}

// Act handles the Keep / Remove choices of the links view; value is
// "links:confirm|U…" or "links:remove|U…".
func (l *Links) Act(ctx context.Context, userID, value string) (Message, error) {
	if err := RequireOps(ctx, l.Roles, userID); err != nil {
		return Message{}, err
	}
	p := l.Locales.Printer(ctx, userID)
	action, who, _ := strings.Cut(value, "|")
	if !IsUserID(who) {
		return Message{}, fmt.Errorf("links button: bad user %q", who)
	}
	switch action {
	case ActionLinkRemove:
		return l.decide(ctx, who, "", p.T("links.removed", who))
	case ActionLinkConfirm:
		book, err := l.Book.LinkBook(ctx)
		if err != nil {
			return Message{}, err
		}
		link, ok := book.Links[who]
		if !ok {
			return Text(p.T("links.gone", who)), nil
		}
		return l.decide(ctx, who, link.Rep, p.T("links.kept", who, kit.Escape(personName(p, link.Rep))))
	}
	return Message{}, fmt.Errorf("links button: unknown action %q", action)
}

func (l *Links) decide(ctx context.Context, who string, rep insights.RepID, done string) (Message, error) {
	if err := l.Decisions.SetLinkDecision(ctx, who, rep); err != nil {
		return Message{}, err
	}
	if err := l.Refresh(ctx); err != nil && !errors.Is(err, insights.ErrNoData) {
		return Message{}, fmt.Errorf("match people again: %w", err)
	}
	return Text(done), nil
}

// find resolves a typed CRM rep name or ID, or a manager's name, to the
// identity a link holds, ignoring case.
func (l *Links) find(ctx context.Context, name string) (insights.RepID, string, error) {
	reps, err := l.Reps(ctx)
	if err != nil {
		return "", "", err
	}
	want := normName(name)
	for _, r := range reps {
		if normName(string(r.ID)) == want || normName(r.Name) == want {
			return r.ID, r.Name, nil
		}
	}
	for _, r := range reps {
		if r.Manager != "" && normName(r.Manager) == want {
			return insights.RepID(insights.ManagerTeam(r.Manager)), r.Manager, nil
		}
	}
	return "", "", fmt.Errorf("%w: no rep or manager called %q in the CRM data", ErrNotInCRM, kit.Truncate(name, 60))
}

// ErrNotInCRM means a typed name matches nobody in the CRM data.
var ErrNotInCRM = errors.New("not in the CRM data")

// personName is how a link's identity reads in p's language: the
// manager's name for a team key, the rep ID (a name in most CRMs)
// otherwise.
func personName(p *i18n.Printer, rep insights.RepID) string {
	if insights.IsManagerTeam(string(rep)) {
		_, name, _ := strings.Cut(string(rep), ":")
		return p.T("links.manager", name)
	}
	return string(rep)
}

func bullets(p *i18n.Printer, lines []string, n int) string {
	var b strings.Builder
	for _, s := range lines[:min(n, len(lines))] {
		b.WriteString("• " + s + "\n")
	}
	if len(lines) > n {
		b.WriteString(p.T("links.more", len(lines)-n))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func escapeAll(ss []string) []string {
	out := slices.Clone(ss)
	for i := range out {
		out[i] = kit.Escape(out[i])
	}
	return out
}
