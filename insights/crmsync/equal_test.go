package crmsync

import (
	"reflect"
	"testing"
	"time"

	"github.com/repcoach/repcoach/insights"
)

// TestDealEqualSeesEveryField changes each field of a Deal in turn: a field
// added to insights.Deal that dealEqual does not compare fails here.
func TestDealEqualSeesEveryField(t *testing.T) {
	typ := reflect.TypeOf(insights.Deal{})
	for i := range typ.NumField() {
		var a, b insights.Deal
		f := reflect.ValueOf(&b).Elem().Field(i)
		switch v := f.Addr().Interface().(type) {
		case *string:
			*v = "x"
		case *insights.RepID:
			*v = "x"
		case *insights.Status:
			*v = "x"
		case *float64:
			*v = 1
		case *bool:
			*v = true
		case *time.Time:
			*v = time.Unix(1, 0)
		case *[]insights.StageChange:
			*v = []insights.StageChange{{Stage: "x"}}
		default:
			t.Errorf("Deal.%s (%s): teach dealEqual and this test about it", typ.Field(i).Name, f.Type())
			continue
		}
		if dealEqual(&a, &b) {
			t.Errorf("dealEqual misses a change of Deal.%s", typ.Field(i).Name)
		}
	}
	a := insights.Deal{History: []insights.StageChange{{Stage: "x", At: time.Unix(1, 0)}}}
	b := insights.Deal{History: []insights.StageChange{{Stage: "x", At: time.Unix(2, 0)}}}
	if dealEqual(&a, &b) {
		t.Error("dealEqual misses a change of a stage's time")
	}
}
