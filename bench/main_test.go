package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/internal/testkit"
)

// TestMain runs the benchmarks, then prints every figure they recorded in one
// table, so the pipeline and its raw baselines can be read side by side.
func TestMain(m *testing.M) {
	// Our connections carry this application_name, so the sampler can tell
	// other sessions on the same PostgreSQL cluster from ours.
	_ = os.Setenv("PGAPPNAME", appName)
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run()) // no benchmarks requested: nothing to sample or print
	}
	stop := sampleClusterActivity()
	code := m.Run()
	activity := stop()
	printSummary(os.Stdout, activity)
	os.Exit(code)
}

var appName = fmt.Sprintf("mallbots-bench-%d", os.Getpid())

// sampleClusterActivity samples, every 250 ms until the returned function is
// called, what other sessions do on the PostgreSQL cluster: they share the
// two cores, and a transaction of theirs that holds a transaction ID holds
// back every outbox reader (the visibility rule uses the cluster-wide
// snapshot xmin). It returns a one-line description.
func sampleClusterActivity() func() string {
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := pgx.Connect(ctx, testkit.DatabaseURLFor("postgres"))
	if err != nil {
		cancel()
		return func() string { return "" }
	}
	var samples, activeSum, activeMax int
	var longest float64
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			var active int
			var oldest float64
			err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state <> 'idle'),
				coalesce(max(extract(epoch FROM now() - xact_start)) FILTER (WHERE backend_xid IS NOT NULL), 0)::float8
				FROM pg_stat_activity
				WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name <> $1`, appName).Scan(&active, &oldest)
			if err == nil {
				samples++
				activeSum += active
				activeMax = max(activeMax, active)
				longest = max(longest, oldest)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() string {
		cancel()
		<-done
		_ = conn.Close(context.Background())
		if samples == 0 {
			return ""
		}
		load, _ := os.ReadFile("/proc/loadavg")
		return fmt.Sprintf("other sessions on the PostgreSQL cluster during the run: %.1f busy on average, %d at most; "+
			"longest of their transactions holding an xid: %.1f s; load average now: %s",
			float64(activeSum)/float64(samples), activeMax, longest, strings.Join(strings.Fields(string(load))[:3], " "))
	}
}

// Targets of the issue.
const (
	targetRelayRatio = 0.7                   // relay ≥ 0.7 × raw batched relay
	targetP99        = 25 * time.Millisecond // p99 commit-to-handled at 1,000 events/s
)

func envInt(key string, def int) int {
	if v := os.Getenv(key); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return def
}

func numEvents() int       { return envInt("MALLBOTS_BENCH_EVENTS", 20000) }
func forwarderEvents() int { return envInt("MALLBOTS_BENCH_FORWARDER_EVENTS", 3000) }
func pipelineEvents() int  { return envInt("MALLBOTS_BENCH_PIPELINE_EVENTS", 5000) }
func pacedRate() int       { return envInt("MALLBOTS_BENCH_RATE", 1000) }
func writers() int         { return envInt("MALLBOTS_BENCH_WRITERS", 4) }
func prefetch(def int) int { return envInt("MALLBOTS_BENCH_PREFETCH", def) }
func lowRate() int         { return envInt("MALLBOTS_BENCH_LOW_RATE", 200) }
func rounds() int          { return envInt("MALLBOTS_BENCH_ROUNDS", 5) }
func enforce() bool        { return os.Getenv("MALLBOTS_BENCH_ENFORCE") == "true" }

// summaryRow is one figure of the final table.
type summaryRow struct {
	bench, what, value, note string
}

var summary struct {
	sync.Mutex
	rows []summaryRow
}

// table collects one benchmark's figures: each is reported as a benchmark
// metric (when it has a unit), logged as a table, and added to the summary.
type table struct {
	b    *testing.B
	rows []summaryRow
}

func newTable(b *testing.B) *table {
	// ns/op would be the wall time of setup plus workload: meaningless here.
	b.ReportMetric(0, "ns/op")
	return &table{b: b}
}

// metric records value under unit (a benchmark metric) with a description.
func (t *table) metric(what string, value float64, unit, note string) {
	if unit != "" {
		t.b.ReportMetric(value, unit)
	}
	t.add(what, formatValue(value, unit), note)
}

// add records a figure that is not a benchmark metric.
func (t *table) add(what, value, note string) {
	t.rows = append(t.rows, summaryRow{bench: t.b.Name(), what: what, value: value, note: note})
}

// done logs the table and adds it to the summary.
func (t *table) done() {
	var sb strings.Builder
	sb.WriteString("\n")
	writeRows(&sb, t.rows, false)
	t.b.Log(sb.String())
	summary.Lock()
	summary.rows = append(summary.rows, t.rows...)
	summary.Unlock()
}

func formatValue(v float64, unit string) string {
	switch {
	case unit == "":
		return strconv.FormatFloat(v, 'f', -1, 64)
	case strings.HasSuffix(unit, "_ms"):
		return fmt.Sprintf("%.2f ms", v)
	case strings.HasSuffix(unit, "/s"):
		return fmt.Sprintf("%.0f %s", v, unit)
	default:
		return fmt.Sprintf("%.3f %s", v, unit)
	}
}

func writeRows(w io.Writer, rows []summaryRow, withBench bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	last := ""
	for _, r := range rows {
		if withBench && r.bench != last {
			fmt.Fprintf(tw, "%s\t\t\n", r.bench)
			last = r.bench
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.what, r.value, r.note)
	}
	_ = tw.Flush()
}

func printSummary(w io.Writer, activity string) {
	summary.Lock()
	defer summary.Unlock()
	if len(summary.rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n=== mallbots pipeline benchmark summary (events=%d, forwarder events=%d, pipeline events=%d, writers=%d) ===\n",
		numEvents(), forwarderEvents(), pipelineEvents(), writers())
	writeRows(w, summary.rows, true)
	if activity != "" {
		fmt.Fprintln(w, activity)
	}
}

// checkTarget reports whether a target is met, and fails the benchmark when
// MALLBOTS_BENCH_ENFORCE=true and it is not.
func checkTarget(b *testing.B, met bool, format string, args ...any) string {
	if met {
		return "target met: " + fmt.Sprintf(format, args...)
	}
	msg := "TARGET MISSED: " + fmt.Sprintf(format, args...)
	if enforce() {
		b.Error(msg)
	}
	return msg
}

// latencies summarises a sample of durations.
type latencies struct {
	n                  int
	p50, p90, p99, max time.Duration
	mean               time.Duration
}

func summarise(d []time.Duration) latencies {
	if len(d) == 0 {
		return latencies{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	return latencies{
		n:    len(s),
		p50:  percentile(s, 0.50),
		p90:  percentile(s, 0.90),
		p99:  percentile(s, 0.99),
		max:  s[len(s)-1],
		mean: sum / time.Duration(len(s)),
	}
}

// median returns the median of runs (the mean of the middle two when even).
func median(runs []float64) float64 {
	if len(runs) == 0 {
		return 0
	}
	s := slices.Clone(runs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// runList formats per-round rates.
func runList(runs []float64) string {
	parts := make([]string, len(runs))
	for i, r := range runs {
		parts[i] = fmt.Sprintf("%.0f", r)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
