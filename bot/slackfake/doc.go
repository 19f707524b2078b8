// Package slackfake is a fake Slack workspace for tests, the demo and benchmarks: a real HTTP and
// WebSocket server on 127.0.0.1 that speaks Socket Mode and the Web API methods RepCoach uses, so
// that an unmodified slack-go client (slack.OptionAPIURL(s.APIURL())) talks to it as it would to
// Slack. Faithful, per ../shared/SLACK.md: apps.connections.open with an xapp token (JSON or form
// body) returning a single-use ws:// URL; hello on connect in the shape of real captures;
// WebSocket pings every PingInterval; up to 10 sockets, each envelope given to exactly one (round
// robin); envelopes byte-compatible with the fixtures in ../shared/slack-fixtures; acks with or
// without payload, acks of 20,480 bytes or more dropped as Slack does; the 3 s ack deadline
// (commands and interactions then count as operation_timeout, events are redelivered with a new
// envelope_id, the same event_id, retry_attempt n and retry_reason "timeout", up to 3 times);
// disconnect messages with the real reasons; token checks (not_authed, invalid_auth,
// not_allowed_token_type); per-method rate limits by tier and chat.postMessage's 1 message per
// second per channel with a small burst, answered with HTTP 429, Retry-After and
// {"ok":false,"error":"ratelimited"}; response_url's 5 uses within 30 minutes; trigger_id's 3 s
// life; Slack's error codes for unknown users, channels, messages and user groups; the cheap Block
// Kit limits (more than 50 blocks in a message or 100 in a view, section text over 3000, header
// over 150, and so on) and msg_too_long past 40,000 characters. Simplified: one workspace and one
// app; channel membership and scopes are not modelled (the bot may post anywhere and read every
// email); chat.postMessage has no workspace-wide limit unless Config.Limits sets one;
// apps.connections.open and auth.test are not rate limited unless Config.Limits says so; the
// Events API's 30,000 deliveries an hour are not counted; only the Block Kit rules listed above
// are checked, not every element's schema; a spent or expired response_url answers HTTP 404 with a
// plain-text used_url or expired_url body (Slack's exact answer is undocumented); threads are kept
// flat, so conversations.history returns top-level messages only. Ack deadlines and pings run on
// the real clock; everything else that ages (message ts, rate-limit windows, trigger_id and
// response_url expiry) uses Config.Now, so tests can move time forward.
package slackfake
