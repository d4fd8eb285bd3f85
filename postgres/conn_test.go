package postgres_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
)

// connectionPlumbing are the only functions that may touch the pool
// directly or begin a transaction: the DB's own plumbing. Every repository
// statement goes through DB.conn (the transaction in ctx, or the pool) or
// runs in a Transact callback, so none can take a second connection while
// its caller's transaction holds one.
var connectionPlumbing = []string{"connect", "(*DB).Close", "(*DB).Transact", "(*DB).conn"}

// bypasses returns, for the Go source of one file, every function that uses
// a field or method called Pool or begins a transaction itself, as
// "function: what".
func bypasses(fset *token.FileSet, src any, filename string) ([]string, error) {
	f, err := parser.ParseFile(fset, filename, src, 0)
	if err != nil {
		return nil, err
	}
	var found []string
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		name := fn.Name.Name
		if fn.Recv != nil && len(fn.Recv.List) == 1 {
			name = "(" + types(fn.Recv.List[0].Type) + ")." + name
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch sel.Sel.Name {
			case "Pool", "Begin", "BeginTx":
				found = append(found, fmt.Sprintf("%s: %s (%s)", name, sel.Sel.Name, fset.Position(sel.Pos())))
			}
			return true
		})
	}
	return found, nil
}

// types renders a receiver type such as *DB.
func types(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + types(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr:
		return types(t.X)
	}
	return fmt.Sprintf("%T", e)
}

// TestRepositoriesNeverBypassTheTransactionInContext keeps the rule that
// makes the transaction in ctx safe to carry: outside the DB's plumbing no
// code in this package touches the pool or begins a transaction of its own.
func TestRepositoriesNeverBypassTheTransactionInContext(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		files++
		found, err := bypasses(fset, nil, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			if !slices.Contains(connectionPlumbing, strings.SplitN(f, ":", 2)[0]) {
				t.Errorf("%s: use DB.conn(ctx) or DB.Transact, which join the transaction in ctx", f)
			}
		}
	}
	if files < 10 {
		t.Fatalf("read %d source files; is the test running in the package directory?", files)
	}
}

func TestBypassesAreFound(t *testing.T) {
	const src = `package postgres
func (r *Stores) Get(ctx context.Context, id string) error {
	return r.db.Pool.QueryRow(ctx, "SELECT 1").Scan()
}
func (db *DB) conn(ctx context.Context) querier { return db.Pool }
func (o *Orders) appendEvents(ctx context.Context, tx pgx.Tx) error {
	sp, err := tx.Begin(ctx)
	return err
}`
	found, err := bypasses(token.NewFileSet(), src, "example.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range found {
		names = append(names, strings.SplitN(f, ":", 2)[0]+": "+strings.Fields(strings.SplitN(f, ": ", 2)[1])[0])
	}
	want := []string{"(*Stores).Get: Pool", "(*DB).conn: Pool", "(*Orders).appendEvents: Begin"}
	if !slices.Equal(names, want) {
		t.Errorf("found %q, want %q", names, want)
	}
}
