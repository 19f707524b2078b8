package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// TokenCheck is what CheckTokens learned: who the bot is and the scopes its
// token was granted.
type TokenCheck struct {
	Team, BotUser string
	Scopes        []string
	// Extra are granted scopes the manifest no longer asks for (least
	// privilege: reinstall to drop them).
	Extra []string
	// Unverified is set when Slack sent no X-OAuth-Scopes header (a proxy
	// or an emulator that drops it), so the scopes could not be compared.
	Unverified bool
}

// CheckTokens checks both tokens against Slack before the bot starts: the
// bot token with auth.test, whose X-OAuth-Scopes header must hold every
// scope in want, and the app-level token with apps.connections.open. Its
// error is one line that names the variable to fix (SLACK_BOT_TOKEN,
// SLACK_APP_TOKEN or SLACK_API_URL) and never holds a token.
func CheckTokens(ctx context.Context, hc *http.Client, apiURL, botToken, appToken string, want []string) (TokenCheck, error) {
	var tc TokenCheck
	body, hdr, err := post(ctx, hc, apiURL, "auth.test", botToken)
	if err != nil {
		return tc, err
	}
	var auth struct {
		OK     bool   `json:"ok"`
		Error  string `json:"error"`
		Team   string `json:"team"`
		UserID string `json:"user_id"`
	}
	if err := json.Unmarshal(body, &auth); err != nil {
		return tc, fmt.Errorf("SLACK_API_URL %s: auth.test answered something that is not Slack's JSON", RedactURL(apiURL))
	}
	if !auth.OK {
		return tc, refused("SLACK_BOT_TOKEN", auth.Error)
	}
	tc.Team, tc.BotUser = auth.Team, auth.UserID
	if h := hdr.Get("X-OAuth-Scopes"); h != "" {
		for s := range strings.SplitSeq(h, ",") {
			if s = strings.TrimSpace(s); s != "" {
				tc.Scopes = append(tc.Scopes, s)
			}
		}
		var missing []string
		for _, s := range want {
			if !slices.Contains(tc.Scopes, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			return tc, fmt.Errorf("SLACK_BOT_TOKEN lacks the scopes %s: update the app from `repcoach manifest` (Features → App Manifest), reinstall it to the workspace and use the new bot token", strings.Join(missing, ", "))
		}
		for _, s := range tc.Scopes {
			if !slices.Contains(want, s) {
				tc.Extra = append(tc.Extra, s)
			}
		}
	} else {
		tc.Unverified = true
	}

	body, _, err = post(ctx, hc, apiURL, "apps.connections.open", appToken)
	if err != nil {
		return tc, err
	}
	var open struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &open); err != nil {
		return tc, fmt.Errorf("SLACK_API_URL %s: apps.connections.open answered something that is not Slack's JSON", RedactURL(apiURL))
	}
	if !open.OK {
		return tc, refused("SLACK_APP_TOKEN", open.Error)
	}
	return tc, nil
}

// refused explains Slack refusing the token in variable.
func refused(variable, code string) error {
	fix := map[string]string{
		"SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-…) from your app's Install App page",
		"SLACK_APP_TOKEN": "create an app-level token with connections:write under Basic Information → App-Level Tokens",
	}[variable]
	switch code {
	case "token_revoked", "token_expired":
		return fmt.Errorf("%s was revoked (%s): the app was uninstalled or the token revoked; reinstall the app and %s", variable, code, fix)
	case "account_inactive":
		return fmt.Errorf("%s belongs to a deactivated app or workspace (%s): reinstall the app and %s", variable, code, fix)
	case "not_allowed_token_type":
		return fmt.Errorf("%s is the wrong kind of token (%s): %s", variable, code, fix)
	}
	return fmt.Errorf("%s was refused by Slack (%s): %s", variable, code, fix)
}

// ErrTokenRefused wraps Socket Mode's refusal of the app-level token.
var ErrTokenRefused = errors.New("token refused")

// appTokenError turns slack-go's Socket Mode error into one naming
// SLACK_APP_TOKEN when Slack refused the token.
func appTokenError(err error) error {
	for _, code := range []string{"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"} {
		if strings.Contains(err.Error(), code) {
			return fmt.Errorf("%w: %w", ErrTokenRefused, refused("SLACK_APP_TOKEN", code))
		}
	}
	return fmt.Errorf("socket mode: %w", err)
}

// post calls a Web API method with token as a Bearer header and returns the
// body and headers. A transport failure names SLACK_API_URL, redacted.
func post(ctx context.Context, hc *http.Client, apiURL, method, token string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+method, strings.NewReader(""))
	if err != nil {
		return nil, nil, fmt.Errorf("SLACK_API_URL %s: %v", RedactURL(apiURL), err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("SLACK_API_URL %s: cannot reach Slack: %v", RedactURL(apiURL), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("SLACK_API_URL %s: %s: %v", RedactURL(apiURL), method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("SLACK_API_URL %s: %s answered HTTP %d", RedactURL(apiURL), method, resp.StatusCode)
	}
	return body, resp.Header, nil
}
