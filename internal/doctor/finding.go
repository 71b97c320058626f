package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
)

// Severity of a Finding.
type Severity string

// Severities. An Error is a failure every affected request meets (or a
// definition AWS refuses); a Warning fails some requests or will fail later;
// Info is worth knowing and fails nothing.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Answer is what AWS sends the client when the finding strikes, or, when
// the definition never gets that far, a note saying what AWS does instead.
type Answer struct {
	Status    int    `json:"status,omitempty"`
	Body      string `json:"body,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
	// Note replaces Status and Body when there is no response to predict
	// (AWS refuses to import the definition, or nothing fails).
	Note string `json:"note,omitempty"`
}

// String renders the answer as `500 {"message": "Internal server error"}`.
func (a Answer) String() string {
	if a.Status == 0 {
		return a.Note
	}
	s := strconv.Itoa(a.Status) + " " + a.Body
	if a.Note != "" {
		s += " " + a.Note
	}
	return s
}

// Finding is one predicted failure.
type Finding struct {
	// Check is the id of the check that found it (docs/doctor.md).
	Check    string    `json:"check"`
	Severity Severity  `json:"severity"`
	Pos      apigw.Pos `json:"-"`
	// Object names what fails: the API, resource, method, stage, function or template.
	Object string `json:"object"`
	// What says why it fails.
	What string `json:"message"`
	// AWS is what AWS would answer.
	AWS Answer `json:"aws"`
	// Cause is the cause code the gateway logs for the failing requests;
	// empty when no request is served (a definition AWS refuses).
	Cause diag.Cause `json:"cause,omitempty"`
	Fix   string     `json:"fix"`
}

// String renders the finding on one line:
// file:line:col: error: object: what (AWS: 500 ...; cause X); fix: how.
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.Pos.String())
	b.WriteString(": ")
	b.WriteString(string(f.Severity))
	b.WriteString(": ")
	if f.Object != "" {
		b.WriteString(f.Object)
		b.WriteString(": ")
	}
	b.WriteString(f.What)
	var paren []string
	if a := f.AWS.String(); a != "" {
		paren = append(paren, "AWS: "+a)
	}
	if f.Cause != "" {
		paren = append(paren, "cause "+string(f.Cause))
	}
	if len(paren) > 0 {
		b.WriteString(" (" + strings.Join(paren, "; ") + ")")
	}
	if f.Fix != "" {
		b.WriteString("; fix: ")
		b.WriteString(f.Fix)
	}
	return b.String()
}

// Sort orders findings by file, line, column, then check and message, so
// output is stable.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		if a.Object != b.Object {
			return a.Object < b.Object
		}
		return a.What < b.What
	})
}

// Counts tallies findings by severity.
type Counts struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Info     int `json:"info"`
}

// Count tallies fs.
func Count(fs []Finding) Counts {
	var c Counts
	for _, f := range fs {
		switch f.Severity {
		case Error:
			c.Errors++
		case Warning:
			c.Warnings++
		default:
			c.Info++
		}
	}
	return c
}

// WriteText writes one line per finding and a summary line.
func WriteText(w io.Writer, fs []Finding) error {
	for _, f := range fs {
		if _, err := fmt.Fprintln(w, f.String()); err != nil {
			return fmt.Errorf("writing findings: %w", err)
		}
	}
	c := Count(fs)
	if _, err := fmt.Fprintf(w, "%d error(s), %d warning(s), %d info\n", c.Errors, c.Warnings, c.Info); err != nil {
		return fmt.Errorf("writing findings: %w", err)
	}
	return nil
}

// jsonFinding is a Finding with its position spelled out.
type jsonFinding struct {
	Finding
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Position string `json:"position"`
}

// WriteJSON writes {"findings": [...], "summary": {...}}.
func WriteJSON(w io.Writer, fs []Finding) error {
	out := struct {
		Findings []jsonFinding `json:"findings"`
		Summary  Counts        `json:"summary"`
	}{Findings: []jsonFinding{}, Summary: Count(fs)}
	for _, f := range fs {
		out.Findings = append(out.Findings, jsonFinding{Finding: f, File: f.Pos.File, Line: f.Pos.Line, Col: f.Pos.Col, Position: f.Pos.String()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing findings: %w", err)
	}
	return nil
}
