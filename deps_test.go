package main

import (
	"encoding/json"
	"os/exec"
	"path"
	"slices"
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
		if problem := misnamed(pkg); problem != "" {
			t.Errorf("package %s: %s", p.ImportPath, problem)
		}
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
		if internal && (rel == "postgres" || rel == "migrations" || messagingImports[rel] != nil) {
			return "handlers declare the small interfaces they need; the composition root wires concrete types"
		}
	case pkg == "status":
		if internal && !slices.Contains(statusImports, rel) {
			return "status may import only " + strings.Join(statusImports, ", ") +
				" of mallbots: it reads the broker and the outboxes and knows nothing of the domain, the handlers or the commands"
		}
	case messagingImports[pkg] != nil:
		if internal && !slices.Contains(messagingImports[pkg], rel) {
			return pkg + " may import only " + strings.Join(messagingImports[pkg], ", ") +
				" of mallbots: the messaging packages know nothing of the domain, the handlers or the database code, and build on each other one way"
		}
	case pkg == "internal/contract" || pkg == "internal/memrepo" || pkg == "internal/fakecatalog":
		if internal && (strings.HasPrefix(rel, "handlers/") || rel == "postgres" || rel == "migrations" ||
			messagingImports[rel] != nil) {
			return "the contract suites and the fakes they hold to them are imported by handlers' and postgres' tests alike, so they import neither"
		}
	}
	return ""
}

// messagingImports lists, for each messaging package, the only mallbots
// packages it may import: broker is RabbitMQ itself, at the bottom; consumer
// and outbox build on it; replay on broker and outbox.
var messagingImports = map[string][]string{
	"broker":   {"dsn"},
	"consumer": {"broker", "config", "correlation", "events"},
	"outbox":   {"broker", "correlation", "events"},
	"replay":   {"broker", "outbox", "correlation"},
}

// statusImports lists the only mallbots packages status may import: it
// builds the operator's view from the broker and the outboxes, and the
// console reuses it.
var statusImports = []string{"broker", "outbox", "dsn"}

// misnamed returns why pkg's name says nothing of its job, if it does not.
func misnamed(pkg string) string {
	switch path.Base(pkg) {
	case "common", "util", "utils", "helpers", "misc", "models", "types", "messaging":
		return "name a package by its one job (broker, consumer, outbox, replay), not by a grab bag"
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
		{"handlers/baskets", module + "/consumer", true},
		{"handlers/baskets", module + "/outbox", true},
		{"broker", module + "/domain/order", true},
		{"broker", module + "/consumer", true},
		{"broker", module + "/events", true},
		{"broker", "github.com/jackc/pgx/v5", false},
		{"broker", module + "/dsn", false},
		{"consumer", module + "/broker", false},
		{"consumer", module + "/outbox", true},
		{"consumer", module + "/replay", true},
		{"consumer", module + "/postgres", true},
		{"outbox", module + "/broker", false},
		{"outbox", module + "/consumer", true},
		{"outbox", module + "/handlers/orders", true},
		{"replay", module + "/outbox", false},
		{"replay", module + "/consumer", true},
		{"replay", module + "/domain", true},
		{"replay", module + "/cmd", true},
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
		{"internal/contract", module + "/postgres", true},
		{"internal/contract", module + "/handlers/baskets", true},
		{"internal/memrepo", module + "/outbox", true},
		{"internal/contract", module + "/domain/order", false},
		{"internal/memrepo", module + "/internal/contract", false},
		{"status", module + "/broker", false},
		{"status", module + "/outbox", false},
		{"status", "github.com/jackc/pgx/v5/pgxpool", false},
		{"status", module + "/handlers/orders", true},
		{"status", module + "/postgres", true},
		{"status", module + "/config", true},
		{"status", module + "/cmd", true},
	} {
		if got := violation(tc.pkg, tc.imp) != ""; got != tc.bad {
			t.Errorf("violation(%s, %s) = %v, want %v", tc.pkg, tc.imp, got, tc.bad)
		}
	}
	for pkg, bad := range map[string]bool{"messaging": true, "internal/util": true, "common": true, "broker": false, "handlers/orders": false} {
		if got := misnamed(pkg) != ""; got != bad {
			t.Errorf("misnamed(%s) = %v, want %v", pkg, got, bad)
		}
	}
}
