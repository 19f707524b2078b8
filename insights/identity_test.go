package insights

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestLinkBookReadsClashes: a book's clashes round-trip as kinds and
// arguments, and a book stored when clashes were English sentences still
// reads (those clashes have no kind until the next refresh).
func TestLinkBookReadsClashes(t *testing.T) {
	want := Clash{Kind: ClashCopiedName, User: "U1", People: []string{"Ana"}, Users: []string{"U2", "U3"}, Held: LinkByName}
	b, err := json.Marshal(LinkBook{Clashes: []Clash{want}})
	if err != nil {
		t.Fatal(err)
	}
	var got LinkBook
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Clashes) != 1 || got.Clashes[0].Kind != want.Kind || got.Clashes[0].User != want.User || !slices.Equal(got.Clashes[0].Users, want.Users) || got.Clashes[0].Held != want.Held {
		t.Errorf("round trip = %+v, want %+v", got.Clashes, want)
	}
	old := `{"links":{},"clashes":["<@U0X> is claimed by Dan Roe and Dan Roe (email): linked to none of them"],"generation":3}`
	var ob LinkBook
	if err := json.Unmarshal([]byte(old), &ob); err != nil {
		t.Fatalf("old book: %v", err)
	}
	if len(ob.Clashes) != 1 || ob.Clashes[0].Kind != "" || ob.Generation != 3 {
		t.Errorf("old book = %+v, want one clash of no kind, generation 3", ob)
	}
}
