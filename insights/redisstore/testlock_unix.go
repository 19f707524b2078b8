//go:build unix

package redisstore

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// LockTestCluster holds an advisory lock (flock on
// $TMPDIR/repcoach-test-cluster.lock) on the shared test Redis Cluster until
// the test ends, so that tests in parallel test binaries that reshape it (a
// slot migration, a master killed for a failover) take turns rather than
// migrate a slot off a master another test is killing.
func LockTestCluster(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "repcoach-test-cluster.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("open the test cluster lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("lock the test cluster: %v", err)
	}
	t.Cleanup(func() { f.Close() })
}
