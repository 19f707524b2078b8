package numfmt

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestWhole(t *testing.T) {
	for _, tt := range []struct {
		name string
		x    float64
		want string
	}{
		{"zero", 0, "0"},
		{"negative zero after rounding", -0.4, "0"},
		{"under a thousand", 999.4, "999"},
		{"rounds up into a group", 999.5, "1,000"},
		{"millions", 1234567.8, "1,234,568"},
		{"negative", -1234567, "-1,234,567"},
		{"billions", 12345678901, "12,345,678,901"},
	} {
		if got := Whole(tt.x); got != tt.want {
			t.Errorf("%s: Whole(%v) = %q, want %q", tt.name, tt.x, got, tt.want)
		}
	}
	if got, want := Int(-1234), "-1,234"; got != want {
		t.Errorf("Int(-1234) = %q, want %q", got, want)
	}
}

// TestGroupingExistsOnce fails when code under insights groups digits by
// hand (a loop inserting a separator every third digit) instead of
// calling this package.
func TestGroupingExistsOnce(t *testing.T) {
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			// (len(s)-i)%3 == 0: the hand-written grouping loop's test.
			if b, ok := n.(*ast.BinaryExpr); ok && b.Op == token.REM {
				if lit, ok := b.Y.(*ast.BasicLit); ok && lit.Value == "3" {
					if digitsLeft(b.X) {
						t.Errorf("%s groups digits by hand; use numfmt", path)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// digitsLeft reports whether e reads (len(s)-i): the digits left to write.
func digitsLeft(e ast.Expr) bool {
	p, ok := e.(*ast.ParenExpr)
	if !ok {
		return false
	}
	sub, ok := p.X.(*ast.BinaryExpr)
	if !ok || sub.Op != token.SUB {
		return false
	}
	call, ok := sub.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	fn, ok := call.Fun.(*ast.Ident)
	return ok && fn.Name == "len"
}
