// Package wildcard matches the glob patterns AWS policies use in ARNs and
// actions: '*' matches any run of characters (slashes and colons
// included) and '?' matches exactly one character. Matching is
// case-sensitive and byte-wise.
package wildcard

// Match reports whether s matches pattern. It backtracks only to the last
// '*', so it runs in O(len(pattern)·len(s)) at worst, never exponentially.
func Match(pattern, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == s[si]):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}
