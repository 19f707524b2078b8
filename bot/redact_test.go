package bot

import "testing"

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://slack.com/api/", "https://slack.com/api/"},
		{"http://user:s3cret@proxy:8080/api/", "http://user:xxxxx@proxy:8080/api/"},
		{"http://user@proxy/api/", "http://user@proxy/api/"},
		{"https://proxy/api/?token=xoxb-1&region=eu", "https://proxy/api/?region=eu&token=xxxxx"},
		{"wss://wss.slack.com/link/?ticket=abc&app_id=A1", "wss://wss.slack.com/link/?app_id=A1&ticket=xxxxx"},
		{"http://[::1:bad", "(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
