package main

// Checks of the RabbitMQ configuration scripts/services.sh writes. The
// shared broker is never restarted: the script writes into a temporary
// directory (its rabbitmq-config mode) and the files are checked as
// RabbitMQ reads them: rabbitmq.conf's effective key = value settings, and
// rabbitmq-env.conf sourced by a shell.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runRabbitConfig runs the script's rabbitmq-config mode on conf and
// mnesia and returns what it printed.
func runRabbitConfig(t *testing.T, conf, mnesia string) string {
	t.Helper()
	out, err := exec.Command("bash", "scripts/services.sh", "rabbitmq-config", conf, mnesia).CombinedOutput()
	if err != nil {
		t.Fatalf("services.sh rabbitmq-config: %v\n%s", err, out)
	}
	return string(out)
}

// rabbitSettings returns rabbitmq.conf's effective settings: every
// key = value line that is not a comment, in order.
func rabbitSettings(conf string) [][2]string {
	var out [][2]string
	for line := range strings.Lines(conf) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		out = append(out, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return out
}

// checkRabbitConf returns what in rabbitmq.conf makes RabbitMQ listen
// beyond loopback. Without any listeners.tcp.* key RabbitMQ listens on
// every interface, and without management.tcp.ip so does the console.
func checkRabbitConf(conf string) []string {
	var problems []string
	seen := map[string]bool{}
	listeners, managementIP := 0, ""
	for _, kv := range rabbitSettings(conf) {
		k, v := kv[0], kv[1]
		if seen[k] {
			problems = append(problems, fmt.Sprintf("%s is set twice", k))
		}
		seen[k] = true
		switch {
		case strings.HasPrefix(k, "listeners.tcp."):
			listeners++
			if !strings.HasPrefix(v, "127.0.0.1:") {
				problems = append(problems, fmt.Sprintf("AMQP listener %s = %s is not on loopback", k, v))
			}
		case k == "management.tcp.ip":
			managementIP = v
		}
	}
	if listeners == 0 {
		problems = append(problems, "no listeners.tcp.* key: AMQP listens on every interface")
	}
	if managementIP != "127.0.0.1" {
		problems = append(problems, fmt.Sprintf("management.tcp.ip is %q: the console listens beyond loopback", managementIP))
	}
	return problems
}

// sourceEnv returns the variables RabbitMQ's scripts read from
// rabbitmq-env.conf, by sourcing it as they do.
func sourceEnv(t *testing.T, file string) map[string]string {
	t.Helper()
	names := []string{"ERL_EPMD_ADDRESS", "NODENAME", "SERVER_ADDITIONAL_ERL_ARGS", "ERL_FLAGS"}
	// Start from Debian's default soft limit, which the file must raise.
	script := "ulimit -S -n 1024; . \"$1\" && printf '%s\\n'"
	for _, n := range names {
		script += ` "$` + n + `"`
	}
	// What the file does to the open-files limit of the shell sourcing it.
	names = append(names, "soft limit", "hard limit")
	script += ` "$(ulimit -S -n)" "$(ulimit -H -n)"`
	out, err := exec.Command("sh", "-c", script, "sh", file).Output()
	if err != nil {
		t.Fatalf("sourcing %s: %v", file, err)
	}
	values := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	got := map[string]string{}
	for i, n := range names {
		got[n] = values[i]
	}
	return got
}

func TestServicesScriptBindsRabbitMQToLoopback(t *testing.T) {
	const distArgs = "-kernel inet_dist_use_interface {127,0,0,1}"
	tests := []struct {
		name          string
		conf, env     string   // the files before the script runs; "" = missing
		nodes         []string // node data directories in mnesia
		wantNode      string   // NODENAME the env file gives, "" for none
		keepConf      []string // lines of others that must stay in effect
		keepEnvFlags  string
		wantLogSubstr string
	}{
		{name: "fresh machine", wantNode: "rabbit@localhost"},
		{
			name:  "this machine",
			conf:  "listeners.tcp.local = 127.0.0.1:5672\n",
			env:   "NODENAME=rabbit@localhost\nERL_EPMD_ADDRESS=127.0.0.1\nexport ERL_FLAGS=\"" + distArgs + "\"\n",
			nodes: []string{"rabbit@localhost", "rabbit@localhost-feature_flags", "rabbit@localhost.pid"},
			// The other settings this machine already had stay.
			wantNode: "rabbit@localhost", keepEnvFlags: distArgs,
		},
		{
			name:     "defaults on every interface, other settings kept",
			conf:     "listeners.tcp.default = 5672\nmanagement.tcp.port = 15672\nloopback_users.guest = false\n  listeners.tcp.other=0.0.0.0:5673\n",
			env:      "export RABBITMQ_NODENAME=rabbit@localhost\n",
			wantNode: "rabbit@localhost", keepConf: []string{"loopback_users.guest = false"},
		},
		{
			name:          "data under the host's node name is kept",
			conf:          "management.tcp.ip = 0.0.0.0\n",
			nodes:         []string{"rabbit@myhost", "rabbit@myhost-plugins-expand"},
			wantLogSubstr: "keeping it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			conf, mnesia := filepath.Join(dir, "etc"), filepath.Join(dir, "mnesia")
			for _, d := range append([]string{conf, mnesia}, tt.nodes...) {
				if !strings.HasPrefix(d, dir) {
					d = filepath.Join(mnesia, d)
				}
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			confFile, envFile := filepath.Join(conf, "rabbitmq.conf"), filepath.Join(conf, "rabbitmq-env.conf")
			for file, content := range map[string]string{confFile: tt.conf, envFile: tt.env} {
				if content != "" {
					if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}

			log := runRabbitConfig(t, conf, mnesia)
			if !strings.Contains(log, tt.wantLogSubstr) {
				t.Errorf("output lacks %q:\n%s", tt.wantLogSubstr, log)
			}
			confAfter, _ := os.ReadFile(confFile)
			envAfter, _ := os.ReadFile(envFile)
			for _, p := range checkRabbitConf(string(confAfter)) {
				t.Errorf("rabbitmq.conf: %s\n%s", p, confAfter)
			}
			settings := rabbitSettings(string(confAfter))
			for _, keep := range tt.keepConf {
				k, v, _ := strings.Cut(keep, " = ")
				if !slices.Contains(settings, [2]string{k, v}) {
					t.Errorf("rabbitmq.conf lost %q:\n%s", keep, confAfter)
				}
			}

			env := sourceEnv(t, envFile)
			if env["ERL_EPMD_ADDRESS"] != "127.0.0.1" {
				t.Errorf("ERL_EPMD_ADDRESS = %q, want 127.0.0.1 (epmd on loopback)\n%s", env["ERL_EPMD_ADDRESS"], envAfter)
			}
			wantDist := ""
			if tt.wantNode != "" {
				wantDist = distArgs
			}
			if env["NODENAME"] != tt.wantNode || env["SERVER_ADDITIONAL_ERL_ARGS"] != wantDist {
				t.Errorf("NODENAME = %q, SERVER_ADDITIONAL_ERL_ARGS = %q; want %q, %q\n%s",
					env["NODENAME"], env["SERVER_ADDITIONAL_ERL_ARGS"], tt.wantNode, wantDist, envAfter)
			}
			if env["soft limit"] != env["hard limit"] {
				t.Errorf("open files: soft limit %s, want it raised to the hard limit %s", env["soft limit"], env["hard limit"])
			}
			if env["ERL_FLAGS"] != tt.keepEnvFlags {
				t.Errorf("ERL_FLAGS = %q, want %q kept", env["ERL_FLAGS"], tt.keepEnvFlags)
			}

			// Idempotent: a second run changes nothing and says so.
			again := runRabbitConfig(t, conf, mnesia)
			confAgain, _ := os.ReadFile(confFile)
			envAgain, _ := os.ReadFile(envFile)
			if string(confAgain) != string(confAfter) || string(envAgain) != string(envAfter) || strings.Count(again, "(skip)") != 2 {
				t.Errorf("a second run changed the files or did not skip:\n%s\n%s\n%s", again, confAgain, envAgain)
			}
		})
	}
}

// TestRabbitConfCheckCanFail feeds the check configurations that listen
// beyond loopback.
func TestRabbitConfCheckCanFail(t *testing.T) {
	for conf, want := range map[string]string{
		"":                                 "AMQP listens on every interface",
		"listeners.tcp.default = 5672\n":   "is not on loopback",
		"listeners.tcp.1 = 127.0.0.1:5672": "console listens beyond loopback",
		"listeners.tcp.1 = 127.0.0.1:5672\nmanagement.tcp.ip = 127.0.0.1\nlisteners.tcp.1 = 127.0.0.1:5673": "set twice",
	} {
		if problems := checkRabbitConf(conf); !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("checkRabbitConf(%q) = %q, want a problem containing %q", conf, problems, want)
		}
	}
}
