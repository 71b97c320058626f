//go:build linux

package lambda

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// isolate puts the process in its own process group, so that killing it
// also kills what it started (the binary behind "go run").
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killTree sends SIGKILL to the process group of pid.
func killTree(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}

// processTree returns pid and its descendants (the binary behind "go
// run"), found through /proc/PID/task/TID/children.
func processTree(pid int) []int {
	pids := []int{pid}
	for i := 0; i < len(pids) && i < 64; i++ {
		// Children are listed per thread: a Go program forks from any of them.
		tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pids[i]) + "/task")
		for _, task := range tasks {
			children, err := os.ReadFile("/proc/" + strconv.Itoa(pids[i]) + "/task/" + task.Name() + "/children")
			if err != nil {
				continue
			}
			for _, c := range strings.Fields(string(children)) {
				if cpid, err := strconv.Atoi(c); err == nil {
					pids = append(pids, cpid)
				}
			}
		}
	}
	return pids
}

// maxMemoryMB returns the sum of the peak resident set sizes (VmHWM) of
// pids, in MB rounded up; 0 when /proc cannot tell.
func maxMemoryMB(pids []int) int {
	var kb int64
	for _, pid := range pids {
		kb += hwmKB(pid)
	}
	return int((kb + 1023) / 1024)
}

func hwmKB(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	i := bytes.Index(b, []byte("VmHWM:"))
	if i < 0 {
		return 0
	}
	line, _, _ := bytes.Cut(b[i+len("VmHWM:"):], []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) == 0 {
		return 0
	}
	kb, _ := strconv.ParseInt(f[0], 10, 64)
	return kb
}
