package dsn_test

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/dsn"
)

// Each case holds a password ("s3cret" or a variant) that must never appear
// in Redact's result, nor in a message that echoes the input once scrubbed.
var cases = []struct {
	name, in, want string
	secrets        []string // every spelling of the password in the input
}{
	{"url", "postgres://u:s3cret@db:5432/x?sslmode=disable",
		"postgres://u:xxxxx@db:5432/x?sslmode=disable", []string{"s3cret"}},
	{"url escaped", "postgresql://u:s3%40cret@db/x",
		"postgresql://u:xxxxx@db/x", []string{"s3%40cret", "s3@cret"}},
	{"url unescaped at", "postgres://u:s3@cret@db/x",
		"postgres://u:xxxxx@db/x", []string{"s3@cret"}},
	{"url query", "postgres://db/x?user=u&password=s3cret&sslpassword=k3y-s3cret",
		"postgres://db/x?password=xxxxx&sslpassword=xxxxx&user=u", []string{"s3cret", "k3y-s3cret"}},
	{"url fragment", "postgres://u@db/x#s3cret", "postgres://u@db/x#xxxxx", []string{"s3cret"}},
	{"amqp", "amqp://guest:s3cret@mq:5672/vhost", "amqp://guest:xxxxx@mq:5672/vhost", []string{"s3cret"}},
	{"url without password", "postgres://postgres@127.0.0.1:5432/mallbots?sslmode=disable",
		"postgres://postgres@127.0.0.1:5432/mallbots?sslmode=disable", nil},
	{"keyword/value", "host=db user=u password=s3cret dbname=x",
		"host=db user=u password=xxxxx dbname=x", []string{"s3cret"}},
	{"keyword/value spaced", "host=db  password = s3cret\tdbname=x",
		"host=db  password = xxxxx\tdbname=x", []string{"s3cret"}},
	{"keyword/value quoted", "host=db password='s3 cr\\'et' dbname=x",
		"host=db password=xxxxx dbname=x", []string{"'s3 cr\\'et'", "s3 cr'et"}},
	{"keyword/value escaped space", `password=s3\ cret host=db`,
		"password=xxxxx host=db", []string{`s3\ cret`, "s3 cret"}},
	{"keyword/value sslpassword", "sslpassword=s3cret host=db", "sslpassword=xxxxx host=db", []string{"s3cret"}},
	// As in libpq, spaces after "=" are skipped: the password is "dbname=x".
	{"keyword/value spaces after equals", "host=db password= dbname=x", "host=db password= xxxxx", []string{"dbname=x"}},
	{"keyword/value empty", "host=db password=", "host=db password=xxxxx", nil},
	{"unterminated quote", "host=db password='s3cret dbname=x", dsn.Unparseable, []string{"s3cret dbname=x"}},
	{"bad url", "postgres://u:s3cret/x@db/x", dsn.Unparseable, []string{"s3cret/x"}},
	{"bad escape", "amqp://u:s3cret%zz@mq/", dsn.Unparseable, []string{"s3cret%zz"}},
	{"not a connection string", "s3cret", dsn.Unparseable, []string{"s3cret"}},
}

func TestRedact(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := dsn.Redact(tc.in)
			if got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
			for _, s := range tc.secrets {
				if strings.Contains(got, s) {
					t.Errorf("Redact(%q) = %q still holds %q", tc.in, got, s)
				}
			}
		})
	}
}

func TestScrubMasksEchoedPasswords(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A library message echoing the input whole and each spelling of
			// the password on its own, the way url.Parse and pgx do.
			msg := fmt.Sprintf("cannot parse %q: %s", tc.in, strings.Join(tc.secrets, " / "))
			got := dsn.Scrub(msg, tc.in)
			for _, s := range tc.secrets {
				if s != "" && strings.Contains(got, s) {
					t.Errorf("Scrub(%q) = %q still holds %q", msg, got, s)
				}
			}
		})
	}
	if got := dsn.Scrub("connect to db: refused", "postgres://u@db/x"); got != "connect to db: refused" {
		t.Errorf("Scrub changed a message without passwords: %q", got)
	}
}

// TestScrubKeepsRedactedRenderings: a password equal to the user name is
// masked where it stands alone, but a rendering Redact made keeps its user.
func TestScrubKeepsRedactedRenderings(t *testing.T) {
	in := "amqp://guest:guest@mq:5672/"
	msg := "connect to RabbitMQ at " + dsn.Redact(in) + ": login refused for guest (raw " + in + ")"
	want := "connect to RabbitMQ at amqp://guest:xxxxx@mq:5672/: login refused for xxxxx (raw amqp://xxxxx:xxxxx@mq:5672/)"
	if got := dsn.Scrub(msg, in); got != want {
		t.Errorf("Scrub = %q\nwant    %q", got, want)
	}
}

func TestScrubMasksARealURLParseError(t *testing.T) {
	in := "postgres://u:s3cret@db:notaport/x"
	_, err := url.Parse(in)
	if err == nil {
		t.Fatal("url.Parse accepted a non-numeric port")
	}
	if got := dsn.Scrub(err.Error(), in); strings.Contains(got, "s3cret") {
		t.Errorf("Scrub(%q) = %q leaks the password", err, got)
	}
}

func TestRedactErrorKeepsTheChain(t *testing.T) {
	in := "host=db password=s3cret dbname=x"
	err := dsn.RedactError(fmt.Errorf("parse %s: %w", in, io.ErrUnexpectedEOF), in)
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "password=xxxxx") {
		t.Errorf("RedactError = %q", err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("RedactError broke errors.Is")
	}
	if dsn.RedactError(nil, in) != nil {
		t.Error("RedactError(nil) is not nil")
	}
}

func TestKeywordValues(t *testing.T) {
	got, err := dsn.KeywordValues(`host=db port = 5433 password='a \'b' dbname=x`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"host": "db", "port": "5433", "password": "a 'b", "dbname": "x"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("KeywordValues = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "host", "host db", "=x", "password='s3cret", "host=db\x00"} {
		if _, err := dsn.KeywordValues(bad); err == nil {
			t.Errorf("KeywordValues(%q) accepted it", bad)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("KeywordValues(%q) error quotes the input: %v", bad, err)
		}
	}
}
