package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mallbots/mallbots/internal/testkit"
)

// outboxShape is the DDL of a plain table with the outbox's columns and key
// (watermill-sql's PostgreSQL schema), without trigger.
const outboxShape = `(
	"offset"         BIGSERIAL,
	"uuid"           VARCHAR(36) NOT NULL,
	"created_at"     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	"payload"        JSON DEFAULT NULL,
	"metadata"       JSON DEFAULT NULL,
	"transaction_id" xid8 NOT NULL,
	PRIMARY KEY ("transaction_id", "offset"))`

// sampleEnvelope is an outbox payload as Outbox.Publish writes it: Watermill's
// forwarder envelope around an event and its metadata.
func sampleEnvelope(topic string, seq int64) []byte {
	payload, _ := json.Marshal(newEvent(seq, 0))
	id := uuid.NewString()
	env, _ := json.Marshal(struct {
		DestinationTopic string            `json:"destination_topic"`
		UUID             string            `json:"uuid"`
		Payload          []byte            `json:"payload"`
		Metadata         map[string]string `json:"metadata"`
	}{topic, id, payload, map[string]string{
		"name": topic, "producer": "bench", "occurred_at": time.Now().UTC().Format(time.RFC3339Nano),
		"correlation_id": id,
	}})
	return env
}

// rawInsert commits n rows into table, perTx rows (one INSERT each, as the
// outbox publisher does) per transaction, from w concurrent writers.
func rawInsert(ctx context.Context, pool *pgxpool.Pool, table string, n, perTx, w int) (time.Duration, error) {
	payload := string(sampleEnvelope("bench.Raw", 1))
	query := "INSERT INTO " + table + " (uuid, payload, metadata, transaction_id) VALUES ($1, $2, '{}', pg_current_xact_id())"
	txs := (n + perTx - 1) / perTx
	var next atomic.Int64
	errs := make(chan error, w)
	var wg sync.WaitGroup
	start := time.Now()
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t := int(next.Add(1) - 1)
				if t >= txs {
					return
				}
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					for range min(perTx, n-t*perTx) {
						if _, err := tx.Exec(ctx, query, uuid.NewString(), payload); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	return took, <-errs
}

func BenchmarkRawPgxInsert(b *testing.B) {
	e := newBenchEnv(b)
	for _, v := range []struct {
		perTx  int
		notify bool
	}{{1, false}, {10, false}, {1, true}, {10, true}} {
		name := fmt.Sprintf("rows_per_tx=%d", v.perTx)
		if v.notify {
			// The outbox's NOTIFY trigger: PostgreSQL serialises the commits
			// of notifying transactions (a global lock held through the WAL
			// flush), so this shows what the trigger costs by itself.
			name += "_notify_trigger"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			n, w := numEvents(), writers()
			t := newTable(b)
			var total time.Duration
			for range b.N {
				table := ident("public", testkit.Name("raw_insert"))
				if _, err := e.db.Pool.Exec(ctx, "CREATE TABLE "+table+" "+outboxShape); err != nil {
					b.Fatalf("create table: %v", err)
				}
				if v.notify {
					if _, err := e.db.Pool.Exec(ctx, "CREATE TRIGGER outbox_notify AFTER INSERT ON "+table+
						" FOR EACH STATEMENT EXECUTE FUNCTION mallbots_notify_outbox('bench_raw')"); err != nil {
						b.Fatalf("create trigger: %v", err)
					}
				}
				took, err := rawInsert(ctx, e.db.Pool, table, n, v.perTx, w)
				if err != nil {
					b.Fatalf("insert: %v", err)
				}
				total += took
				var got int
				if err := e.db.Pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&got); err != nil || got != n {
					b.Fatalf("table %s holds %d rows (%v), want %d", table, got, err, n)
				}
			}
			txs := b.N * ((n + v.perTx - 1) / v.perTx)
			note := fmt.Sprintf("%d rows, %d writers, one INSERT per row", n, w)
			if v.notify {
				note += ", outbox NOTIFY trigger"
			}
			t.metric(fmt.Sprintf("raw pgx transactions of %d row(s)", v.perTx), rate(txs, total), "tx/s", note)
			t.metric(fmt.Sprintf("raw pgx rows in %d-row transactions", v.perTx), rate(b.N*n, total), "rows/s", note)
			t.done()
		})
	}
}

// rawPublishing is a message like the relay sends: persistent JSON with the
// mallbots metadata headers.
func rawPublishing(topic string, seq int64) amqp.Publishing {
	body, _ := json.Marshal(newEvent(seq, 0))
	id := uuid.NewString()
	return amqp.Publishing{
		Headers: amqp.Table{
			"message_id": id, "name": topic, "producer": "bench", "correlation_id": id,
			"occurred_at": time.Now().UTC().Format(time.RFC3339Nano),
		},
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		MessageId:    id,
		Timestamp:    time.Now().UTC(),
		Body:         body,
	}
}

func BenchmarkRawAMQPPublishConfirm(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	n := numEvents()
	t := newTable(b)
	var runs []float64
	for range b.N {
		name := testkit.Name("bench_raw_publish")
		e.declareRaw(b, name)
		ch := e.channel(b)
		if err := ch.Confirm(false); err != nil {
			b.Fatalf("confirm mode: %v", err)
		}
		msgs := make([]amqp.Publishing, n)
		for i := range msgs {
			msgs[i] = rawPublishing(name, int64(i))
		}
		for range rounds() {
			start := time.Now()
			if err := publishConfirmed(ctx, ch, name, "", n, func(i int) amqp.Publishing { return msgs[i] }); err != nil {
				b.Fatalf("publish: %v", err)
			}
			runs = append(runs, rate(n, time.Since(start)))
			e.expectDepth(b, name, n)
			e.purge(b, name)
		}
	}
	t.metric("raw amqp091 publish, pipelined confirms", median(runs), "msgs/s",
		fmt.Sprintf("%d persistent msgs → fanout → quorum queue, confirms awaited per %d; median of %s", n, rawBatch, runList(runs)))
	t.done()
}

