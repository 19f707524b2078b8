package redisstore

import (
	"errors"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
)

func TestLinkBookDecisionsAndUnlink(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()

	if book, err := s.LinkBook(ctx); err != nil || book.Generation != 0 || book.Links != nil {
		t.Fatalf("LinkBook before any = %+v, %v; want empty", book, err)
	}
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	want := insights.LinkBook{Links: map[string]insights.Link{"U1": {Rep: "r1", How: insights.LinkByName}}, Clashes: []insights.Clash{{Kind: insights.ClashCRMNamesake, People: []string{"Zed"}, Count: 2}}, Unmatched: []string{"Zed"}, Generation: 7, At: at}
	if err := s.SaveLinkBook(ctx, want); err != nil {
		t.Fatal(err)
	}
	if g, err := s.LinkBookGeneration(ctx); err != nil || g != 7 {
		t.Errorf("LinkBookGeneration = %d, %v; want 7", g, err)
	}
	got, err := s.LinkBook(ctx)
	if err != nil || got.Generation != 7 || got.Links["U1"] != want.Links["U1"] || len(got.Clashes) != 1 || !got.At.Equal(at) {
		t.Errorf("LinkBook = %+v, %v; want %+v", got, err, want)
	}

	// One person has one Slack user: deciding U2 is r1 drops U1's decision.
	for _, d := range []struct {
		id  string
		rep insights.RepID
	}{{"U1", "r1"}, {"U3", ""}, {"U2", "r1"}} {
		if err := s.SetLinkDecision(ctx, d.id, d.rep); err != nil {
			t.Fatal(err)
		}
	}
	dec, err := s.LinkDecisions(ctx)
	if err != nil || len(dec) != 2 || dec["U2"] != "r1" || dec["U3"] != "" {
		t.Errorf("LinkDecisions = %v, %v; want U2=r1, U3=nobody", dec, err)
	}
	if _, ok := dec["U3"]; !ok {
		t.Error("the decision for nobody was lost")
	}

	// Unlinking removes the user's link and the rep's reverse link to them,
	// not another user's.
	if err := s.LinkUsers(ctx, map[string]insights.RepID{"U1": "r1", "U9": "r9"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.UnlinkUsers(ctx, []string{"U1", "U-none"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserRep(ctx, "U1"); !errors.Is(err, insights.ErrUnknownRep) {
		t.Errorf("U1 still linked after UnlinkUsers: %v", err)
	}
	if _, err := s.RepUser(ctx, "r1"); !errors.Is(err, insights.ErrUnknownRep) {
		t.Errorf("r1 still points at a user after UnlinkUsers: %v", err)
	}
	if id, err := s.RepUser(ctx, "r9"); err != nil || id != "U9" {
		t.Errorf("r9 → %q, %v; want U9 kept", id, err)
	}

	if g, err := s.DataGeneration(ctx); err != nil || g != 0 {
		t.Errorf("DataGeneration before any import = %d, %v; want 0", g, err)
	}
	if err := s.SaveDataset(ctx, insights.Dataset{Reps: []insights.Rep{{ID: "r1", Name: "R One"}}}); err != nil {
		t.Fatal(err)
	}
	if g, err := s.DataGeneration(ctx); err != nil || g == 0 {
		t.Errorf("DataGeneration after an import = %d, %v; want > 0", g, err)
	}
}

// TestLinkSwapInOneBatch links two users to each other's reps in one call:
// the second link finds what the first changed, reads again and still
// leaves every link pointing both ways.
func TestLinkSwapInOneBatch(t *testing.T) {
	s := OpenTest(t)
	ctx := t.Context()
	if err := s.LinkUsers(ctx, map[string]insights.RepID{"U1": "r1", "U2": "r2", "U3": "r3"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkUsers(ctx, map[string]insights.RepID{"U1": "r2", "U2": "r3", "U3": "r1"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	for user, rep := range map[string]insights.RepID{"U1": "r2", "U2": "r3", "U3": "r1"} {
		if got, err := s.UserRep(ctx, user); err != nil || got != rep {
			t.Errorf("UserRep(%s) = %q, %v; want %s", user, got, err, rep)
		}
		if got, err := s.RepUser(ctx, rep); err != nil || got != user {
			t.Errorf("RepUser(%s) = %q, %v; want %s", rep, got, err, user)
		}
	}
	if err := s.UnlinkUsers(ctx, []string{"U1", "U9"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RepUser(ctx, "r2"); !errors.Is(err, insights.ErrUnknownRep) {
		t.Errorf("RepUser(r2) after U1 was unlinked: err = %v, want ErrUnknownRep", err)
	}
}
