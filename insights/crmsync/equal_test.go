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
	st := reflect.TypeOf(insights.StageChange{})
	for i := range st.NumField() {
		a := insights.Deal{History: []insights.StageChange{{}}}
		b := insights.Deal{History: []insights.StageChange{{}}}
		f := reflect.ValueOf(&b.History[0]).Elem().Field(i)
		switch v := f.Addr().Interface().(type) {
		case *string:
			*v = "x"
		case *float64:
			*v = 1
		case *bool:
			*v = true
		case *time.Time:
			*v = time.Unix(1, 0)
		default:
			t.Errorf("StageChange.%s (%s): teach dealEqual and this test about it", st.Field(i).Name, f.Type())
			continue
		}
		if dealEqual(&a, &b) {
			t.Errorf("dealEqual misses a change of StageChange.%s", st.Field(i).Name)
		}
	}
}
