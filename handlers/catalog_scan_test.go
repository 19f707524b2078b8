package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/repcoach/repcoach/handlers/i18n"
)

// prose is a string literal that reads as words to a person: two words
// of letters with a space or punctuation between.
var prose = regexp.MustCompile(`\p{L}{2,}[,.:;!?'’)]?\s+[(]?\p{L}{2,}`)

// TestNoUserTextOutsideTheCatalog fails when a handler writes text for
// people that is not in the catalog: every string literal in the package
// (and in kit) that reads as words must be a catalog key, or sit where no
// user reads it (an error's or a log's text, a panic), or be one of the
// argument summaries the catalog repeats (checked equal below).
func TestNoUserTextOutsideTheCatalog(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	// kit's check.go writes errors about blocks, for developers.
	files = append(files, "kit/kit.go")
	// Where a literal reaches no user.
	internal := map[string]bool{"Errorf": true, "New": true, "Warn": true, "Error": true, "Info": true, "Debug": true, "panic": true, "logf": true}
	// Known text for people not yet in the catalog, with why.
	known := map[string]string{}
	// Package-level values read by code, not people: the words people
	// type (matched, never shown) and the English argument summaries.
	typed := map[string]bool{"periodWords": true, "allWords": true, "PerformanceUsage": true, "TeamUsage": true, "RecognizeUsage": true, "AdminUsage": true, "adminWords": true, "switchWords": true}
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, _ := strconv.Unquote(lit.Value)
			if !prose.MatchString(s) || i18n.Has(i18n.English, s) || known[s] != "" {
				return true
			}
			for _, up := range stack {
				switch x := up.(type) {
				case *ast.CallExpr:
					fn := ""
					switch f := x.Fun.(type) {
					case *ast.SelectorExpr:
						fn = f.Sel.Name
					case *ast.Ident:
						fn = f.Name
					}
					if internal[fn] {
						return true
					}
				case *ast.ValueSpec:
					for _, id := range x.Names {
						if typed[id.Name] {
							return true
						}
					}
				case *ast.Field: // struct tags
					return true
				case *ast.FuncDecl:
					// Error methods write for logs.
					if x.Name.Name == "Error" {
						return true
					}
				}
			}
			found++
			t.Errorf("%s: %q reads as text for people but is not in the catalog (handlers/i18n)", fset.Position(lit.Pos()), s)
			return true
		})
	}
	// The English argument summaries the code keeps (for the command
	// table) are the catalog's English.
	en := i18n.New(i18n.English, "USD")
	for key, want := range map[string]string{"perf.usage": PerformanceUsage, "team.usage": TeamUsage, "rec.usage": RecognizeUsage, "admin.usage": AdminUsage} {
		if got := en.T(key); got != want {
			t.Errorf("catalog %s = %q, code %q", key, got, want)
		}
	}
	_ = found
}
