package lambda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// logTick is how often a running invocation's output is copied to the log.
const logTick = 250 * time.Millisecond

// run takes inv through a process of f, warm or cold: init, delivery, the
// wait for the outcome, and the log lines Lambda writes around them. It
// always returns, at the latest when the function times out.
func (s *Service) run(f *function, inv *invocation) *Result {
	rl := &runLog{s: s, f: f, inv: inv, buf: lineBuffer{max: s.cfg.LogLines}}
	res := &Result{StatusCode: 200, RequestID: inv.id, ExecutedVersion: LatestVersion}
	for {
		sb := f.checkout()
		cold := sb == nil
		if cold {
			var fail *outcome
			if sb, fail = s.coldStart(f, inv, rl, res); fail != nil {
				return s.complete(f, nil, inv, *fail, rl, res, time.Time{})
			}
		}
		rl.output(sb.log.drain(false))
		sb.log.compact()
		inv.deadline = time.Now().Add(f.Timeout)
		switch deliver(sb, inv) {
		case delivered:
			start := time.Now()
			rl.platform("START RequestId: " + inv.id + " Version: " + LatestVersion)
			o := s.await(sb, inv, rl)
			return s.complete(f, sb, inv, o, rl, res, start)
		case exitedFirst:
			if !cold {
				// A warm process that exited while idle (a runtime exits
				// after reporting a panic): start a new one, as Lambda does.
				sb.dispose()
				continue
			}
			rl.platform("START RequestId: " + inv.id + " Version: " + LatestVersion)
			return s.complete(f, sb, inv, exitOutcome(inv.id, sb.exitErr), rl, res, time.Now())
		default: // the process never asked for the invocation
			rl.platform("START RequestId: " + inv.id + " Version: " + LatestVersion)
			sb.sampleMemory()
			sb.kill()
			return s.complete(f, sb, inv, timeoutOutcome(inv.id, f.Timeout), rl, res, inv.deadline.Add(-f.Timeout))
		}
	}
}

type delivery int

const (
	delivered delivery = iota
	exitedFirst
	deadlinePassed
)

// deliver hands inv to the process's pending /invocation/next.
func deliver(sb *sandbox, inv *invocation) delivery {
	t := time.NewTimer(time.Until(inv.deadline))
	defer t.Stop()
	select {
	case sb.invokes <- inv:
		return delivered
	case <-sb.exited:
		return exitedFirst
	case <-t.C:
		return deadlinePassed
	}
}

// coldStart starts a process and waits for its init: until its first
// /invocation/next, an /init/error, an exit or the init timeout.
func (s *Service) coldStart(f *function, inv *invocation, rl *runLog, res *Result) (*sandbox, *outcome) {
	res.ColdStart = true
	sb, err := s.startSandbox(f)
	if err != nil {
		o := errorOutcome(FailureInit, "Runtime.InvalidEntrypoint", "RequestId: "+inv.id+" Error: "+err.Error())
		if errors.Is(err, ErrServiceClosed) {
			o = errorOutcome(FailureInit, "Runtime.ExitError", "RequestId: "+inv.id+" Error: "+ErrServiceClosed.Message)
		}
		s.initFailed(f, inv, rl, &o, "error", 0)
		return nil, &o
	}
	t := time.NewTimer(f.initTimeout)
	defer t.Stop()
	var o outcome
	status := "error"
	select {
	case <-sb.ready:
		res.InitDuration = sb.readyAt.Sub(sb.started)
		sb.sampleMemory()
		rl.output(sb.log.drain(false))
		s.log.Info("lambda cold start", "function", f.Name, "request_id", inv.id,
			"init_ms", round2(ms(res.InitDuration)), "pid", sb.cmd.Process.Pid)
		return sb, nil
	case p := <-sb.initErr:
		o = initErrorOutcome(p)
		// The runtime exits after reporting; let it, to keep its last words.
		select {
		case <-sb.exited:
		case <-time.After(time.Second):
		}
	case <-sb.exited:
		select {
		case p := <-sb.initErr:
			o = initErrorOutcome(p)
		default:
			o = exitOutcome(inv.id, sb.exitErr)
			o.failure = FailureInit
		}
	case <-t.C:
		o = outcome{
			payload:       FunctionErrorPayload{ErrorMessage: timeoutMessage(time.Now(), inv.id, f.initTimeout)}.marshal(),
			functionError: true,
			failure:       FailureInit,
		}
		status = "timeout"
	}
	res.InitDuration = time.Since(sb.started)
	res.MaxMemoryUsedMB = sb.sampleMemory()
	sb.kill()
	rl.output(sb.log.drain(true))
	sb.log.close()
	s.initFailed(f, inv, rl, &o, status, res.InitDuration)
	return nil, &o
}

// initFailed writes INIT_REPORT and START for a failed init, and logs it.
func (s *Service) initFailed(f *function, inv *invocation, rl *runLog, o *outcome, status string, d time.Duration) {
	line := fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: %s", ms(d), status)
	if o.errorType != "" {
		line += "\tError Type: " + o.errorType
	}
	rl.platform(line)
	rl.platform("START RequestId: " + inv.id + " Version: " + LatestVersion)
	s.log.Warn("lambda init failed", "function", f.Name, "request_id", inv.id,
		"init_ms", round2(ms(d)), "error_type", o.errorType, "payload", string(o.payload))
}

