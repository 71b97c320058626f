package lambda

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"
)

// Log limits.
const (
	// TailBytes is how much of an invocation's log the Invoke API returns in
	// X-Amz-Log-Result (AWS: the last 4 KB).
	TailBytes = 4096
	// maxLineBytes splits longer lines, so one runaway line cannot grow
	// without bound.
	maxLineBytes = 64 << 10
	// truncateAt is the size past which an idle process's log file is
	// emptied before the next invocation.
	truncateAt = 4 << 20
)

// logFile captures a process's stdout and stderr, interleaved, in one
// unlinked file. A file rather than a pipe makes capture exact: whatever
// the function wrote before it posted its response is in the file when
// the response arrives, so each line lands in the right invocation.
type logFile struct {
	w *os.File // given to the process (O_APPEND); closed in Archway after start

	mu      sync.Mutex
	r       *os.File
	off     int64
	partial []byte
	buf     []byte
}

// newLogFile creates the capture file in dir (os.TempDir when empty) and
// unlinks it at once: it lives as long as its descriptors.
func newLogFile(dir string) (*logFile, error) {
	tmp, err := os.CreateTemp(dir, "archway-lambda-*.log")
	if err != nil {
		return nil, fmt.Errorf("create log file: %w", err)
	}
	name := tmp.Name()
	_ = tmp.Close()
	defer func() { _ = os.Remove(name) }()
	w, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	r, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open log file: %w", err)
	}
	return &logFile{w: w, r: r, buf: make([]byte, 32<<10)}, nil
}

// drain returns the complete lines written since the last call. With
// final, an unterminated last line is returned too.
func (l *logFile) drain(final bool) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.r == nil {
		return nil
	}
	var lines []string
	for {
		n, err := l.r.ReadAt(l.buf, l.off)
		l.off += int64(n)
		data := l.buf[:n]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				l.partial = append(l.partial, data...)
				break
			}
			l.partial = append(l.partial, data[:i]...)
			lines = splitLong(lines, strings.TrimSuffix(string(l.partial), "\r"))
			l.partial = l.partial[:0]
			data = data[i+1:]
		}
		for len(l.partial) > maxLineBytes {
			lines = append(lines, string(l.partial[:maxLineBytes]))
			l.partial = append(l.partial[:0], l.partial[maxLineBytes:]...)
		}
		if err == io.EOF || n == 0 || err != nil {
			break
		}
	}
	if final && len(l.partial) > 0 {
		lines = append(lines, string(l.partial))
		l.partial = l.partial[:0]
	}
	return lines
}

// splitLong appends line to lines in pieces of at most maxLineBytes.
func splitLong(lines []string, line string) []string {
	for len(line) > maxLineBytes {
		lines = append(lines, line[:maxLineBytes])
		line = line[maxLineBytes:]
	}
	return append(lines, line)
}

// compact empties the file when it has grown large. Called only while the
// process waits for its next invocation, after a drain.
func (l *logFile) compact() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.r == nil || l.off < truncateAt || len(l.partial) > 0 {
		return
	}
	if st, err := l.r.Stat(); err != nil || st.Size() != l.off {
		return
	}
	if err := l.r.Truncate(0); err == nil {
		l.off = 0
	}
}

func (l *logFile) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.r != nil {
		_ = l.r.Close()
		l.r = nil
	}
}

// InvocationLog is the captured log of one invocation: the function's
// output and Lambda's START, END and REPORT lines, as CloudWatch shows it.
type InvocationLog struct {
	// Function is the function name.
	Function string
	// RequestID is the invocation's request id.
	RequestID string
	// Start is when the invocation was accepted.
	Start time.Time
	// Lines are the last lines of the log, oldest first.
	Lines []string
	// Dropped counts earlier lines that were not kept.
	Dropped int
}

// Tail returns the last n bytes of the log text, lines joined by newlines.
func (l InvocationLog) Tail(n int) string {
	var b strings.Builder
	for _, line := range l.Lines {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	s := b.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

// lineBuffer keeps the last max lines of one invocation.
type lineBuffer struct {
	max     int
	lines   []string
	dropped int
}

func (b *lineBuffer) add(lines ...string) {
	b.lines = append(b.lines, lines...)
	if over := len(b.lines) - b.max; over > 0 {
		b.dropped += over
		b.lines = append(b.lines[:0:0], b.lines[over:]...)
	}
}

// logRing keeps the logs of a function's last invocations, for operators.
type logRing struct {
	mu    sync.Mutex
	items []InvocationLog
	next  int
	full  bool
}

func newLogRing(n int) *logRing { return &logRing{items: make([]InvocationLog, n)} }

func (r *logRing) add(l InvocationLog) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.items) == 0 {
		return
	}
	r.items[r.next] = l
	r.next = (r.next + 1) % len(r.items)
	if r.next == 0 {
		r.full = true
	}
}

func (r *logRing) list() []InvocationLog {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return append([]InvocationLog(nil), r.items[:r.next]...)
	}
	return append(append([]InvocationLog(nil), r.items[r.next:]...), r.items[:r.next]...)
}

func (r *logRing) find(requestID string) (InvocationLog, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.items {
		if l.RequestID == requestID && requestID != "" {
			return l, true
		}
	}
	return InvocationLog{}, false
}

// report is Lambda's REPORT line.
type report struct {
	requestID    string
	duration     time.Duration
	initDuration time.Duration // zero on warm starts
	memoryMB     int
	maxUsedMB    int
	status       string // "", "timeout", "error"
	errorType    string
}

func (r report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		r.requestID, ms(r.duration), billedMS(r.duration), r.memoryMB, r.maxUsedMB)
	if r.initDuration > 0 {
		fmt.Fprintf(&b, "Init Duration: %.2f ms\t", ms(r.initDuration))
	}
	if r.status != "" {
		fmt.Fprintf(&b, "Status: %s\t", r.status)
	}
	if r.errorType != "" {
		fmt.Fprintf(&b, "Error Type: %s\t", r.errorType)
	}
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// billedMS rounds up to the next millisecond, at least 1, as Lambda bills.
func billedMS(d time.Duration) int64 {
	return max(1, int64(math.Ceil(ms(d))))
}
