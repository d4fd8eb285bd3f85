package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mallbots/mallbots/dsn"
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
// until ctx ends. dataSource is a URL or keyword/value DSN. Errors and log
// lines never contain a password.
func Connect(ctx context.Context, dataSource string, logger *slog.Logger) (*DB, error) {
	db, err := connect(ctx, dataSource, logger)
	return db, dsn.RedactError(err, dataSource)
}

func connect(ctx context.Context, dataSource string, logger *slog.Logger) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dataSource)
	if err != nil {
		return nil, fmt.Errorf("parse the database DSN %s: %s", dsn.Redact(dataSource), parseProblem(err, dataSource))
	}
	if !strings.Contains(dataSource, "pool_max_conns") {
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
		logger.Warn("waiting for PostgreSQL", "at", where, "attempt", attempt, "retry_in", wait.String(),
			"error", dsn.Scrub(err.Error(), dataSource))
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

// parseProblem says why pgx could not parse dataSource without quoting it:
// pgx's ParseConfigError prints the input (redacted on a best-effort basis
// only) and its cause may be a url.Error that echoes the whole URL. The
// cause is kept only when dsn can locate every password to scrub it.
func parseProblem(err error, dataSource string) string {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return "malformed connection string"
	}
	quiet := *pe
	quiet.ConnString = ""
	msg := strings.TrimPrefix(quiet.Error(), "cannot parse ``: ")
	if dsn.Redact(dataSource) == dsn.Unparseable {
		msg, _, _ = strings.Cut(msg, " (")
	}
	return dsn.Scrub(msg, dataSource)
}
