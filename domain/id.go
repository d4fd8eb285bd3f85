package domain

import "strings"

// ParseID returns s as a canonical ID: every ID in mallbots is a UUID
// (8-4-4-4-12 hexadecimal digits, DESIGN §9), written in lowercase. ok is
// false for anything else, so callers can refuse a malformed ID in their own
// words before it reaches a UUID column (where PostgreSQL would reject it as
// an internal error) or is compared with stored, lowercase IDs.
func ParseID(s string) (id string, ok bool) {
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return "", false
			}
		}
	}
	return strings.ToLower(s), true
}
