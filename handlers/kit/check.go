package kit

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's Block Kit limits, from SLACK.md.
const (
	MaxMessageBlocks   = 50
	MaxSurfaceBlocks   = 100 // modal or Home tab
	MaxSectionText     = 3000
	MaxFields          = 10
	MaxFieldText       = 2000
	MaxHeaderText      = 150
	MaxContextElements = 10
	MaxActionElements  = 25
	MaxButtonText      = 75
	MaxButtonValue     = 2000
	MaxURL             = 3000
	MaxID              = 255
	MaxAltText         = 2000
	MaxOptions         = 100
	MaxOptionText      = 75
	MaxOptionValue     = 150
	MaxConfirmTitle    = 100
	MaxConfirmText     = 300
	MaxMarkdownBlock   = 12000
	MaxTableRows       = 100
	MaxTableCells      = 20
	MaxChartTitle      = 50
	MaxChartSeries     = 6
	MaxChartPoints     = 20
	MaxChartLabel      = 20
	MaxModalTitle      = 24
	MaxPrivateMetadata = 3000
	MaxViewBytes       = 250_000
	MaxFallbackText    = 4000
)

// Surface is where blocks are shown; limits differ.
type Surface int

// The surfaces.
const (
	SurfaceMessage Surface = iota
	SurfaceModal
	SurfaceHome
)

// CheckMessage reports every way a message (fallback text and blocks)
// breaks Slack's limits, joined into one error, or nil.
func CheckMessage(text string, blocks []slack.Block) error {
	var errs []error
	if n := utf8.RuneCountInString(text); n > MaxFallbackText {
		errs = append(errs, fmt.Errorf("fallback text is %d chars (max %d)", n, MaxFallbackText))
	}
	if text == "" && len(blocks) > 0 {
		errs = append(errs, errors.New("fallback text is empty: notifications and screen readers need it"))
	}
	errs = append(errs, CheckBlocks(SurfaceMessage, blocks))
	return errors.Join(errs...)
}

// CheckModal reports every way a modal breaks Slack's limits.
func CheckModal(v slack.ModalViewRequest) error {
	var errs []error
	for name, t := range map[string]*slack.TextBlockObject{"title": v.Title, "submit": v.Submit, "close": v.Close} {
		if t != nil && utf8.RuneCountInString(t.Text) > MaxModalTitle {
			errs = append(errs, fmt.Errorf("modal %s is %d chars (max %d)", name, utf8.RuneCountInString(t.Text), MaxModalTitle))
		}
	}
	errs = append(errs, checkView(SurfaceModal, v, v.PrivateMetadata, v.Blocks.BlockSet))
	return errors.Join(errs...)
}

// CheckHome reports every way a Home tab view breaks Slack's limits.
func CheckHome(v slack.HomeTabViewRequest) error {
	return checkView(SurfaceHome, v, v.PrivateMetadata, v.Blocks.BlockSet)
}

func checkView(surface Surface, v any, metadata string, blocks []slack.Block) error {
	var errs []error
	if n := len(metadata); n > MaxPrivateMetadata {
		errs = append(errs, fmt.Errorf("private_metadata is %d bytes (max %d)", n, MaxPrivateMetadata))
	}
	if raw, err := json.Marshal(v); err == nil && len(raw) > MaxViewBytes {
		errs = append(errs, fmt.Errorf("view is %d bytes (max %d)", len(raw), MaxViewBytes))
	}
	errs = append(errs, CheckBlocks(surface, blocks))
	return errors.Join(errs...)
}

// CheckBlocks reports every way blocks break Slack's limits on surface.
// It works on the JSON Slack would receive, so it covers every block type.
func CheckBlocks(surface Surface, blocks []slack.Block) error {
	limit := MaxMessageBlocks
	if surface != SurfaceMessage {
		limit = MaxSurfaceBlocks
	}
	var c checker
	if len(blocks) > limit {
		c.fail("", "%d blocks (max %d)", len(blocks), limit)
	}
	raw, err := json.Marshal(blocks)
	if err != nil {
		return fmt.Errorf("blocks do not encode: %w", err)
	}
	var list []map[string]any
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("blocks do not decode: %w", err)
	}
	for i, b := range list {
		c.block(fmt.Sprintf("block %d (%v)", i, b["type"]), b)
	}
	return errors.Join(c.errs...)
}

type checker struct{ errs []error }

func (c *checker) fail(where, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
}

func (c *checker) maxLen(where, what string, s any, limit int) {
	str, _ := s.(string)
	if n := utf8.RuneCountInString(str); n > limit {
		c.fail(where, "%s is %d chars (max %d)", what, n, limit)
	}
}

func (c *checker) text(where, what string, t any, limit int, required bool) {
	obj, _ := t.(map[string]any)
	if obj == nil {
		if required {
			c.fail(where, "%s is missing", what)
		}
		return
	}
	s, _ := obj["text"].(string)
	if required && s == "" {
		c.fail(where, "%s is empty", what)
	}
	c.maxLen(where, what, s, limit)
}

