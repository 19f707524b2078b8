package redisstore

import (
	"regexp"
	"testing"
)

// redisCall matches a redis.call or redis.pcall and its first key argument.
var redisCall = regexp.MustCompile(`redis\.p?call\(\s*'(\w+)'\s*(?:,\s*([^,)]+))?`)

// TestScriptsDeclareEveryKey checks that every key a script touches is one
// of its KEYS: a key built inside the script is unknown to Redis Cluster,
// which then cannot route the script or redirect it while the key's slot
// migrates (the script reads nothing there and answers wrongly).
func TestScriptsDeclareEveryKey(t *testing.T) {
	keyArg := regexp.MustCompile(`^KEYS\[\d+\]$`)
	checked := 0
	for name, src := range scriptSources {
		checked++
		calls := redisCall.FindAllStringSubmatch(src, -1)
		if len(calls) == 0 {
			t.Errorf("%s calls no Redis command", name)
		}
		for _, c := range calls {
			if !keyArg.MatchString(c[2]) {
				t.Errorf("%s: redis.call('%s', %s ...): the key is not one of KEYS", name, c[1], c[2])
			}
		}
	}
	if checked < 12 {
		t.Errorf("checked %d scripts, want every script of the package (at least 12)", checked)
	}
}
