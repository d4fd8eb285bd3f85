package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// uuidCheck is the one place that decides what an ID looks like.
const uuidCheck = "domain/id.go"

// uuidPattern finds a regular expression for a UUID's 8-4-4-4-12 digits.
var uuidPattern = regexp.MustCompile(`\{8\}-?.*\{4\}.*\{12\}`)

// uuidChecks returns, for the Go source of one file, each place that checks
// a UUID's syntax by itself: a call of github.com/google/uuid's parsers, a
// switch on the hyphens' positions (case 8, 13, 18, 23), or an anchored
// regular expression for one. An unanchored one finds IDs inside text (to
// group error messages, say), which is another job.
func uuidChecks(fset *token.FileSet, filename string, src any) ([]string, error) {
	f, err := parser.ParseFile(fset, filename, src, 0)
	if err != nil {
		return nil, err
	}
	uuidPkg := ""
	for _, imp := range f.Imports {
		if path, _ := strconv.Unquote(imp.Path.Value); path == "github.com/google/uuid" {
			uuidPkg = "uuid"
			if imp.Name != nil {
				uuidPkg = imp.Name.Name
			}
		}
	}
	var found []string
	report := func(n ast.Node, what string) {
		found = append(found, fset.Position(n.Pos()).String()+": "+what)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && uuidPkg != "" && x.Name == uuidPkg &&
				slices.Contains([]string{"Parse", "ParseBytes", "MustParse", "Validate"}, n.Sel.Name) {
				report(n, "uuid."+n.Sel.Name)
			}
		case *ast.CaseClause:
			var positions []string
			for _, e := range n.List {
				if lit, ok := e.(*ast.BasicLit); ok {
					positions = append(positions, lit.Value)
				}
			}
			if slices.Equal(positions, []string{"8", "13", "18", "23"}) {
				report(n, "a switch on the hyphens' positions")
			}
		case *ast.BasicLit:
			if n.Kind != token.STRING {
				break
			}
			s, err := strconv.Unquote(n.Value)
			if err == nil && uuidPattern.MatchString(s) && strings.HasPrefix(s, "^") {
				report(n, "an anchored regular expression for a UUID")
			}
		}
		return true
	})
	return found, nil
}

// TestOneUUIDCheck keeps domain.ParseID the only code that decides whether
// a string is a UUID, so that every edge accepts the same spelling.
func TestOneUUIDCheck(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || filepath.ToSlash(path) == uuidCheck {
			return nil
		}
		files++
		found, err := uuidChecks(fset, path, nil)
		for _, f := range found {
			t.Errorf("%s: check an ID with domain.ParseID", f)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("read %d source files; is the test running at the module root?", files)
	}
}

func TestUUIDChecksAreFound(t *testing.T) {
	const src = `package p
import (
	"regexp"
	guuid "github.com/google/uuid"
)
var (
	idPattern = regexp.MustCompile("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
	inText    = regexp.MustCompile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
)
func a(s string) bool { _, err := guuid.Parse(s); return err == nil }
func b(s string) string { return guuid.NewString() }
func c(s string) bool {
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' { return false }
		}
	}
	return true
}`
	found, err := uuidChecks(token.NewFileSet(), "p.go", src)
	if err != nil {
		t.Fatal(err)
	}
	var what []string
	for _, f := range found {
		what = append(what, f[strings.Index(f, ": ")+2:])
	}
	want := []string{"an anchored regular expression for a UUID", "uuid.Parse", "a switch on the hyphens' positions"}
	if !slices.Equal(what, want) {
		t.Errorf("found %q, want %q", what, want)
	}
}