// await waits for the outcome of a delivered invocation: its response or
// error, the process's exit, or the timeout, which kills the process.
func (s *Service) await(sb *sandbox, inv *invocation, rl *runLog) outcome {
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	tick := time.NewTicker(logTick)
	defer tick.Stop()
	for {
		select {
		case <-inv.done:
			return inv.out
		case <-sb.exited:
			inv.finish(exitOutcome(inv.id, sb.exitErr))
			return inv.out
		case <-timer.C:
			sb.sampleMemory()
			if inv.finish(timeoutOutcome(inv.id, sb.fn.Timeout)) {
				sb.kill()
			}
			return inv.out
		case <-tick.C:
			sb.sampleMemory()
			rl.output(sb.log.drain(false))
		}
	}
}

// complete writes END and REPORT, keeps the log, fills res and returns the
// process to the pool, or disposes of it after a timeout or an exit.
func (s *Service) complete(f *function, sb *sandbox, inv *invocation, o outcome, rl *runLog, res *Result, start time.Time) *Result {
	end := time.Now()
	if start.IsZero() {
		start = end
	}
	keep := sb != nil && (o.failure == FailureNone || o.failure == FailureUnhandled || o.failure == FailureResponseTooLarge)
	if sb != nil {
		rl.output(sb.log.drain(!keep))
		res.MaxMemoryUsedMB = sb.sampleMemory()
	}
	rep := report{
		requestID:    inv.id,
		duration:     end.Sub(start),
		initDuration: res.InitDuration,
		memoryMB:     f.MemoryMB,
		maxUsedMB:    res.MaxMemoryUsedMB,
	}
	timeoutLine := ""
	switch o.failure {
	case FailureTimeout:
		rep.status = "timeout"
		if p, ok := ParseFunctionError(o.payload); ok {
			timeoutLine = p.ErrorMessage
		}
	case FailureExit:
		rep.status, rep.errorType = "error", o.errorType
		if p, ok := ParseFunctionError(o.payload); ok {
			rl.platform(p.ErrorMessage)
			rl.platform(o.errorType)
		}
	case FailureInit:
		rep.status, rep.errorType = "error", o.errorType
	}
	rl.platform("END RequestId: " + inv.id)
	rl.platform(rep.String())
	if timeoutLine != "" {
		rl.platform(timeoutLine)
	}

	res.Payload = o.payload
	res.Failure = o.failure
	res.ErrorType = o.errorType
	if o.functionError {
		res.FunctionError = "Unhandled"
	}
	res.Duration = rep.duration
	log := InvocationLog{Function: f.Name, RequestID: inv.id, Start: inv.accepted, Lines: rl.buf.lines, Dropped: rl.buf.dropped}
	res.Log = log.Lines
	res.LogTail = log.Tail(TailBytes)
	f.logs.add(log)

	level := slog.LevelInfo
	if o.failure != FailureNone {
		level = slog.LevelWarn
	}
	s.log.Log(context.Background(), level, "lambda report", "function", f.Name, "request_id", inv.id,
		"duration_ms", round2(ms(rep.duration)), "billed_ms", billedMS(rep.duration),
		"init_ms", round2(ms(res.InitDuration)), "cold_start", res.ColdStart,
		"max_memory_mb", res.MaxMemoryUsedMB, "memory_mb", f.MemoryMB,
		"failure", string(o.failure), "error_type", o.errorType)

	switch {
	case keep:
		f.checkin(sb)
	case sb != nil:
		sb.dispose()
	}
	return res
}

func errorOutcome(failure Failure, errorType, msg string) outcome {
	return outcome{
		payload:       FunctionErrorPayload{ErrorMessage: msg, ErrorType: errorType}.marshal(),
		functionError: true,
		failure:       failure,
		errorType:     errorType,
	}
}

func exitOutcome(requestID string, exitErr error) outcome {
	return errorOutcome(FailureExit, "Runtime.ExitError", exitMessage(requestID, exitErr))
}

func timeoutOutcome(requestID string, timeout time.Duration) outcome {
	return outcome{
		payload:       FunctionErrorPayload{ErrorMessage: timeoutMessage(time.Now(), requestID, timeout)}.marshal(),
		functionError: true,
		failure:       FailureTimeout,
	}
}

func initErrorOutcome(payload []byte) outcome {
	p, _ := ParseFunctionError(payload)
	return outcome{payload: payload, functionError: true, failure: FailureInit, errorType: p.ErrorType}
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// runLog collects one invocation's log lines and copies the function's
// output to the service's logger.
type runLog struct {
	s   *Service
	f   *function
	inv *invocation
	buf lineBuffer
}

// output adds lines the function wrote.
func (r *runLog) output(lines []string) {
	for _, line := range lines {
		r.s.log.Info("function log", "function", r.f.Name, "request_id", r.inv.id, "line", line)
	}
	r.buf.add(lines...)
}

// platform adds a line Lambda itself writes (START, END, REPORT, ...).
func (r *runLog) platform(line string) { r.buf.add(line) }
