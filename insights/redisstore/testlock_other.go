//go:build !unix

package redisstore

import "testing"

// LockTestCluster does nothing where flock is missing: the cluster tests
// run on Linux and macOS.
func LockTestCluster(t testing.TB) {}
