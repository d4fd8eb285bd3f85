// Package dsn keeps the secrets of connection strings out of everything
// mallbots prints. A connection string is a PostgreSQL DSN, in URL form
// (postgres://user:password@host/db?sslpassword=…) or keyword/value form
// (host=db user=u password='se cret' dbname=x), or an AMQP URL
// (amqp://user:password@host/vhost). Redact makes one printable; Scrub and
// RedactError mask its passwords wherever a library echoed them into a
// message. It is the one place that knows where passwords hide, so every
// package that prints a connection string or an error about one uses it.
// Stdlib only, so that config, postgres and broker can all import it.
package dsn

import (
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Mask replaces every password Redact and Scrub find.
const Mask = "xxxxx"

// Unparseable is what Redact returns for a connection string it cannot take
// apart: printing any of it might print a password.
const Unparseable = "<unparseable connection string>"

// Redact returns s with every password replaced by Mask, safe for logs,
// errors and health reports:
//
//   - a URL (any scheme://) keeps its user, host, port, path and query but
//     masks the userinfo password, the value of every query parameter whose
//     name holds "pass", "secret" or "token" (password, sslpassword, …) and
//     the fragment;
//   - a keyword/value string (as libpq and pgx read it: key = value, values
//     optionally single-quoted with backslash escapes) keeps every pair but
//     masks the same values, quotes included;
//   - anything that parses as neither is Unparseable, whole.
func Redact(s string) string {
	if isURL(s) {
		u, err := url.Parse(s)
		if err != nil {
			return Unparseable
		}
		return redactURL(u)
	}
	pairs, err := parseKeywordValue(s)
	if err != nil {
		return Unparseable
	}
	var b strings.Builder
	last := 0
	for _, p := range pairs {
		if secretKey(p.key) {
			b.WriteString(s[last:p.rawStart])
			b.WriteString(Mask)
			last = p.rawEnd
		}
	}
	b.WriteString(s[last:])
	return b.String()
}

// Scrub returns text with every password of the connection strings masked,
// wherever it appears: in the escaped form the string carries and in its
// decoded form, so a library error that echoes the input (or a part of it)
// becomes safe to print. For a connection string it cannot parse, Scrub masks
// the string itself and whatever follows "://…:" up to the last "@" or a
// "password=", since either may be a password. A connection string already
// rendered by Redact is left whole, so that a password equal to the user
// name (guest:guest) does not mask the user in it too.
func Scrub(text string, connStrings ...string) string {
	var secrets, rendered []string
	for _, s := range connStrings {
		secrets = append(secrets, passwordsIn(s)...)
		if r := Redact(s); r != Unparseable {
			rendered = append(rendered, r)
		}
	}
	// Longest first, so a secret that contains another is masked whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	mask := func(part string) string {
		for _, secret := range secrets {
			if secret != "" {
				part = strings.ReplaceAll(part, secret, Mask)
			}
		}
		return part
	}
	var b strings.Builder
	for {
		at, r := -1, ""
		for _, candidate := range rendered {
			if i := strings.Index(text, candidate); i >= 0 && (at < 0 || i < at) {
				at, r = i, candidate
			}
		}
		if at < 0 {
			b.WriteString(mask(text))
			return b.String()
		}
		b.WriteString(mask(text[:at]))
		b.WriteString(r)
		text = text[at+len(r):]
	}
}

// RedactError returns err with its message scrubbed of the connection
// strings' passwords (see Scrub); errors.Is and errors.As still see the
// errors it wraps. A nil err stays nil.
func RedactError(err error, connStrings ...string) error {
	if err == nil {
		return nil
	}
	return &redactedError{err: err, msg: Scrub(err.Error(), connStrings...)}
}

type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// KeywordValues parses a keyword/value connection string the way libpq and
// pgx do ("host=db port=5432 password='a b'") into its settings, unescaped.
// Its errors never quote the input.
func KeywordValues(s string) (map[string]string, error) {
	pairs, err := parseKeywordValue(s)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		out[p.key] = p.value
	}
	return out, nil
}

// IsURL reports whether s is in URL form (scheme://…) rather than
// keyword/value form.
func IsURL(s string) bool { return isURL(s) }

func isURL(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return false
	}
	for i, c := range scheme {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// secretKey reports whether a query parameter or keyword names a secret.
func secretKey(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "pass") || strings.Contains(k, "secret") || strings.Contains(k, "token")
}

