package examplefn

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	tests := []struct {
		name    string
		fns     []string
		want    []string
		wantErr string
	}{
		{name: "named", fns: []string{"hello", "panic"}, want: []string{"hello", "panic"}},
		{name: "unknown", fns: []string{"no-such-function"}, wantErr: "building example functions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			err := Build(dir, tc.fns...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tc.want {
				st, err := os.Stat(filepath.Join(dir, n))
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode()&0o111 == 0 {
					t.Errorf("%s is not executable: %v", n, st.Mode())
				}
			}
		})
	}
}

type runner struct {
	dir  *string
	seen []string
}

func (r *runner) Run() int {
	ents, _ := os.ReadDir(*r.dir)
	for _, e := range ents {
		r.seen = append(r.seen, e.Name())
	}
	return 7
}

func TestMainRunsTests(t *testing.T) {
	var dir string
	r := &runner{dir: &dir}
	if code := Main(r, &dir, "hello"); code != 7 {
		t.Fatalf("exit code %d, want the tests' 7", code)
	}
	if len(r.seen) != 1 || r.seen[0] != "hello" {
		t.Errorf("the tests saw %v, want [hello]", r.seen)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is left behind: %v", dir, err)
	}
	if code := Main(r, new(string), "no-such-function"); code != 1 {
		t.Errorf("a failed build exits %d, want 1", code)
	}
}
