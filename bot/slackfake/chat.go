package slackfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
)

// resolveChannelLocked maps a chat.postMessage channel argument to a conversation ID: a user ID
// is the bot's DM with that user; a DM must belong to a known user; public (C…) and private (G…)
// channels are taken as they are. The caller holds s.mu.
func (s *Server) resolveChannelLocked(ch string) (string, *apiError) {
	switch {
	case ch == "":
		return "", fail("channel_not_found")
	case strings.HasPrefix(ch, "U") || strings.HasPrefix(ch, "W"):
		u, ok := s.dir.user(ch)
		if !ok {
			return "", fail("channel_not_found")
		}
		if u.Deleted {
			return "", fail("user_disabled")
		}
		return DMChannel(ch), nil
	case strings.HasPrefix(ch, "D"):
		if _, ok := s.dmUserLocked(ch); !ok {
			return "", fail("channel_not_found")
		}
		return ch, nil
	case strings.HasPrefix(ch, "C") || strings.HasPrefix(ch, "G"):
		return ch, nil
	}
	return "", fail("channel_not_found")
}

// content is a message body as the chat methods and response URLs take it.
type content struct {
	Text     string
	Blocks   json.RawMessage
	Metadata json.RawMessage
}

func contentOf(req *apiRequest) content {
	return content{Text: req.str("text"), Blocks: compact(req.raw("blocks")), Metadata: compact(req.raw("metadata"))}
}

// check applies Slack's message rules: some text, blocks or attachments; text within 40,000
// characters; at most 50 valid blocks.
func (c content) check(hasAttachments bool) *apiError {
	if c.Text == "" && (len(c.Blocks) == 0 || string(c.Blocks) == "[]") && !hasAttachments {
		return fail("no_text")
	}
	if e := checkText(c.Text); e != nil {
		return e
	}
	if code, msgs := checkBlocks(c.Blocks, maxMessageBlocks, "/blocks"); code != "" {
		return fail(code, msgs...)
	}
	return nil
}

