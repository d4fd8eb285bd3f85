package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeLayoutIsTrue keeps the README's Layout and "Where to look"
// sections true: every directory the layout names exists, every package
// directory of the module is in the layout, and every file a "Where to
// look" answer names exists and holds the names given beside it.
func TestReadmeLayoutIsTrue(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	_, layout, _ := strings.Cut(readme, "## Layout\n")
	layout, where, ok := strings.Cut(layout, "### Where to look\n")
	if !ok {
		t.Fatal(`README has no "### Where to look" under "## Layout"`)
	}
	where, _, _ = strings.Cut(where, "\n## ")

	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z0-9_]+)/`).FindAllStringSubmatch(layout, -1) {
		named[m[1]] = true
		if info, err := os.Stat(m[1]); err != nil || !info.IsDir() {
			t.Errorf("the layout names %s/, which is not a directory", m[1])
		}
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if goFiles, _ := filepath.Glob(filepath.Join(e.Name(), "*.go")); len(goFiles) > 0 && !named[e.Name()] {
			t.Errorf("package directory %s/ is missing from the README's layout", e.Name())
		}
	}

	placeholders := strings.NewReplacer("<service>", "orders", "<aggregate>", "order", "<verb>", "list")
	code := regexp.MustCompile("`([^`]+)`")
	rows := 0
	for _, line := range strings.Split(where, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "question" {
			continue
		}
		rows++
		var files []string
		var names []string
		for _, m := range code.FindAllStringSubmatch(cells[2], -1) {
			token := placeholders.Replace(m[1])
			switch {
			case strings.Contains(token, "/"):
				if _, err := os.Stat(token); err != nil {
					t.Errorf("Where to look: %s names %s, which does not exist", strings.TrimSpace(cells[1]), m[1])
				}
				if strings.HasSuffix(token, ".go") {
					files = append(files, token)
				}
			case regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]*$`).MatchString(token):
				names = append(names, token[strings.LastIndex(token, ".")+1:])
			}
		}
		for _, name := range names {
			found := false
			for _, f := range files {
				if src, err := os.ReadFile(f); err == nil && strings.Contains(string(src), name) {
					found = true
				}
			}
			if !found && len(files) > 0 {
				t.Errorf("Where to look: %s names %s, which none of %v holds", strings.TrimSpace(cells[1]), name, files)
			}
		}
	}
	if rows < 15 {
		t.Errorf("Where to look answers %d questions, want the newcomer's questions", rows)
	}
}
