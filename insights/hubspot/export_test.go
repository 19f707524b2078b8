package hubspot

import "context"

// SearchPage runs one deal search page starting at after, for tests of the
// fake's cap.
func (c *Client) SearchPage(ctx context.Context, after string) error {
	var out map[string]any
	return c.do(ctx, "POST", "/crm/v3/objects/deals/search", map[string]any{"limit": searchPage, "after": after}, &out)
}