func list(v any) []any { l, _ := v.([]any); return l }

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func (c *checker) block(where string, b map[string]any) {
	c.maxLen(where, "block_id", b["block_id"], MaxID)
	switch b["type"] {
	case "section":
		if b["text"] == nil && b["fields"] == nil {
			c.fail(where, "section needs text or fields")
		}
		c.text(where, "text", b["text"], MaxSectionText, false)
		if t := obj(b["text"]); t != nil && t["text"] == "" {
			c.fail(where, "text is empty")
		}
		fields := list(b["fields"])
		if len(fields) > MaxFields {
			c.fail(where, "%d fields (max %d)", len(fields), MaxFields)
		}
		for _, f := range fields {
			c.text(where, "field", f, MaxFieldText, true)
		}
		if acc := obj(b["accessory"]); acc != nil {
			c.element(where+" accessory", acc)
		}
	case "header":
		c.text(where, "header text", b["text"], MaxHeaderText, true)
	case "context":
		els := list(b["elements"])
		if len(els) == 0 || len(els) > MaxContextElements {
			c.fail(where, "%d context elements (1 to %d)", len(els), MaxContextElements)
		}
		for _, e := range els {
			if m := obj(e); m["type"] == "image" {
				c.maxLen(where, "alt_text", m["alt_text"], MaxAltText)
			} else {
				c.text(where, "context text", e, MaxSectionText, true)
			}
		}
	case "actions":
		els := list(b["elements"])
		if len(els) == 0 || len(els) > MaxActionElements {
			c.fail(where, "%d action elements (1 to %d)", len(els), MaxActionElements)
		}
		for _, e := range els {
			c.element(where, obj(e))
		}
	case "image":
		c.maxLen(where, "alt_text", b["alt_text"], MaxAltText)
		c.maxLen(where, "image_url", b["image_url"], MaxURL)
	case "input":
		c.text(where, "label", b["label"], 2000, true)
		c.element(where, obj(b["element"]))
	case "markdown":
		c.maxLen(where, "markdown text", b["text"], MaxMarkdownBlock)
	case "table":
		rows := list(b["rows"])
		if len(rows) == 0 || len(rows) > MaxTableRows {
			c.fail(where, "%d table rows (1 to %d)", len(rows), MaxTableRows)
		}
		for i, r := range rows {
			if n := len(list(r)); n == 0 || n > MaxTableCells {
				c.fail(where, "row %d has %d cells (1 to %d)", i, n, MaxTableCells)
			}
		}
	case "data_visualization":
		c.chart(where, b)
	case "divider":
	}
}

func (c *checker) chart(where string, b map[string]any) {
	c.maxLen(where, "chart title", b["title"], MaxChartTitle)
	ch := obj(b["chart"])
	if ch == nil {
		c.fail(where, "chart is missing")
		return
	}
	if ch["type"] == "pie" {
		if n := len(list(ch["segments"])); n == 0 || n > MaxChartSeries {
			c.fail(where, "%d pie segments (1 to %d)", n, MaxChartSeries)
		}
		return
	}
	cats := list(obj(ch["axis_config"])["categories"])
	if len(cats) == 0 || len(cats) > MaxChartPoints {
		c.fail(where, "%d axis categories (1 to %d)", len(cats), MaxChartPoints)
	}
	for _, cat := range cats {
		c.maxLen(where, "axis category", cat, MaxChartLabel)
	}
	series := list(ch["series"])
	if len(series) == 0 || len(series) > MaxChartSeries {
		c.fail(where, "%d chart series (1 to %d)", len(series), MaxChartSeries)
	}
	for _, s := range series {
		sm := obj(s)
		c.maxLen(where, "series name", sm["name"], MaxChartLabel)
		pts := list(sm["data"])
		if len(pts) == 0 || len(pts) > MaxChartPoints {
			c.fail(where, "%d chart points (1 to %d)", len(pts), MaxChartPoints)
		}
		for _, p := range pts {
			c.maxLen(where, "point label", obj(p)["label"], MaxChartLabel)
		}
	}
}

func (c *checker) element(where string, e map[string]any) {
	if e == nil {
		return
	}
	c.maxLen(where, "action_id", e["action_id"], MaxID)
	switch e["type"] {
	case "button":
		c.text(where, "button text", e["text"], MaxButtonText, true)
		c.maxLen(where, "button value", e["value"], MaxButtonValue)
		c.maxLen(where, "button url", e["url"], MaxURL)
	case "static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow":
		opts := list(e["options"])
		limit := MaxOptions
		if e["type"] == "overflow" {
			limit = 5
		}
		if len(opts) > limit {
			c.fail(where, "%d options (max %d)", len(opts), limit)
		}
		for _, o := range opts {
			om := obj(o)
			c.text(where, "option text", om["text"], MaxOptionText, true)
			c.maxLen(where, "option value", om["value"], MaxOptionValue)
		}
	}
	if conf := obj(e["confirm"]); conf != nil {
		c.text(where, "confirm title", conf["title"], MaxConfirmTitle, true)
		c.text(where, "confirm text", conf["text"], MaxConfirmText, true)
	}
}
