package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/mallbots/mallbots"

// TestDependencyRules keeps the layering of STYLE.md: dependencies point
// inward and services meet only through events.
func TestDependencyRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkg := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if problem := violation(pkg, imp); problem != "" {
				t.Errorf("%s imports %s: %s", p.ImportPath, imp, problem)
			}
		}
	}
}

// violation returns why pkg (relative to the module) may not import imp.
func violation(pkg, imp string) string {
	internal := strings.HasPrefix(imp, module)
	rel := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
	stdlib := !strings.Contains(strings.Split(imp, "/")[0], ".")
	switch {
	case rel == "cmd" && internal && pkg != "":
		return "nothing but main imports cmd"
	case pkg == "dsn":
		if !stdlib {
			return "dsn is stdlib only, so that every layer can redact connection strings"
		}
	case pkg == "idempotency":
		if !stdlib {
			return "idempotency is stdlib only: the vocabulary the HTTP edge and the key store share"
		}
	case pkg == "postgres":
		if internal && rel == "httpapi" {
			return "postgres stores what the edges hand it and knows no transport (idempotency types are in package idempotency)"
		}
	case pkg == "events" || pkg == "config" || pkg == "domain" || strings.HasPrefix(pkg, "domain/"):
		if pkg == "config" && internal && rel == "dsn" {
			break
		}
		if !stdlib && !(internal && (rel == "domain" || strings.HasPrefix(rel, "domain/"))) {
			return pkg + " is stdlib (and domain) only"
		}
	case strings.HasPrefix(pkg, "handlers/"):
		own := strings.SplitN(pkg, "/", 3)[1]
		if internal && strings.HasPrefix(rel, "handlers/") && strings.SplitN(rel, "/", 3)[1] != own {
			return "services meet only through events, never by importing each other"
		}
		if internal && (rel == "postgres" || rel == "messaging" || rel == "migrations") {
			return "handlers declare the small interfaces they need; the composition root wires concrete types"
		}
	case pkg == "messaging":
		if internal && (rel == "domain" || strings.HasPrefix(rel, "domain/") || strings.HasPrefix(rel, "handlers/")) {
			return "messaging knows nothing of the domain"
		}
	}
	return ""
}

func TestDependencyRulesCatchViolations(t *testing.T) {
	for _, tc := range []struct {
		pkg, imp string
		bad      bool
	}{
		{"handlers/baskets", module + "/handlers/stores", true},
		{"handlers/baskets", module + "/postgres", true},
		{"handlers/baskets", module + "/events", false},
		{"domain/store", "github.com/jackc/pgx/v5", true},
		{"domain/store", module + "/domain", false},
		{"events", "fmt", false},
		{"messaging", module + "/domain/order", true},
		{"postgres", module + "/cmd", true},
		{"postgres", module + "/httpapi", true},
		{"postgres", module + "/idempotency", false},
		{"httpapi", module + "/idempotency", false},
		{"idempotency", module + "/httpapi", true},
		{"idempotency", "net/http", false},
		{"config", module + "/dsn", false},
		{"config", module + "/httpapi", true},
		{"dsn", module + "/config", true},
		{"dsn", "github.com/jackc/pgx/v5", true},
		{"dsn", "net/url", false},
	} {
		if got := violation(tc.pkg, tc.imp) != ""; got != tc.bad {
			t.Errorf("violation(%s, %s) = %v, want %v", tc.pkg, tc.imp, got, tc.bad)
		}
	}
}