func redactURL(u *url.URL) string {
	r := *u
	if _, has := r.User.Password(); has {
		r.User = url.UserPassword(r.User.Username(), Mask)
	}
	if r.RawQuery != "" {
		q := r.Query()
		masked := false
		for k := range q {
			if secretKey(k) {
				q[k] = []string{Mask}
				masked = true
			}
		}
		if masked {
			r.RawQuery = q.Encode()
		}
	}
	if r.Fragment != "" || r.RawFragment != "" {
		r.Fragment, r.RawFragment = Mask, ""
	}
	return r.String()
}

// passwordsIn lists the secrets of one connection string, raw and decoded.
func passwordsIn(s string) []string {
	var out []string
	if isURL(s) {
		u, err := url.Parse(s)
		if err != nil {
			return append(out, unparsedSecrets(s)...)
		}
		if pw, has := u.User.Password(); has {
			out = append(out, pw)
			if raw, ok := rawUserPassword(s); ok {
				out = append(out, raw)
			}
		}
		for _, kv := range strings.Split(u.RawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if dk, err := url.QueryUnescape(k); err == nil && secretKey(dk) {
				out = append(out, v)
				if dv, err := url.QueryUnescape(v); err == nil {
					out = append(out, dv)
				}
			}
		}
		if u.Fragment != "" {
			out = append(out, u.Fragment, u.EscapedFragment())
		}
		return out
	}
	pairs, err := parseKeywordValue(s)
	if err != nil {
		return append(out, unparsedSecrets(s)...)
	}
	for _, p := range pairs {
		if secretKey(p.key) {
			out = append(out, s[p.rawStart:p.rawEnd], p.value)
		}
	}
	return out
}

// rawUserPassword returns the userinfo password of a URL as written.
func rawUserPassword(s string) (string, bool) {
	_, rest, _ := strings.Cut(s, "://")
	authority, _, _ := strings.Cut(rest, "/")
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return "", false
	}
	_, pw, ok := strings.Cut(authority[:at], ":")
	return pw, ok
}

// unparsedSecrets is Scrub's best effort for a connection string that does
// not parse: the whole string, a URL's userinfo after the first colon, and
// everything after a "password=".
func unparsedSecrets(s string) []string {
	out := []string{s}
	if _, rest, ok := strings.Cut(s, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				out = append(out, pw)
			}
		}
	}
	lower := strings.ToLower(s)
	for i := 0; ; {
		j := strings.Index(lower[i:], "pass")
		if j < 0 {
			break
		}
		i += j + len("pass")
		if eq := strings.IndexByte(s[i:], '='); eq >= 0 {
			if v := strings.TrimLeft(s[i+eq+1:], " \t\n\r\v\f'"); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// pair is one keyword/value setting with the span of its raw value (quotes
// included) in the input.
type pair struct {
	key, value       string
	rawStart, rawEnd int
}

var (
	errNoEquals   = errors.New(`a keyword is not followed by "="`)
	errUnfinished = errors.New("a quoted value is not terminated")
	errNUL        = errors.New("a NUL character is not allowed")
	errNoKeyword  = errors.New(`"=" without a keyword`)
)

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// parseKeywordValue follows pgx's parseKeywordValueSettings (libpq's
// conninfo syntax): keyword, optional spaces, "=", optional spaces, then a
// value that is either single-quoted (backslash escapes, may hold spaces) or
// runs to the next space (backslash escapes too).
func parseKeywordValue(s string) ([]pair, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, errNUL
	}
	var pairs []pair
	i := 0
	skip := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	skip()
	for i < len(s) {
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		skip()
		if i >= len(s) || s[i] != '=' {
			return nil, errNoEquals
		}
		if key == "" {
			return nil, errNoKeyword
		}
		i++ // '='
		skip()
		p := pair{key: key, rawStart: i}
		var value strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			for ; ; i++ {
				if i >= len(s) {
					return nil, errUnfinished
				}
				if s[i] == '\'' {
					break
				}
				if s[i] == '\\' {
					i++
					if i >= len(s) {
						return nil, errUnfinished
					}
				}
				value.WriteByte(s[i])
			}
			i++ // closing quote
		} else {
			for ; i < len(s) && !isSpace(s[i]); i++ {
				if s[i] == '\\' {
					i++
					if i >= len(s) {
						break // a trailing backslash ends the value, as in libpq
					}
				}
				value.WriteByte(s[i])
			}
		}
		p.rawEnd, p.value = i, value.String()
		pairs = append(pairs, p)
		skip()
	}
	if len(pairs) == 0 {
		return nil, errNoEquals
	}
	return pairs, nil
}
