// Package examplefn builds the example aws-lambda-go functions of
// examples/functions for tests that run them as real processes.
package examplefn

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// pkgPrefix is the import path of the example functions.
const pkgPrefix = "github.com/archway-gw/archway/examples/functions/"

// Build builds the named example functions (every one when names is
// empty) into dir: one binary per function, named after it.
func Build(dir string, names ...string) error {
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	if len(names) == 0 {
		args = append(args, pkgPrefix+"...")
	}
	for _, n := range names {
		args = append(args, pkgPrefix+n)
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("building example functions: %w\n%s", err, out)
	}
	return nil
}

// Main runs a package's tests with the named example functions (every one
// when names is empty) built into a new temporary directory: it sets *dir
// to the directory, runs m, removes the directory and returns m's exit
// code, or 1 when the functions do not build. A TestMain calls
// os.Exit(examplefn.Main(m, &binDir, "hello")).
func Main(m interface{ Run() int }, dir *string, names ...string) int {
	tmp, err := os.MkdirTemp("", "archway-example-fns-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := Build(tmp, names...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*dir = tmp
	return m.Run()
}
