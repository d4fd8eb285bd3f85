package cmd

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/internal/testkit"
)

// password is in every connection string below; no command may print it.
const password = "s3cret-pw"

// keywordValueDSN rewrites a postgres:// URL into libpq's keyword/value form
// with the given password clause (PostgreSQL trusts loopback here, so a
// password does not stop the login).
func keywordValueDSN(t *testing.T, rawURL, passwordClause string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("host=%s port=%s user=%s %s dbname=%s sslmode=disable",
		u.Hostname(), u.Port(), u.User.Username(), passwordClause, strings.TrimPrefix(u.Path, "/"))
}

// TestNoCommandPrintsAPassword runs every command that connects to the
// database or the broker with connection strings holding a password, in
// every form (keyword/value plain and quoted, URL, AMQP URL), against servers
// that are up, down or misconfigured: the password never reaches stdout,
// stderr or the returned error, while the redacted form does show.
func TestNoCommandPrintsAPassword(t *testing.T) {
	_, dbURL := testkit.Database(t)
	vhost := testkit.VHost(t)
	down := testkit.ClosedAddr(t)
	host, port, _ := net.SplitHostPort(down)

	goodKV := keywordValueDSN(t, dbURL, "password="+password)
	quotedKV := keywordValueDSN(t, dbURL, "password = '"+password+" x'")
	downKV := fmt.Sprintf("host=%s port=%s user=u password=%s dbname=x sslmode=disable", host, port, password)
	badPortKV := fmt.Sprintf("host=%s port=notaport user=u password=%s dbname=x", host, password)
	downURL := fmt.Sprintf("postgres://u:%s@%s/x?sslmode=disable", password, down)
	badPoolURL := fmt.Sprintf("postgres://u:%s@%s/x?pool_max_conns=many", password, down)
	downAMQP := fmt.Sprintf("amqp://guest:%s@%s/", password, down)

	for _, tc := range []struct {
		name     string
		args     []string
		db, amqp string
		wantOK   bool
		wantOut  string // a redacted rendering that must show instead
	}{
		{"migrate keyword/value", []string{"migrate"}, goodKV, "", true, ""},
		{"migrate quoted keyword/value", []string{"migrate"}, quotedKV, "", true, ""},
		{"migrate database down", []string{"migrate"}, downKV, "", false, "PostgreSQL"},
		{"migrate URL database down", []string{"migrate"}, downURL, "", false, "PostgreSQL"},
		{"migrate malformed port", []string{"migrate"}, badPortKV, "", false, "password=xxxxx"},
		{"migrate malformed pool size", []string{"migrate"}, badPoolURL, "", false, "u:xxxxx@"},
		{"serve database down", []string{"serve"}, downKV, downAMQP, false, "password=xxxxx"},
		{"serve broker down", []string{"serve", "--http-addr=127.0.0.1:0"}, goodKV, downAMQP, false, "guest:xxxxx@"},
		{"topology --check broker down", []string{"topology", "--check", "--service=stores"}, "", downAMQP, false, "guest:xxxxx@"},
		{"replay list broker down", []string{"replay", "list"}, downKV, downAMQP, false, "guest:xxxxx@"},
		{"replay history database down", []string{"replay", "history"}, downKV, vhost, false, "PostgreSQL"},
		{"replay history keyword/value", []string{"replay", "history"}, goodKV, vhost, true, ""},
		{"status database down, management API refusing the password", []string{"status", "--interval=0"}, downKV, downAMQP, false, "http://guest:xxxxx@127.0.0.1:15672"},
		{"status URL database down", []string{"status", "--interval=0", "--management-url=http://guest:" + password + "@" + down}, downURL, vhost, false, "http://guest:xxxxx@" + down},
		{"status keyword/value", []string{"status", "--interval=0", "--service=stores"}, goodKV, vhost, false, "outbox  0 rows waiting, relay idle"},
		{"bench database down", []string{"bench", "--url=http://" + down}, downURL, downAMQP, false, ""},
		{"demo broker down", []string{"demo", "--url=http://" + down}, "", downAMQP, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.db != "" {
				t.Setenv("MALLBOTS_DATABASE_URL", tc.db)
			}
			if tc.amqp != "" {
				t.Setenv("MALLBOTS_AMQP_URL", tc.amqp)
			}
			t.Setenv("MALLBOTS_CONNECT_TIMEOUT", "1s")
			var out, errb bytes.Buffer
			err := Execute(tc.args, &out, &errb)
			if (err == nil) != tc.wantOK {
				t.Fatalf("%v returned %v, want success %v\nstdout: %s\nstderr: %s", tc.args, err, tc.wantOK, &out, &errb)
			}
			if ExitCode(err) == 2 {
				t.Fatalf("%v rejected its configuration: %v", tc.args, err)
			}
			all := out.String() + errb.String()
			if err != nil {
				all += err.Error()
			}
			if strings.Contains(all, password) {
				t.Fatalf("%v printed the password:\n%s", tc.args, all)
			}
			if !strings.Contains(all, tc.wantOut) {
				t.Errorf("%v output lacks %q:\n%s", tc.args, tc.wantOut, all)
			}
		})
	}
}

// TestInvalidConnectionStringsAreReportedRedacted: a DSN that configuration
// rejects is named without its password (exit code 2).
func TestInvalidConnectionStringsAreReportedRedacted(t *testing.T) {
	for _, tc := range []struct{ env, value, want string }{
		{"MALLBOTS_DATABASE_URL", "host=db user=u password=" + password, "names no database"},
		{"MALLBOTS_DATABASE_URL", "host=db password='" + password + " dbname=x", "<unparseable connection string>"},
		{"MALLBOTS_DATABASE_URL", "mysql://u:" + password + "@db/x", "mysql://u:xxxxx@db/x"},
		{"MALLBOTS_AMQP_URL", "http://guest:" + password + "@mq/", "http://guest:xxxxx@mq/"},
		{"MALLBOTS_AMQP_URL", "amqp://guest:" + password + "@mq:port/", "<unparseable connection string>"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			args := []string{"migrate"}
			if tc.env == "MALLBOTS_AMQP_URL" {
				args = []string{"topology", "--check"}
			}
			var out, errb bytes.Buffer
			err := Execute(args, &out, &errb)
			if ExitCode(err) != 2 {
				t.Fatalf("exit code %d (%v), want 2", ExitCode(err), err)
			}
			if strings.Contains(errb.String(), password) || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("stderr = %q, want %q and no password", errb.String(), tc.want)
			}
		})
	}
}
