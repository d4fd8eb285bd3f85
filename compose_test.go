package main

// Static checks of docker-compose.yml and the Dockerfile. No Docker engine is
// needed: the files are parsed and compared with what mallbots expects
// (service names, pinned server versions, ports published on the host's
// loopback only, start-up order, serve listening on 0.0.0.0 in a container,
// MALLBOTS_* URLs and the Go version of go.mod). Each check reports a problem
// as a string, and TestComposeChecksCanFail feeds each one a broken copy of
// the real file to prove that it can fail.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestDockerCompose(t *testing.T) {
	data := readOpsFile(t, "docker-compose.yml")
	for _, p := range checkCompose(data) {
		t.Error(p)
	}
}

func TestDockerfile(t *testing.T) {
	dockerfile := readOpsFile(t, "Dockerfile")
	goMod := readOpsFile(t, "go.mod")
	for _, p := range checkDockerfile(dockerfile, goMod) {
		t.Error(p)
	}
}

// TestComposeChecksCanFail breaks the real files one way at a time and
// expects the matching problem, so a check that can never fire is noticed.
func TestComposeChecksCanFail(t *testing.T) {
	compose := readOpsFile(t, "docker-compose.yml")
	dockerfile := readOpsFile(t, "Dockerfile")
	goMod := readOpsFile(t, "go.mod")

	tests := []struct {
		name     string
		file     string // "compose", "dockerfile" or "go.mod": which input is broken
		old, new string
		want     string // substring of the expected problem
	}{
		{"service missing", "compose", "\n  rabbitmq:\n", "\n  rabbit:\n", `service "rabbitmq" is missing`},
		{"image latest", "compose", "image: postgres:15", "image: postgres:latest", `"postgres:latest" must be pinned`},
		{"image untagged", "compose", "image: postgres:15", "image: postgres", `"postgres" must be pinned`},
		{"wrong major", "compose", "image: postgres:15", "image: postgres:16", `want postgres:15`},
		{"no console", "compose", "rabbitmq:3.10-management", "rabbitmq:3.10", `want rabbitmq:3.10-management`},
		{"port unpublished", "compose", `:15672:15672"`, `:15673:15672"`, `does not publish 15672`},
		{"port remapped", "compose", `:8080:8080"`, `:8080:9090"`, `does not publish 8080`},
		{"port on every interface", "compose", `"127.0.0.1:8080:8080"`, `"8080:8080"`, `publishes 8080 on every host interface`},
		{"port on a public address", "compose", `"127.0.0.1:5432:5432"`, `"0.0.0.0:5432:5432"`, `publishes 5432 on every host interface`},
		{"long syntax on every interface", "compose", `"127.0.0.1:15672:15672"`, `{target: 15672, published: "15672"}`, `publishes 15672 on every host interface`},
		{"no health condition", "compose", "condition: service_healthy\n      rabbitmq:", "condition: service_started\n      rabbitmq:", `depend on postgres with condition service_healthy`},
		{"dependency missing", "compose", "\n      rabbitmq:\n        condition: service_healthy", "", `depend on rabbitmq`},
		{"no healthcheck", "compose", "test: [\"CMD\", \"rabbitmq-diagnostics\", \"-q\", \"ping\"]", "disable: true", `"rabbitmq" has no healthcheck`},
		{"database host", "compose", "@postgres:5432/", "@localhost:5432/", `MALLBOTS_DATABASE_URL host is "localhost"`},
		{"amqp host", "compose", "@rabbitmq:5672/", "@127.0.0.1:5672/", `MALLBOTS_AMQP_URL host is "127.0.0.1"`},
		{"amqp unset", "compose", "MALLBOTS_AMQP_URL:", "MALLBOTS_AMQP:", `MALLBOTS_AMQP_URL is not set`},
		{"database name", "compose", "POSTGRES_DB: mallbots", "POSTGRES_DB: shop", `database "mallbots" but postgres creates "shop"`},
		{"http port", "compose", `MALLBOTS_HTTP_ADDR: "0.0.0.0:8080"`, `MALLBOTS_HTTP_ADDR: "0.0.0.0:9090"`, `MALLBOTS_HTTP_ADDR "0.0.0.0:9090"`},
		{"http on loopback", "compose", `MALLBOTS_HTTP_ADDR: "0.0.0.0:8080"`, `MALLBOTS_HTTP_ADDR: "127.0.0.1:8080"`, `MALLBOTS_HTTP_ADDR "127.0.0.1:8080" must listen on 0.0.0.0`},
		{"http implicit", "compose", `MALLBOTS_HTTP_ADDR: "0.0.0.0:8080"`, `MALLBOTS_HTTP_ADDR: ":8080"`, `MALLBOTS_HTTP_ADDR ":8080" must listen on 0.0.0.0`},
		{"image on loopback", "dockerfile", "ENV MALLBOTS_HTTP_ADDR=0.0.0.0:8080", "ENV MALLBOTS_LOG_FORMAT=json", `MALLBOTS_HTTP_ADDR=0.0.0.0:8080`},
		{"version key", "compose", "services:\n", "version: \"3.8\"\nservices:\n", "obsolete top-level `version`"},
		{"go mismatch", "go.mod", "\ngo 1.", "\ngo 0.", `go.mod says go 0.`},
		{"builder not golang", "dockerfile", "FROM golang:", "FROM tinygo/tinygo:", `no build stage FROM golang`},
		{"cgo on", "dockerfile", "CGO_ENABLED=0 ", "", `CGO_ENABLED=0`},
		{"no entrypoint", "dockerfile", `ENTRYPOINT ["/usr/local/bin/mallbots"]`, `ENTRYPOINT ["/bin/sh"]`, `ENTRYPOINT`},
		{"no expose", "dockerfile", "EXPOSE 8080", "EXPOSE 9090", `EXPOSE 8080`},
		{"runs as root", "dockerfile", "USER nonroot:nonroot", "USER root", `runs as root`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, d, g := compose, dockerfile, goMod
			target := map[string]*[]byte{"compose": &c, "dockerfile": &d, "go.mod": &g}[tt.file]
			if !strings.Contains(string(*target), tt.old) {
				t.Fatalf("%s no longer contains %q: update this test case", tt.file, tt.old)
			}
			*target = []byte(strings.Replace(string(*target), tt.old, tt.new, 1))

			problems := append(checkCompose(c), checkDockerfile(d, g)...)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("want a problem containing %q, got %q", tt.want, problems)
			}
		})
	}
}

func readOpsFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return data
}

// composeService holds the fields checked here. Fields with both a short and
// a long syntax in the compose spec are kept as yaml.Node and normalised below.
type composeService struct {
	Image       string         `yaml:"image"`
	Build       yaml.Node      `yaml:"build"`
	Environment yaml.Node      `yaml:"environment"`
	Ports       []yaml.Node    `yaml:"ports"`
	DependsOn   yaml.Node      `yaml:"depends_on"`
	Healthcheck map[string]any `yaml:"healthcheck"`
	Command     yaml.Node      `yaml:"command"`
}

// checkCompose returns every problem found in docker-compose.yml.
func checkCompose(data []byte) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		return []string{"docker-compose.yml: " + err.Error()}
	}
	if _, ok := top["version"]; ok {
		add("docker-compose.yml has the obsolete top-level `version` key (the compose spec ignores it and warns)")
	}
	var file struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		return append(problems, "docker-compose.yml services: "+err.Error())
	}

	// Pinned to the versions Debian 12 ships, which scripts/services.sh installs.
	images := []struct{ service, repo, tag string }{
		{"postgres", "postgres", "15"},
		{"rabbitmq", "rabbitmq", "3.10-management"},
	}
	for _, img := range images {
		svc, ok := file.Services[img.service]
		if !ok {
			add("docker-compose.yml: service %q is missing", img.service)
			continue
		}
		repo, tag, _ := strings.Cut(svc.Image, ":")
		switch {
		case tag == "" || tag == "latest":
			add("service %q: image %q must be pinned to a version, want %s:%s", img.service, svc.Image, img.repo, img.tag)
		case repo != img.repo || tag != img.tag:
			add("service %q: image is %q, want %s:%s", img.service, svc.Image, img.repo, img.tag)
		}
		if !hasHealthcheck(svc.Healthcheck) {
			add("service %q has no healthcheck, so depends_on cannot wait until it is ready", img.service)
		}
	}

	app, ok := file.Services["mallbots"]
	if !ok {
		add("docker-compose.yml: service %q is missing", "mallbots")
		return problems
	}
	if app.Build.IsZero() {
		add("service mallbots has no build section: it must be built from this repository's Dockerfile")
	}
	if cmd := nodeStrings(app.Command); len(cmd) == 0 || cmd[0] != "serve" {
		add("service mallbots: command is %q, want [serve ...]", cmd)
	}

	ports := []struct {
		service          string
		published, inner int
	}{
		{"postgres", 5432, 5432},
		{"rabbitmq", 5672, 5672},
		{"rabbitmq", 15672, 15672},
		{"mallbots", 8080, 8080},
	}
	for _, p := range ports {
		svc, ok := file.Services[p.service]
		if !ok {
			continue // reported above
		}
		found := false
		for _, pp := range publishedPorts(svc.Ports) {
			if pp.published != p.published || pp.inner != p.inner {
				continue
			}
			found = true
			if pp.hostIP != "127.0.0.1" {
				add("service %q publishes %d on every host interface (host IP %q): publish it on 127.0.0.1 only, as %q", p.service, p.published, pp.hostIP, fmt.Sprintf("127.0.0.1:%d:%d", p.published, p.inner))
			}
		}
		if !found {
			add("service %q does not publish %d (want host port %d mapped to container port %d)", p.service, p.published, p.published, p.inner)
		}
	}

	deps := dependsOn(app.DependsOn)
	for _, dep := range []string{"postgres", "rabbitmq"} {
		if cond, ok := deps[dep]; !ok || cond != "service_healthy" {
			add("service mallbots must depend on %s with condition service_healthy (got %q), or it starts before the server accepts connections", dep, cond)
		}
	}

	env := environment(app.Environment)
	urls := []struct{ name, scheme, host, port string }{
		{"MALLBOTS_DATABASE_URL", "postgres", "postgres", "5432"},
		{"MALLBOTS_AMQP_URL", "amqp", "rabbitmq", "5672"},
	}
	for _, want := range urls {
		raw, ok := env[want.name]
		if !ok {
			add("service mallbots: %s is not set", want.name)
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			add("service mallbots: %s=%q: %v", want.name, raw, err)
			continue
		}
		if u.Scheme != want.scheme && !(want.scheme == "postgres" && u.Scheme == "postgresql") {
			add("service mallbots: %s scheme is %q, want %s", want.name, u.Scheme, want.scheme)
		}
		if u.Hostname() != want.host || u.Port() != want.port {
			add("service mallbots: %s host is %q port %q, want the compose service %s:%s", want.name, u.Hostname(), u.Port(), want.host, want.port)
		}
	}
	if raw, ok := env["MALLBOTS_DATABASE_URL"]; ok {
		pg := environment(file.Services["postgres"].Environment)
		if u, err := url.Parse(raw); err == nil && strings.TrimPrefix(u.Path, "/") != pg["POSTGRES_DB"] {
			add("service mallbots: MALLBOTS_DATABASE_URL names database %q but postgres creates %q (POSTGRES_DB)", strings.TrimPrefix(u.Path, "/"), pg["POSTGRES_DB"])
		}
	}
	if addr, ok := env["MALLBOTS_HTTP_ADDR"]; ok {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || port != "8080" {
			add("service mallbots: MALLBOTS_HTTP_ADDR %q must listen on port 8080, the published container port", addr)
		} else if host != "0.0.0.0" {
			add("service mallbots: MALLBOTS_HTTP_ADDR %q must listen on 0.0.0.0 (say so explicitly): serve's default is loopback, which the published port cannot reach", addr)
		}
	} else {
		add("service mallbots: MALLBOTS_HTTP_ADDR is not set; serve's default is loopback, which the published port cannot reach")
	}
	return problems
}

