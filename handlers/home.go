package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/repcoach/repcoach/handlers/i18n"
	"github.com/repcoach/repcoach/handlers/kit"
	"github.com/repcoach/repcoach/insights"
)

// HomePublisher shows a view on a user's App Home tab.
type HomePublisher interface {
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
}

// Home keeps each person's App Home tab as their dashboard.
type Home struct {
	Reports   RepReports
	Teams     TeamReports
	People    People
	Publisher HomePublisher
	Location  *time.Location
	// Locales picks each person's language; nil is English.
	Locales *Locales
}

// Opened publishes the dashboard of the user who opened the App Home tab.
func (h *Home) Opened(ctx context.Context, userID string) error {
	view, err := h.View(ctx, userID)
	if err != nil {
		return err
	}
	if err := kit.CheckHome(view); err != nil {
		return fmt.Errorf("home view breaks Slack's limits: %w", err)
	}
	if _, err := h.Publisher.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: userID, View: view}); err != nil {
		return fmt.Errorf("views.publish for %s: %w", userID, err)
	}
	return nil
}

// View builds the App Home view for userID in their language: a rep's
// quarter, a manager's team, or a friendly note for anyone else.
func (h *Home) View(ctx context.Context, userID string) (slack.HomeTabViewRequest, error) {
	var blocks []slack.Block
	p := h.Locales.Printer(ctx, userID)
	id, err := h.People.RepFor(ctx, userID)
	switch {
	case errors.Is(err, insights.ErrUnknownRep):
		blocks = []slack.Block{kit.Header("RepCoach"), kit.Section(p.T("home.norep"))}
	case errors.Is(err, insights.ErrNoData):
		return h.noData(p, err)
	case err != nil:
		return slack.HomeTabViewRequest{}, err
	case isManager(id):
		r, err := h.Teams.TeamReport(ctx, string(id), insights.PeriodQuarter)
		if err != nil {
			return h.noData(p, err)
		}
		blocks = TeamHome(p, r, h.Location)
	default:
		q, err := h.Reports.RepReport(ctx, id, insights.PeriodQuarter)
		if err != nil {
			return h.noData(p, err)
		}
		blocks = RepMessageIn(p, q, h.Location).Blocks
	}
	return homeView(blocks), nil
}

func homeView(blocks []slack.Block) slack.HomeTabViewRequest {
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}, CallbackID: "home"}
}

// noData shows a friendly note while no data is loaded; other errors pass.
func (h *Home) noData(p *i18n.Printer, err error) (slack.HomeTabViewRequest, error) {
	if msg, ok := ExplainIn(p, err); ok && errors.Is(err, insights.ErrNoData) {
		return homeView([]slack.Block{kit.Header("RepCoach"), kit.Section(msg)}), nil
	}
	return slack.HomeTabViewRequest{}, err
}
