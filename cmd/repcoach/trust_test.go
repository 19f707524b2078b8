package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Finding 7: a password inside SLACK_API_URL (a proxy) reached the log.
func TestAPIURLPasswordNotLogged(t *testing.T) {
	const password = "Pr0xyPassw0rd"
	h := startBotWith(t, botOptions{env: map[string]string{"SLACK_API_URL": "http://proxyuser:" + password + "@{hostport}/api/"}})
	if got := h.ask(t, "U0ANA0001", "/myperformance", "quarter"); !strings.Contains(got, "$40,000") {
		t.Fatalf("the bot does not answer through the proxy URL: %s", got)
	}
	h.stop()
	logs := h.logs.String()
	if strings.Contains(logs, password) {
		t.Errorf("the proxy password reached the log:\n%s", logs)
	}
	if !strings.Contains(logs, "proxyuser:xxxxx@") {
		t.Errorf("the log does not show the (redacted) Slack API URL:\n%s", logs)
	}

	// A bad URL is named in the error, without its password.
	t.Setenv("SLACK_API_URL", "ftp://proxyuser:"+password+"@example.com/api/")
	var out bytes.Buffer
	err := run(context.Background(), []string{"run"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "SLACK_API_URL") || strings.Contains(err.Error()+out.String(), password) {
		t.Errorf("run with a bad SLACK_API_URL = %v (logs %q): want an error naming SLACK_API_URL without the password", err, out.String())
	}
}
