package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/dsn"
)

// queueColumns are the only fields asked of the management API, which
// otherwise returns dozens per queue.
const queueColumns = "name,messages,messages_ready,messages_unacknowledged,consumers," +
	"message_stats.publish_details.rate,message_stats.deliver_get_details.rate,message_stats.ack_details.rate"

// maxQueuesBody bounds the management API's answer (a vhost of tens of
// thousands of queues fits).
const maxQueuesBody = 64 << 20

// Management reads one virtual host's queues from the RabbitMQ management
// HTTP API. It is safe for concurrent use.
type Management struct {
	base     *url.URL // without user info: it never reaches an error message
	user     *url.Userinfo
	endpoint string // as given, credentials included, to scrub errors with
	vhost    string
	client   *http.Client
}

// NewManagement returns a client of the management API at endpoint
// (http[s]://user:password@host:port[/path prefix], as
// config.Config.ManagementEndpoint makes it) that reads the virtual host
// amqpURL connects to. Its errors never quote a password.
func NewManagement(endpoint, amqpURL string) (*Management, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("management API URL %s must look like http://user:password@host:15672", dsn.Redact(endpoint))
	}
	uri, err := amqp.ParseURI(amqpURL)
	if err != nil {
		return nil, fmt.Errorf("AMQP URL %s: %w", dsn.Redact(amqpURL), dsn.RedactError(err, amqpURL))
	}
	m := &Management{user: u.User, endpoint: endpoint, vhost: uri.Vhost, client: &http.Client{}}
	u.User = nil
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	m.base = u
	return m, nil
}

// Where names the API and the virtual host for people, the password
// masked: `http://guest:xxxxx@127.0.0.1:15672 vhost "/"`.
func (m *Management) Where() string {
	u := *m.base
	u.User = m.user
	return fmt.Sprintf("%s vhost %q", dsn.Redact(u.String()), m.vhost)
}

// Queues returns every queue of the virtual host by name, as the broker's
// statistics last saw it (each with Exists set). The error says what went
// wrong (unreachable, credentials refused, no such vhost) without the
// password.
func (m *Management) Queues(ctx context.Context) (map[string]Queue, error) {
	queues, err := m.queues(ctx)
	return queues, dsn.RedactError(err, m.endpoint)
}

func (m *Management) queues(ctx context.Context) (map[string]Queue, error) {
	target := m.base.String() + "/api/queues/" + url.PathEscape(m.vhost) + "?columns=" + url.QueryEscape(queueColumns)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	if m.user != nil {
		password, _ := m.user.Password()
		req.SetBasicAuth(m.user.Username(), password)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			// The URL is in Where already; keep the cause.
			err = urlErr.Err
		}
		return nil, fmt.Errorf("unreachable: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxQueuesBody))
	if err != nil {
		return nil, fmt.Errorf("read the answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		// The user is in Where; naming it here again would have it masked
		// wherever its password equals it (guest:guest) and errors are
		// scrubbed of the AMQP URL's password.
		return nil, fmt.Errorf("%s: the credentials were refused (a management API user needs the monitoring or management tag)", resp.Status)
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s: no vhost %q there, or this is not the management API", resp.Status, m.vhost)
	case resp.StatusCode/100 != 2:
		return nil, fmt.Errorf("%s: %s", resp.Status, shorten(body))
	}
	var listed []struct {
		Name      string `json:"name"`
		Messages  int    `json:"messages"`
		Ready     int    `json:"messages_ready"`
		Unacked   int    `json:"messages_unacknowledged"`
		Consumers int    `json:"consumers"`
		Stats     struct {
			Publish    rate `json:"publish_details"`
			DeliverGet rate `json:"deliver_get_details"`
			Ack        rate `json:"ack_details"`
		} `json:"message_stats"`
	}
	if err := json.Unmarshal(body, &listed); err != nil {
		return nil, fmt.Errorf("the answer is not the management API's list of queues (%s): %s", resp.Header.Get("Content-Type"), shorten(body))
	}
	out := make(map[string]Queue, len(listed))
	for _, q := range listed {
		out[q.Name] = Queue{
			Name: q.Name, Exists: true,
			Messages: q.Messages, Ready: q.Ready, Unacked: q.Unacked, Consumers: q.Consumers,
			InPerSecond: q.Stats.Publish.Rate, DeliverPerSecond: q.Stats.DeliverGet.Rate, AckPerSecond: q.Stats.Ack.Rate,
		}
	}
	return out, nil
}

// rate is one of the management API's message rate details.
type rate struct {
	Rate float64 `json:"rate"`
}

// shorten keeps the start of an unexpected answer, on one line.
func shorten(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
