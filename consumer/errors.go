package consumer

import "errors"

// The consumer sorts a handler's errors into three classes. Permanent ones
// (marked with Permanent, or recognised by RouterDeps.IsPermanent) are
// poisoned at once; must-wait ones (RouterDeps.MustWait) wait in the
// broker's wait queues; everything else is transient and retried in process.

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as one that retrying cannot fix (undecodable payload,
// unknown event, domain rule violated): the message skips the retries and
// goes straight to the poison queue. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
