package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestVersionStamped builds the host's release binary with scripts/release
// (static, -trimpath, no VCS information, as in the Docker build, whose
// context has no .git) and runs `version` with an empty environment: it
// names the version and revision the script stamped, and SHA256SUMS holds
// the binary's checksum. (Before main.release / main.revision, such a build
// said "repcoach (devel) go1.x", with no revision.)
func TestVersionStamped(t *testing.T) {
	dist := t.TempDir()
	const version, revision = "v1.2.3-test", "0123456789abcdef0123456789abcdef01234567"
	cmd := exec.Command("bash", "../../scripts/release", "--host", version)
	cmd.Env = append(os.Environ(), "DIST="+dist, "REPCOACH_REVISION="+revision)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/release --host: %v\n%s", err, out)
	}
	name := "repcoach_" + version + "_" + runtime.GOOS + "_" + runtime.GOARCH
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	bin := filepath.Join(dist, name)
	run := exec.Command(bin, "version")
	run.Env = []string{}
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", name, err, out)
	}
	want := "repcoach " + version + " (revision 0123456789ab) go1."
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("version = %q, want it to start %q", out, want)
	}
	if out, err := exec.Command("file", bin).Output(); err == nil && runtime.GOOS == "linux" && !strings.Contains(string(out), "statically linked") {
		t.Errorf("release binary is not static: %s", out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if wantLine := hex.EncodeToString(sum[:]) + "  " + name + "\n"; string(sums) != wantLine {
		t.Errorf("SHA256SUMS = %q, want %q", sums, wantLine)
	}
}