// rawRelay is the baseline relay: a plain table read in offset order,
// rawBatch rows at a time, each batch published with pipelined confirms and
// then its offset advanced, in one transaction per batch.
type rawRelay struct {
	table, offsets, exchange string
}

// newRawRelay creates the relay's tables and fills the log with n rows from
// fill, an "INSERT INTO %s (uuid, payload, metadata, transaction_id) ..."
// statement whose %s is the table; exchange must exist.
func newRawRelay(b *testing.B, e *benchEnv, exchange, fill string, args ...any) *rawRelay {
	b.Helper()
	ctx := context.Background()
	name := testkit.Name("raw_relay")
	r := &rawRelay{table: ident("public", name), offsets: ident("public", name+"_offsets"), exchange: exchange}
	for _, q := range []string{
		`CREATE TABLE ` + r.table + ` (
			"offset" BIGSERIAL PRIMARY KEY, uuid VARCHAR(36) NOT NULL,
			created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
			payload JSON DEFAULT NULL, metadata JSON DEFAULT NULL, transaction_id xid8 NOT NULL)`,
		`CREATE TABLE ` + r.offsets + ` (id INT PRIMARY KEY, offset_acked BIGINT NOT NULL)`,
		`INSERT INTO ` + r.offsets + ` VALUES (1, 0)`,
	} {
		if _, err := e.db.Pool.Exec(ctx, q); err != nil {
			b.Fatalf("raw relay tables: %v", err)
		}
	}
	if _, err := e.db.Pool.Exec(ctx, fmt.Sprintf(fill, r.table), args...); err != nil {
		b.Fatalf("fill raw relay table: %v", err)
	}
	if _, err := e.db.Pool.Exec(ctx, "ANALYZE "+r.table); err != nil {
		b.Fatalf("analyze: %v", err)
	}
	return r
}

// batch relays one batch and returns its size.
func (r *rawRelay) batch(ctx context.Context, pool *pgxpool.Pool, ch *amqp.Channel) (int, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	var acked int64
	if err := tx.QueryRow(ctx, "SELECT offset_acked FROM "+r.offsets+" WHERE id = 1").Scan(&acked); err != nil {
		return 0, err
	}
	rows, err := tx.Query(ctx, `SELECT "offset", uuid, payload::text FROM `+r.table+` WHERE "offset" > $1 ORDER BY "offset" LIMIT $2`, acked, rawBatch)
	if err != nil {
		return 0, err
	}
	type row struct {
		offset  int64
		id      string
		payload string
	}
	batch, err := pgx.CollectRows(rows, func(cr pgx.CollectableRow) (row, error) {
		var r row
		return r, cr.Scan(&r.offset, &r.id, &r.payload)
	})
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	if err := publishConfirmed(ctx, ch, r.exchange, "", len(batch), func(i int) amqp.Publishing {
		return amqp.Publishing{
			Headers:      amqp.Table{"message_id": batch[i].id},
			ContentType:  "application/json",
			DeliveryMode: amqp.Persistent,
			MessageId:    batch[i].id,
			Body:         []byte(batch[i].payload),
		}
	}); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, "UPDATE "+r.offsets+" SET offset_acked = $1 WHERE id = 1", batch[len(batch)-1].offset); err != nil {
		return 0, err
	}
	return len(batch), tx.Commit(ctx)
}

// reset sets the raw relay's offset back to the start of its log.
func (r *rawRelay) reset(b *testing.B, e *benchEnv) {
	b.Helper()
	if _, err := e.db.Pool.Exec(context.Background(), "UPDATE "+r.offsets+" SET offset_acked = 0"); err != nil {
		b.Fatalf("reset raw relay offset: %v", err)
	}
}

// run relays everything and returns how long it took and how many it moved.
func (r *rawRelay) run(b *testing.B, e *benchEnv) (time.Duration, int) {
	b.Helper()
	ctx := context.Background()
	ch := e.channel(b)
	if err := ch.Confirm(false); err != nil {
		b.Fatalf("confirm mode: %v", err)
	}
	moved := 0
	start := time.Now()
	for {
		k, err := r.batch(ctx, e.db.Pool, ch)
		if err != nil {
			b.Fatalf("raw relay: %v", err)
		}
		if k == 0 {
			break
		}
		moved += k
	}
	return time.Since(start), moved
}

func BenchmarkRawBatchedRelay(b *testing.B) {
	e := newBenchEnv(b)
	n := numEvents()
	t := newTable(b)
	var runs []float64
	for range b.N {
		name := testkit.Name("bench_raw_relay")
		e.declareRaw(b, name)
		r := newRawRelay(b, e, name, `INSERT INTO %s (uuid, payload, metadata, transaction_id)
			SELECT gen_random_uuid()::text, $1::json, '{}', pg_current_xact_id() FROM generate_series(1, $2)`,
			string(sampleEnvelope(name, 1)), n)
		for range rounds() {
			r.reset(b, e)
			took, moved := r.run(b, e)
			if moved != n {
				b.Fatalf("raw relay moved %d rows, want %d", moved, n)
			}
			e.expectDepth(b, name, n)
			e.purge(b, name)
			runs = append(runs, rate(n, took))
		}
	}
	t.metric("raw batched relay (pgx read + publish + offset)", median(runs), "msgs/s",
		fmt.Sprintf("%d rows, batches of %d, pipelined confirms; median of %s", n, rawBatch, runList(runs)))
	t.done()
}
