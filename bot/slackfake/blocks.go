package slackfake

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Message and view limits that Slack enforces on every call (SLACK.md).
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxTextChars     = 40000
)

// checkText answers msg_too_long for a message text past 40,000 characters.
func checkText(text string) *apiError {
	if utf8.RuneCountInString(text) > maxTextChars {
		return fail("msg_too_long")
	}
	return nil
}

// checkBlocks validates a blocks array against the cheap Block Kit limits: at most maxBlocks
// blocks, each with a type, and the length rules of SLACK.md for the common block and element
// types. It returns Slack's messages ("[ERROR] … [json-pointer:/blocks/0/text/text]"), none when
// the blocks are fine. An array that is not JSON gives invalid_blocks_format.
func checkBlocks(raw json.RawMessage, maxBlocks int, pointer string) (code string, messages []string) {
	if len(raw) == 0 {
		return "", nil
	}
	var blocks []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "invalid_blocks_format", []string{"[ERROR] blocks must be a JSON array of objects"}
	}
	var v validator
	if len(blocks) > maxBlocks {
		v.errorf(pointer, "must provide at most %d items", maxBlocks)
	}
	for i, b := range blocks {
		v.block(fmt.Sprintf("%s/%d", pointer, i), b)
	}
	if len(v.messages) > 0 {
		return "invalid_blocks", v.messages
	}
	return "", nil
}

type validator struct{ messages []string }

func (v *validator) errorf(pointer, format string, args ...any) {
	v.messages = append(v.messages, fmt.Sprintf("[ERROR] "+format+" [json-pointer:%s]", append(args, pointer)...))
}

// maxLen checks a string field's length in characters.
func (v *validator) maxLen(pointer, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		v.errorf(pointer, "must be less than %d characters", n+1)
	}
}

// textOf returns the "text" of a text object such as {"type":"plain_text","text":"Hi"}.
func textOf(raw json.RawMessage) (string, bool) {
	var t struct {
		Text *string `json:"text"`
	}
	if json.Unmarshal(raw, &t) != nil || t.Text == nil {
		return "", false
	}
	return *t.Text, true
}

func str(m map[string]json.RawMessage, k string) string {
	var s string
	_ = json.Unmarshal(m[k], &s)
	return s
}

func list(m map[string]json.RawMessage, k string) []map[string]json.RawMessage {
	var l []map[string]json.RawMessage
	_ = json.Unmarshal(m[k], &l)
	return l
}

func (v *validator) block(p string, b map[string]json.RawMessage) {
	typ := str(b, "type")
	if typ == "" {
		v.errorf(p, "missing required field: type")
		return
	}
	v.maxLen(p+"/block_id", str(b, "block_id"), 255)
	switch typ {
	case "section":
		if t, ok := textOf(b["text"]); ok {
			if t == "" {
				v.errorf(p+"/text/text", "must be more than 0 characters")
			}
			v.maxLen(p+"/text/text", t, 3000)
		}
		fields := list(b, "fields")
		if len(fields) > 10 {
			v.errorf(p+"/fields", "must provide at most 10 items")
		}
		for i, f := range fields {
			v.maxLen(fmt.Sprintf("%s/fields/%d/text", p, i), str(f, "text"), 2000)
		}
		if a, ok := b["accessory"]; ok {
			var el map[string]json.RawMessage
			if json.Unmarshal(a, &el) == nil {
				v.element(p+"/accessory", el)
			}
		}
	case "header":
		t, _ := textOf(b["text"])
		v.maxLen(p+"/text/text", t, 150)
	case "context":
		if els := list(b, "elements"); len(els) > 10 {
			v.errorf(p+"/elements", "must provide at most 10 items")
		}
	case "actions":
		els := list(b, "elements")
		if len(els) > 25 {
			v.errorf(p+"/elements", "must provide at most 25 items")
		}
		for i, el := range els {
			v.element(fmt.Sprintf("%s/elements/%d", p, i), el)
		}
	case "image":
		v.maxLen(p+"/alt_text", str(b, "alt_text"), 2000)
		v.maxLen(p+"/image_url", str(b, "image_url"), 3000)
	case "markdown":
		v.maxLen(p+"/text", str(b, "text"), 12000)
	}
}

func (v *validator) element(p string, el map[string]json.RawMessage) {
	v.maxLen(p+"/action_id", str(el, "action_id"), 255)
	switch str(el, "type") {
	case "button":
		t, _ := textOf(el["text"])
		v.maxLen(p+"/text/text", t, 75)
		v.maxLen(p+"/value", str(el, "value"), 2000)
		v.maxLen(p+"/url", str(el, "url"), 3000)
	case "overflow":
		if len(list(el, "options")) > 5 {
			v.errorf(p+"/options", "must provide at most 5 items")
		}
	case "static_select", "multi_static_select":
		if len(list(el, "options")) > 100 {
			v.errorf(p+"/options", "must provide at most 100 items")
		}
	}
}
