//go:build !linux

package lambda

import "os/exec"

// isolate is a no-op where process groups are not used.
func isolate(cmd *exec.Cmd) {}

// killTree kills the process.
func killTree(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

// processTree returns pid alone.
func processTree(pid int) []int { return []int{pid} }

// maxMemoryMB is unknown without /proc.
func maxMemoryMB(pids []int) int { return 0 }
