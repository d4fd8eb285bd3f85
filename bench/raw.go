package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The raw baselines: what PostgreSQL and RabbitMQ do on their own, measured
// in the same run as the system so that the figures can be compared.

// rawBatch is the batch size of the raw pipelined-confirm baselines, the
// relay's default BatchSize.
const rawBatch = 500

// rawPostgres measures 1-row INSERT transactions per second from writers
// connections for d, each into a temporary table of its own.
func rawPostgres(ctx context.Context, dsn string, writers int, d time.Duration) (float64, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		first error
	)
	deadline := time.Now().Add(d)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := rawWriter(ctx, dsn, deadline)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil && first == nil {
				first = err
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return 0, fmt.Errorf("raw PostgreSQL baseline: %w", first)
	}
	return float64(total) / d.Seconds(), nil
}

func rawWriter(ctx context.Context, dsn string, deadline time.Time) (int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE raw_bench (id BIGSERIAL PRIMARY KEY, payload JSONB NOT NULL)"); err != nil {
		return 0, err
	}
	n := 0
	for time.Now().Before(deadline) {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO raw_bench (payload) VALUES ($1)", `{"orderId":"0190a1b2-0000-7000-8000-000000000001","total":1234}`)
			return err
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// rawAMQP measures messages per second through a durable quorum queue:
// persistent publishes with pipelined confirms, consumed and acked one by
// one, as a handler queue is.
func rawAMQP(ctx context.Context, url string, n int) (float64, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return 0, fmt.Errorf("raw RabbitMQ baseline: %w", err)
	}
	defer conn.Close()
	pub, err := conn.Channel()
	if err != nil {
		return 0, err
	}
	sub, err := conn.Channel()
	if err != nil {
		return 0, err
	}
	name := fmt.Sprintf("mallbots.bench.raw-%d", time.Now().UnixNano())
	if _, err := pub.QueueDeclare(name, true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
		return 0, err
	}
	defer pub.QueueDelete(name, false, false, false)
	if err := pub.Confirm(false); err != nil {
		return 0, err
	}
	if err := sub.Qos(1, 0, false); err != nil {
		return 0, err
	}
	deliveries, err := sub.Consume(name, "", false, false, false, false, nil)
	if err != nil {
		return 0, err
	}
	body := []byte(`{"orderId":"0190a1b2-0000-7000-8000-000000000001","customerId":"0190a1b2-0000-7000-8000-000000000002","total":1234}`)
	start := time.Now()
	msg := amqp.Publishing{DeliveryMode: amqp.Persistent, ContentType: "application/json", Body: body}
	pubErr := make(chan error, 1)
	go func() {
		pubErr <- publishConfirmed(ctx, pub, "", name, n, func(int) amqp.Publishing { return msg })
	}()
	for range n {
		select {
		case d := <-deliveries:
			if err := d.Ack(false); err != nil {
				return 0, err
			}
		case err := <-pubErr:
			if err != nil {
				return 0, err
			}
			pubErr <- nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// publishConfirmed publishes n messages to exchange with routing key on a
// confirm-mode channel, rawBatch at a time, waiting for all of a batch's confirms before
// the next (pipelined confirms, as the relay does).
func publishConfirmed(ctx context.Context, ch *amqp.Channel, exchange, key string, n int, msg func(i int) amqp.Publishing) error {
	confirms := make([]*amqp.DeferredConfirmation, 0, rawBatch)
	for i := 0; i < n; i += rawBatch {
		confirms = confirms[:0]
		for j := i; j < min(n, i+rawBatch); j++ {
			dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false, msg(j))
			if err != nil {
				return err
			}
			confirms = append(confirms, dc)
		}
		for _, dc := range confirms {
			ok, err := dc.WaitContext(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return errors.New("broker nacked a publish")
			}
		}
	}
	return nil
}
