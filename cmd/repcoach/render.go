package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/repcoach/repcoach/handlers"
)

// render prints a Slack message readably on a terminal: headers underlined,
// section text and fields, context lines, buttons in brackets, tables as
// columns; mrkdwn entities are decoded. blocks is the JSON Slack received.
func render(w io.Writer, text string, blocks json.RawMessage) {
	var list []map[string]any
	if len(blocks) == 0 || json.Unmarshal(blocks, &list) != nil || len(list) == 0 {
		fmt.Fprintln(w, indent(plain(text)))
		return
	}
	for _, b := range list {
		switch b["type"] {
		case "header":
			h := plain(textOf(b["text"]))
			fmt.Fprintf(w, "  %s\n  %s\n", h, strings.Repeat("═", min(len([]rune(h)), 72)))
		case "section":
			if t := textOf(b["text"]); t != "" {
				if acc, _ := b["accessory"].(map[string]any); acc != nil && acc["type"] == "button" {
					t += "  [ " + textOf(acc["text"]) + " ]"
				}
				fmt.Fprintln(w, indent(plain(t)))
			}
			if fields, _ := b["fields"].([]any); len(fields) > 0 {
				for _, f := range fields {
					fmt.Fprintln(w, indent("▸ "+strings.ReplaceAll(plain(textOf(f)), "\n", "\n  ")))
				}
			}
		case "context":
			var parts []string
			for _, e := range asList(b["elements"]) {
				parts = append(parts, plain(textOf(e)))
			}
			fmt.Fprintln(w, indent("· "+strings.Join(parts, "  ")))
		case "divider":
			fmt.Fprintln(w, "  "+strings.Repeat("─", 60))
		case "actions":
			var parts []string
			for _, e := range asList(b["elements"]) {
				m, _ := e.(map[string]any)
				parts = append(parts, "[ "+plain(textOf(m["text"]))+" ]")
			}
			fmt.Fprintln(w, indent(strings.Join(parts, " ")))
		case "table":
			var rows [][]string
			var width []int
			for _, row := range asList(b["rows"]) {
				var cells []string
				for i, c := range asList(row) {
					t := cellText(c)
					cells = append(cells, t)
					if i >= len(width) {
						width = append(width, 0)
					}
					width[i] = max(width[i], len([]rune(t)))
				}
				rows = append(rows, cells)
			}
			for _, cells := range rows {
				var line strings.Builder
				for i, t := range cells {
					line.WriteString(t + strings.Repeat(" ", width[i]-len([]rune(t))+2))
				}
				fmt.Fprintln(w, indent(strings.TrimRight(line.String(), " ")))
			}
		case "data_visualization":
			fmt.Fprintln(w, indent("(chart) "+chartText(b)))
		default:
			fmt.Fprintf(w, "  (%v block)\n", b["type"])
		}
	}
}

// blocksJSON returns a message's blocks as Slack receives them.
func blocksJSON(m handlers.Message) (json.RawMessage, error) {
	if len(m.Blocks) == 0 {
		return nil, nil
	}
	return json.Marshal(m.Blocks)
}

// builderLink returns a Block Kit Builder URL showing blocks as Slack would.
func builderLink(blocks json.RawMessage) string {
	if len(blocks) == 0 {
		return ""
	}
	payload := fmt.Sprintf(`{"blocks":%s}`, blocks)
	return "https://app.slack.com/block-kit-builder/#" + url.PathEscape(payload)
}

func textOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		s, _ := t["text"].(string)
		return s
	}
	return ""
}

func cellText(v any) string {
	m, _ := v.(map[string]any)
	if s := textOf(m); s != "" {
		return plain(s)
	}
	// rich_text cells: concatenate their text elements.
	var b strings.Builder
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			if s, ok := t["text"].(string); ok {
				b.WriteString(s)
			}
			walk(t["elements"])
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(m)
	return plain(b.String())
}

func chartText(b map[string]any) string {
	raw, _ := json.Marshal(b)
	var c struct {
		Title string `json:"title"`
		Chart struct {
			Series []struct {
				Name string `json:"name"`
				Data []struct {
					Label string  `json:"label"`
					Value float64 `json:"value"`
				} `json:"data"`
			} `json:"series"`
		} `json:"chart"`
	}
	_ = json.Unmarshal(raw, &c)
	var parts []string
	for _, s := range c.Chart.Series {
		for _, p := range s.Data {
			parts = append(parts, fmt.Sprintf("%s %.0f", p.Label, p.Value))
		}
	}
	return c.Title + ": " + strings.Join(parts, ", ")
}

func asList(v any) []any { l, _ := v.([]any); return l }

var (
	mrkdwnMention = regexp.MustCompile(`<@([A-Z0-9]+)(?:\|[^>]*)?>`)
	mrkdwnChannel = regexp.MustCompile(`<#([A-Z0-9]+)(?:\|[^>]*)?>`)
	mrkdwnLink    = regexp.MustCompile(`<([^|>]+)\|([^>]+)>`)
)

// plain turns mrkdwn into terminal text: mentions show as @ID, links show
// their label, entities are decoded (so escaped text reads as Slack shows
// it, as plain characters), emoji codes stay as typed.
func plain(s string) string {
	s = mrkdwnMention.ReplaceAllString(s, "@$1")
	s = mrkdwnChannel.ReplaceAllString(s, "#$1")
	s = mrkdwnLink.ReplaceAllString(s, "$2")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
