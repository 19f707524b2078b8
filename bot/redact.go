package bot

import (
	"net/url"
	"strings"
)

// secretParams are query parameters whose values are credentials.
var secretParams = []string{"token", "password", "passwd", "pass", "secret", "key", "ticket", "signature", "sig"}

// RedactURL returns raw with its credentials hidden, for logs and error
// messages: a password in the user info becomes "xxxxx" (as
// url.URL.Redacted does) and the values of query parameters that carry
// credentials (token, password, secret, key, ticket, …) become "xxxxx". A
// string that does not parse as a URL is replaced whole, since it may be
// anything.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			for _, s := range secretParams {
				if strings.Contains(strings.ToLower(k), s) {
					q[k] = []string{"xxxxx"}
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
