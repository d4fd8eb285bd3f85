// Package postgres is mallbots' PostgreSQL layer: the connection pool, the
// transaction helper every use case and consumer runs in, and the services'
// repositories (row ↔ domain mapping, with the outbox inside Update).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the pool one process shares between all of its services.
type DB struct {
	Pool *pgxpool.Pool
}

// defaultMaxConns sizes the pool when the DSN does not say pool_max_conns:
// every service's consumers, relays and HTTP requests share it.
const defaultMaxConns = 32

// Connect opens a pool on dsn, creating the database when it does not exist.
// While PostgreSQL is unreachable it retries with backoff, logging each wait,
// until ctx ends. Errors never contain the password.
func Connect(ctx context.Context, dsn string, logger *slog.Logger) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database URL %s: %w", redact(dsn), errors.Unwrap(err))
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	// Watermill's outbox stores created_at as a TIMESTAMP without zone;
	// UTC sessions make it comparable with Go's clock everywhere.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)

	wait := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err == nil {
			err = pool.Ping(ctx)
			if err == nil {
				return &DB{Pool: pool}, nil
			}
			pool.Close()
		}
		if isCode(err, "3D000") { // invalid_catalog_name: the database is missing
			if err := createDatabase(ctx, cfg.ConnConfig, logger); err != nil {
				return nil, err
			}
			continue
		}
		if isPermanentConnectError(err) {
			return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", where, err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to PostgreSQL at %s: gave up after %d attempts: %w", where, attempt, err)
		}
		logger.Warn("waiting for PostgreSQL", "at", where, "attempt", attempt, "retry_in", wait.String(), "error", err.Error())
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// Close releases every connection.
func (db *DB) Close() { db.Pool.Close() }

// createDatabase creates the database named by cfg from the maintenance
// database; a concurrent creator winning the race is fine.
func createDatabase(ctx context.Context, cfg *pgx.ConnConfig, logger *slog.Logger) error {
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to the maintenance database to create %q: %w", cfg.Database, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cfg.Database}.Sanitize())
	if err != nil && !isCode(err, "42P04") { // duplicate_database
		return fmt.Errorf("create database %q: %w", cfg.Database, err)
	}
	if err == nil {
		logger.Info("created database", "database", cfg.Database)
	}
	return nil
}

// isPermanentConnectError tells errors that waiting will not fix (bad
// password, unknown role) from an unreachable server.
func isPermanentConnectError(err error) bool {
	return isCode(err, "28P01") || isCode(err, "28000") || isCode(err, "3D000")
}

func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "<unparseable URL>"
	}
	return u.Redacted()
}