func hasHealthcheck(h map[string]any) bool {
	if h == nil || h["disable"] == true || h["test"] == nil {
		return false
	}
	if test, ok := h["test"].([]any); ok {
		return len(test) > 0 && test[0] != "NONE"
	}
	return true
}

// nodeStrings reads a string or a list of strings.
func nodeStrings(n yaml.Node) []string {
	var list []string
	if n.Decode(&list) == nil {
		return list
	}
	var s string
	if n.Decode(&s) == nil && s != "" {
		return strings.Fields(s)
	}
	return nil
}

// publishedPort is one port a compose service publishes on the host.
type publishedPort struct {
	hostIP           string // "" means every interface
	published, inner int
}

// publishedPorts reads the short syntax ("8080:8080", "127.0.0.1:8080:8080",
// "8080:8080/tcp") and the long one ({target: 8080, published: 8080,
// host_ip: 127.0.0.1}).
func publishedPorts(nodes []yaml.Node) []publishedPort {
	var out []publishedPort
	for _, n := range nodes {
		var long struct {
			Target    int    `yaml:"target"`
			Published string `yaml:"published"`
			HostIP    string `yaml:"host_ip"`
		}
		if n.Kind == yaml.MappingNode {
			if n.Decode(&long) == nil {
				if p, err := strconv.Atoi(long.Published); err == nil {
					out = append(out, publishedPort{long.HostIP, p, long.Target})
				}
			}
			continue
		}
		var short string
		if n.Decode(&short) != nil {
			continue
		}
		short, _, _ = strings.Cut(short, "/")
		parts := strings.Split(short, ":")
		if len(parts) < 2 {
			continue // container port only: published on a random host port
		}
		host, err1 := strconv.Atoi(parts[len(parts)-2])
		inner, err2 := strconv.Atoi(parts[len(parts)-1])
		if err1 == nil && err2 == nil {
			out = append(out, publishedPort{strings.Join(parts[:len(parts)-2], ":"), host, inner})
		}
	}
	return out
}