// compact returns raw without insignificant space, or raw itself if it is not JSON.
func compact(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

// messageJSON is a stored bot message as conversations.history and chat.postMessage show it.
func messageJSON(m *stored, withMetadata bool) obj {
	o := obj{"type": "message", "user": BotUserID, "bot_id": BotID, "app_id": AppID, "team": TeamID, "text": m.Text, "ts": m.TS}
	if len(m.Blocks) > 0 {
		o["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		o["thread_ts"] = m.ThreadTS
	}
	if withMetadata && len(m.Metadata) > 0 {
		o["metadata"] = m.Metadata
	}
	return o
}

func (s *Server) chatPostMessage(req *apiRequest) (obj, *apiError) {
	channel, e := s.resolveChannelLocked(req.str("channel"))
	if e != nil {
		return nil, e
	}
	if !strings.HasPrefix(channel, "D") {
		if e := s.canPostLocked(channel); e != nil {
			return nil, e
		}
	}
	c := contentOf(req)
	if e := c.check(req.str("attachments") != ""); e != nil {
		return nil, e
	}
	if s.limits.override["chat.postMessage"] >= 0 { // negative: unlimited, for benchmarks
		if ok, retry := s.limits.allowPost(channel, s.cfg.Now()); !ok {
			return nil, &apiError{code: "ratelimited", retry: retry}
		}
	}
	m := &stored{Text: c.Text, Blocks: c.Blocks, Metadata: c.Metadata, ThreadTS: req.str("thread_ts")}
	s.storeLocked(channel, m)
	s.recordLocked(Message{Method: "chat.postMessage", Channel: channel, Text: m.Text, TS: m.TS,
		ThreadTS: m.ThreadTS, Blocks: m.Blocks, Metadata: m.Metadata})
	return obj{"channel": channel, "ts": m.TS, "message": messageJSON(m, true)}, nil
}

func (s *Server) chatPostEphemeral(req *apiRequest) (obj, *apiError) {
	userID := req.str("user")
	u, ok := s.dir.user(userID)
	if !ok {
		return nil, fail("user_not_found")
	}
	channel, e := s.resolveChannelLocked(req.str("channel"))
	if e != nil {
		return nil, e
	}
	if owner, isDM := s.dmUserLocked(channel); isDM && owner.ID != u.ID {
		return nil, fail("user_not_in_channel")
	}
	c := contentOf(req)
	if e := c.check(req.str("attachments") != ""); e != nil {
		return nil, e
	}
	ts := s.newTSLocked()
	s.recordLocked(Message{Method: "chat.postEphemeral", Channel: channel, User: u.ID, Text: c.Text, TS: ts,
		ThreadTS: req.str("thread_ts"), Blocks: c.Blocks})
	return obj{"message_ts": ts}, nil
}

func (s *Server) chatUpdate(req *apiRequest) (obj, *apiError) {
	channel, ts := req.str("channel"), req.str("ts")
	if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
		return nil, fail("channel_not_found") // chat.update wants the conversation ID
	}
	m := s.findLocked(channel, ts)
	if m == nil {
		return nil, fail("message_not_found")
	}
	c := contentOf(req)
	if e := c.check(req.str("attachments") != ""); e != nil {
		return nil, e
	}
	m.Text, m.Blocks = c.Text, c.Blocks
	if c.Metadata != nil {
		m.Metadata = c.Metadata
	}
	s.recordLocked(Message{Method: "chat.update", Channel: channel, Text: m.Text, TS: m.TS, ThreadTS: m.ThreadTS,
		Blocks: m.Blocks, Metadata: c.Metadata})
	return obj{"channel": channel, "ts": m.TS, "text": m.Text, "message": messageJSON(m, true)}, nil
}

func (s *Server) conversationsOpen(req *apiRequest) (obj, *apiError) {
	if ch := req.str("channel"); ch != "" {
		if _, e := s.resolveChannelLocked(ch); e != nil {
			return nil, e
		}
		return obj{"channel": obj{"id": ch}, "no_op": true, "already_open": true}, nil
	}
	users := strings.Split(req.str("users"), ",")
	if users[0] == "" {
		return nil, fail("users_list_not_supplied")
	}
	if len(users) > 1 {
		return nil, fail("not_supported") // group DMs are not modelled
	}
	u, ok := s.dir.user(strings.TrimSpace(users[0]))
	if !ok {
		return nil, fail("user_not_found")
	}
	if u.Deleted {
		return nil, fail("user_disabled")
	}
	dm := DMChannel(u.ID)
	_, open := s.history[dm]
	if !open {
		s.history[dm] = nil
	}
	channel := obj{"id": dm}
	if req.flag("return_im") {
		channel = obj{"id": dm, "created": s.cfg.Now().Unix(), "is_im": true, "is_org_shared": false,
			"user": u.ID, "is_user_deleted": false, "priority": 0}
	}
	res := obj{"channel": channel}
	if open {
		res["no_op"], res["already_open"] = true, true
	}
	return res, nil
}

// conversationsHistory lists a conversation's top-level messages newest first, paged by limit
// (default 100, at most 999) and cursor, filtered by oldest/latest/inclusive. Metadata is
// included only with include_all_metadata.
func (s *Server) conversationsHistory(req *apiRequest) (obj, *apiError) {
	channel := req.str("channel")
	switch {
	case strings.HasPrefix(channel, "D"):
		if _, ok := s.dmUserLocked(channel); !ok {
			return nil, fail("channel_not_found")
		}
	case strings.HasPrefix(channel, "C") || strings.HasPrefix(channel, "G"):
	default:
		return nil, fail("channel_not_found")
	}
	limit, _ := strconv.Atoi(req.str("limit"))
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 999)
	oldest, latest, inclusive := req.str("oldest"), req.str("latest"), req.flag("inclusive")
	start := "" // return messages with ts <= start
	if cur := req.str("cursor"); cur != "" {
		b, err := base64.StdEncoding.DecodeString(cur)
		if err != nil || !strings.HasPrefix(string(b), "next_ts:") {
			return nil, fail("invalid_cursor")
		}
		start = strings.TrimPrefix(string(b), "next_ts:")
	}
	withMeta := req.flag("include_all_metadata")
	hist := s.history[channel]
	var page []obj
	next := ""
	for i := len(hist) - 1; i >= 0; i-- {
		m := hist[i]
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			continue
		}
		if start != "" && tsLess(start, m.TS) {
			continue
		}
		if latest != "" && (tsLess(latest, m.TS) || (!inclusive && m.TS == latest)) {
			continue
		}
		if oldest != "" && (tsLess(m.TS, oldest) || (!inclusive && m.TS == oldest)) {
			continue
		}
		if len(page) == limit {
			next = base64.StdEncoding.EncodeToString([]byte("next_ts:" + m.TS))
			break
		}
		page = append(page, messageJSON(m, withMeta))
	}
	if page == nil {
		page = []obj{}
	}
	return obj{"messages": page, "has_more": next != "", "pin_count": 0,
		"response_metadata": obj{"next_cursor": next}}, nil
}

// tsLess compares two Slack timestamps ("1610241741.000200") numerically.
func tsLess(a, b string) bool {
	as, af := splitTS(a)
	bs, bf := splitTS(b)
	if as != bs {
		return as < bs
	}
	return af < bf
}

func splitTS(ts string) (sec, micro int64) {
	whole, frac, _ := strings.Cut(ts, ".")
	sec, _ = strconv.ParseInt(whole, 10, 64)
	frac = (frac + "000000")[:6]
	micro, _ = strconv.ParseInt(frac, 10, 64)
	return sec, micro
}
