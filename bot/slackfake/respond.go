package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Response URL limits (SLACK.md).
const (
	responseURLUses = 5
	responseURLLife = 30 * time.Minute
)

// responseURL is a response_url handed out with a command or a message interaction.
type responseURL struct {
	channel, user string
	messageTS     string    // the message a button was on, for replace_original / delete_original
	issued        time.Time // Config.Now
	uses          int
}

// newResponseURLLocked issues a response URL on the fake for a command ("commands") or an
// interaction ("actions"), shaped like https://hooks.slack.com/commands/T…/…/…. The caller holds
// s.mu.
func (s *Server) newResponseURLLocked(kind, channel, user, messageTS string) string {
	path := "/" + kind + "/" + TeamID + "/" + strconv.FormatUint(s.nextSeqLocked(), 10) + "/" + randomHex(12)
	s.responses[path] = &responseURL{channel: channel, user: user, messageTS: messageTS, issued: s.cfg.Now()}
	return s.base + path
}

// flexBool decodes true, "true" or 1.
type flexBool bool

func (b *flexBool) UnmarshalJSON(p []byte) error {
	switch string(p) {
	case "true", `"true"`, "1":
		*b = true
	default:
		*b = false
	}
	return nil
}

// serveResponseURL answers a POST to a response_url: at most 5 uses within 30 minutes, after which
// it answers 404 with used_url or expired_url. A message is ephemeral to the user unless
// response_type is in_channel; replace_original and delete_original act on the message the
// interaction came from.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))

	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.calls["response_url"]++
	if r.Method != http.MethodPost {
		http.Error(w, "method_not_allowed", http.StatusMethodNotAllowed)
		return
	}
	if code, limited := s.injectedLocked("response_url"); code != "" {
		writeError(w, fail(code))
		return
	} else if limited {
		writeError(w, &apiError{code: "ratelimited", retry: time.Second})
		return
	}
	ru, ok := s.responses[r.URL.Path]
	switch {
	case !ok:
		http.Error(w, "no_such_url", http.StatusNotFound)
		return
	case s.cfg.Now().Sub(ru.issued) > responseURLLife:
		http.Error(w, "expired_url", http.StatusNotFound)
		return
	case ru.uses >= responseURLUses:
		http.Error(w, "used_url", http.StatusNotFound)
		return
	}
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		Metadata        json.RawMessage `json:"metadata"`
		ThreadTS        string          `json:"thread_ts"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal flexBool        `json:"replace_original"`
		DeleteOriginal  flexBool        `json:"delete_original"`
	}
	if err != nil || json.Unmarshal(body, &msg) != nil {
		writeError(w, fail("invalid_payload"))
		return
	}
	c := content{Text: msg.Text, Blocks: compact(msg.Blocks), Metadata: compact(msg.Metadata)}
	if string(c.Blocks) == "null" {
		c.Blocks = nil
	}
	var meta struct {
		EventType string `json:"event_type"`
	}
	if json.Unmarshal(c.Metadata, &meta) != nil || meta.EventType == "" {
		c.Metadata = nil // slack-go always sends a metadata object, empty when unset
	}
	if !msg.DeleteOriginal {
		if e := c.check(false); e != nil {
			writeError(w, e)
			return
		}
	}
	ru.uses++
	m := Message{Method: "response_url", Channel: ru.channel, Text: c.Text, ThreadTS: msg.ThreadTS,
		ResponseType: msg.ResponseType, Blocks: c.Blocks, Metadata: c.Metadata, ResponseURL: s.base + r.URL.Path,
		ReplaceOriginal: bool(msg.ReplaceOriginal), DeleteOriginal: bool(msg.DeleteOriginal)}
	if m.ResponseType == "" {
		m.ResponseType = "ephemeral"
	}
	original := s.findLocked(ru.channel, ru.messageTS)
	switch {
	case m.DeleteOriginal:
		m.TS = ru.messageTS
		if original != nil {
			s.deleteLocked(ru.channel, ru.messageTS)
		}
	case m.ReplaceOriginal:
		m.TS = ru.messageTS
		if original != nil {
			original.Text, original.Blocks = c.Text, c.Blocks
		} else {
			m.User = ru.user // the original was ephemeral
		}
	case m.ResponseType == "in_channel":
		m.TS = s.storeLocked(ru.channel, &stored{Text: c.Text, Blocks: c.Blocks, Metadata: c.Metadata, ThreadTS: msg.ThreadTS})
	default:
		m.User = ru.user
	}
	s.recordLocked(m)
	writeJSON(w, http.StatusOK, obj{"ok": true})
}

// deleteLocked removes a stored message. The caller holds s.mu.
func (s *Server) deleteLocked(channel, ts string) {
	h := s.history[channel]
	for i, m := range h {
		if m.TS == ts {
			s.history[channel] = append(h[:i:i], h[i+1:]...)
			return
		}
	}
}