// dependsOn maps each dependency to its condition; the list syntax means
// service_started.
func dependsOn(n yaml.Node) map[string]string {
	out := map[string]string{}
	var list []string
	if n.Decode(&list) == nil {
		for _, s := range list {
			out[s] = "service_started"
		}
		return out
	}
	var long map[string]struct {
		Condition string `yaml:"condition"`
	}
	if n.Decode(&long) == nil {
		for name, d := range long {
			cond := d.Condition
			if cond == "" {
				cond = "service_started"
			}
			out[name] = cond
		}
	}
	return out
}

// environment reads the map syntax and the list syntax ("KEY=value").
func environment(n yaml.Node) map[string]string {
	out := map[string]string{}
	if n.Decode(&out) == nil {
		return out
	}
	var list []string
	if n.Decode(&list) == nil {
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
	}
	return out
}

// dockerStage is one FROM ... stage of a Dockerfile with its instructions.
type dockerStage struct {
	image        string
	instructions [][2]string // keyword (upper case), arguments
}

// parseDockerfile splits a Dockerfile into stages, joining continuation lines
// and dropping comments. It understands what this repository's Dockerfile
// uses, not every Dockerfile feature.
func parseDockerfile(data []byte) []dockerStage {
	var stages []dockerStage
	var logical strings.Builder
	flush := func() {
		line := strings.TrimSpace(logical.String())
		logical.Reset()
		if line == "" {
			return
		}
		keyword, args, _ := strings.Cut(line, " ")
		keyword = strings.ToUpper(keyword)
		args = strings.TrimSpace(args)
		if keyword == "FROM" {
			var image string
			for _, f := range strings.Fields(args) {
				if !strings.HasPrefix(f, "--") {
					image = f
					break
				}
			}
			stages = append(stages, dockerStage{image: image})
			return
		}
		if len(stages) > 0 {
			s := &stages[len(stages)-1]
			s.instructions = append(s.instructions, [2]string{keyword, args})
		}
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			logical.WriteString(cont + " ")
			continue
		}
		logical.WriteString(line)
		flush()
	}
	flush()
	return stages
}

// goDirective returns the version of the `go` line of go.mod.
func goDirective(goMod []byte) string {
	for line := range strings.Lines(string(goMod)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// checkDockerfile returns every problem found in the Dockerfile.
func checkDockerfile(dockerfile, goMod []byte) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	stages := parseDockerfile(dockerfile)
	if len(stages) < 2 {
		return []string{fmt.Sprintf("Dockerfile has %d stages, want a golang build stage and a runtime stage", len(stages))}
	}

	goVersion := goDirective(goMod)
	if goVersion == "" {
		add("go.mod has no go directive")
	}
	var build *dockerStage
	for i := range stages {
		if strings.HasPrefix(stages[i].image, "golang:") {
			build = &stages[i]
			break
		}
	}
	if build == nil {
		add("Dockerfile has no build stage FROM golang:<version>")
	} else {
		tag := strings.TrimPrefix(build.image, "golang:")
		imageGo, _, _ := strings.Cut(tag, "-") // 1.26-bookworm -> 1.26
		// A golang:1.26 tag floats to the newest 1.26.x, which satisfies any
		// go 1.26.x directive; a patch-pinned tag must match exactly.
		directive := goVersion
		if strings.Count(imageGo, ".") == 1 && strings.Count(directive, ".") == 2 {
			directive = directive[:strings.LastIndex(directive, ".")]
		}
		if imageGo != directive {
			add("Dockerfile builds with %s but go.mod says go %s: keep them equal", build.image, goVersion)
		}
		built := false
		for _, in := range build.instructions {
			if in[0] == "RUN" && strings.Contains(in[1], "go build") {
				built = true
				if !strings.Contains(in[1], "CGO_ENABLED=0") {
					add("Dockerfile: the go build must set CGO_ENABLED=0, the runtime image has no libc: %s", in[1])
				}
			}
		}
		if !built {
			add("Dockerfile: the %s stage has no RUN go build", build.image)
		}
	}

	final := stages[len(stages)-1]
	var entrypoint []string
	exposed, user, everyInterface := false, "", false
	for _, in := range final.instructions {
		switch in[0] {
		case "ENV":
			for _, f := range strings.Fields(in[1]) {
				everyInterface = everyInterface || f == "MALLBOTS_HTTP_ADDR=0.0.0.0:8080"
			}
		case "ENTRYPOINT":
			entrypoint = nil
			if json.Unmarshal([]byte(in[1]), &entrypoint) != nil {
				entrypoint = strings.Fields(in[1]) // shell form
			}
		case "EXPOSE":
			for _, p := range strings.Fields(in[1]) {
				if strings.TrimSuffix(p, "/tcp") == "8080" {
					exposed = true
				}
			}
		case "USER":
			user = in[1]
		}
	}
	if len(entrypoint) == 0 || !strings.HasSuffix(entrypoint[0], "mallbots") {
		add("Dockerfile: the final stage's ENTRYPOINT %q does not run mallbots", entrypoint)
	}
	if !exposed {
		add("Dockerfile: the final stage does not EXPOSE 8080, the port of MALLBOTS_HTTP_ADDR")
	}
	if !everyInterface {
		add("Dockerfile: the final stage must set ENV MALLBOTS_HTTP_ADDR=0.0.0.0:8080: serve listens on loopback by default, which no published port reaches")
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		add("Dockerfile: the final stage runs as root (USER %q), want a non-root user", user)
	}
	return problems
}
