package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Errors returned by the Store besides the insights domain errors.
var (
	// ErrNotOwner means the caller does not hold the delivery lease or lock
	// it tried to use: it expired, or another owner holds it now.
	ErrNotOwner = errors.New("not the owner")
	// ErrNotReplicated means a write the Store waits on (a delivery
	// record) reached the master but no replica acknowledged it in time.
	ErrNotReplicated = errors.New("not acknowledged by a replica")
	// ErrSuperseded means a newer snapshot or dataset became current while
	// this one was being written; the older one is discarded.
	ErrSuperseded = errors.New("superseded by a newer version")
)

// Defaults of the Options fields.
const (
	DefaultPrefix            = "rc:"
	DefaultGrace             = 10 * time.Minute
	DefaultDeliveryRetention = 60 * 24 * time.Hour
	DefaultOutboxTTL         = 7 * 24 * time.Hour
	DefaultReplicaWait       = 2 * time.Second
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// Prefix starts every key (default "rc:"). Tests use a random one so
	// that test packages sharing one Redis never collide. It must not
	// contain braces, which Redis Cluster reads as hash tags.
	Prefix string
	// Grace is how long a superseded snapshot or dataset stays readable
	// (default 10 minutes).
	Grace time.Duration
	// DeliveryRetention is how long a delivery record is kept after it was
	// claimed or marked sent (default 60 days).
	DeliveryRetention time.Duration
	// OutboxTTL is how long an outbox run is kept after its last change
	// (default 7 days).
	OutboxTTL time.Duration
	// ReplicaWait bounds how long a delivery record waits for a replica
	// to acknowledge it where the master has replicas (default 2 s).
	ReplicaWait time.Duration
	// Now is the clock used for the timestamps the store records
	// (published_at, saved_at, paused at); default time.Now.
	Now func() time.Time
}

// Store is RepCoach's Redis adapter. It is safe for concurrent use; several
// Stores (in several processes) may share one Redis and one Prefix.
type Store struct {
	rdb  redis.UniversalClient
	opts Options
	p    string // Prefix

	// seen is the snapshot version last seen current, which reads try
	// first.
	seen atomic.Int64

	mini *miniredis.Miniredis // nil unless embedded
	stop chan struct{}        // closes the embedded clock
	wg   sync.WaitGroup
	once sync.Once
}

// Open connects to the Redis at rawURL, pings it and returns a Store.
//
// An empty rawURL starts an embedded in-process Redis (miniredis) listening
// on 127.0.0.1 at a random port, so the same go-redis code path runs without
// a server; its data lives until Close, and its TTLs run on the wall clock.
// Otherwise rawURL is a redis://, rediss:// or unix:// URL as accepted by
// redis.ParseURL. A redis:// or rediss:// URL with a master_name query
// parameter names Sentinels (redis.ParseFailoverURL; more Sentinels as
// addr=host:port parameters); one with addr=host:port parameters and no
// master_name names Redis Cluster seed nodes (redis.ParseClusterURL).
//
// Errors name the Redis host and port, never the password:
// "connect to Redis at host:port: ...".
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, fmt.Errorf("open Redis store: prefix %q contains a brace", opts.Prefix)
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.DeliveryRetention <= 0 {
		opts.DeliveryRetention = DefaultDeliveryRetention
	}
	if opts.OutboxTTL <= 0 {
		opts.OutboxTTL = DefaultOutboxTTL
	}
	if opts.ReplicaWait <= 0 {
		opts.ReplicaWait = DefaultReplicaWait
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{opts: opts, p: opts.Prefix}

	var where string
	if rawURL == "" {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, fmt.Errorf("start embedded Redis: %w", err)
		}
		s.mini = m
		where = m.Addr()
		s.rdb = redis.NewClient(&redis.Options{Addr: m.Addr(), ContextTimeoutEnabled: true})
		s.stop = make(chan struct{})
		s.wg.Add(1)
		go s.embeddedClock()
	} else {
		rdb, addr, err := newClient(rawURL)
		if err != nil {
			return nil, err
		}
		s.rdb, where = rdb, addr
		if cc, ok := rdb.(*redis.ClusterClient); ok {
			s.stop = make(chan struct{})
			s.wg.Add(1)
			go s.refreshClusterMap(cc)
		}
	}
	cc, cluster := s.rdb.(*redis.ClusterClient)
	if cluster {
		if err := pingASeed(ctx, cc); err != nil {
			s.Close()
			return nil, fmt.Errorf("connect to Redis at %s: %w", where, err)
		}
	} else if err := s.rdb.Ping(ctx).Err(); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to Redis at %s: %w", where, err)
	}
	// Loading the scripts up front makes even the first read one round
	// trip; after a Redis restart Script.Run falls back to EVAL. A cluster
	// loads them into every node it knows of, so one dead node (a seed, or
	// a node killed moments ago that the cluster has not yet dropped) fails
	// the load: that only costs the first calls an EVAL on a live node.
	for _, sc := range allScripts {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			if cluster {
				break
			}
			s.Close()
			return nil, fmt.Errorf("load Lua scripts into Redis at %s: %w", where, err)
		}
	}
	return s, nil
}

// pingASeed returns nil once one of the cluster's seed nodes answers PING
// (each is tried in turn), else the error of the last. A Cluster Store
// needs only one live seed: the others may be down.
func pingASeed(ctx context.Context, cc *redis.ClusterClient) error {
	o := cc.Options()
	var err error
	for _, addr := range o.Addrs {
		c := redis.NewClient(&redis.Options{
			Addr: addr, Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig,
			Dialer: o.Dialer, DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout,
			Protocol: o.Protocol, ContextTimeoutEnabled: true, MaxRetries: -1,
		})
		err = c.Ping(ctx).Err()
		c.Close()
		if err == nil {
			return nil
		}
	}
	return err
}

// newClient builds the client for rawURL and returns it with the host:port
// to show in errors. Every client honours its context's deadline, so a
// stalled Redis cannot hold a handler past its budget. Errors never contain the URL, which may hold a password.
func newClient(rawURL string) (redis.UniversalClient, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL, password included
		}
		return nil, "", fmt.Errorf("parse Redis URL: %v", err)
	}
	addr := u.Host
	if u.Scheme == "unix" {
		addr = u.Path
	}
	q := u.Query()
	switch {
	case (u.Scheme == "redis" || u.Scheme == "rediss") && q.Has("master_name"):
		o, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, "", fmt.Errorf("parse Redis Sentinel URL for %s: %w", addr, err)
		}
		o.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(o), "Sentinel " + strings.Join(o.SentinelAddrs, ","), nil
	case (u.Scheme == "redis" || u.Scheme == "rediss") && q.Has("addr"):
		o, err := redis.ParseClusterURL(rawURL)
		if err != nil {
			return nil, "", fmt.Errorf("parse Redis Cluster URL for %s: %w", addr, err)
		}
		o.ContextTimeoutEnabled = true
		if !q.Has("max_redirects") {
			// While a slot migrates, a script whose keys are half moved
			// gets TRYAGAIN until the rest follow, and go-redis retries
			// with a back-off (8 ms doubling to 512 ms) up to MaxRedirects
			// times: 3 gave up within about 60 ms, 12 waits about 3 s.
			o.MaxRedirects = 12
		}
		return redis.NewClusterClient(o), "cluster " + strings.Join(o.Addrs, ","), nil
	default:
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, "", fmt.Errorf("parse Redis URL for %s: %w", addr, err)
		}
		o.ContextTimeoutEnabled = true
		return redis.NewClient(o), o.Addr, nil
	}
}

// clusterMapEvery is how often a cluster client re-reads the cluster's
// slot map: a replica promoted after its master died is used within about
// this long, instead of the dead node being called until go-redis notices.
const clusterMapEvery = time.Second

// refreshClusterMap re-reads the cluster's slot map every clusterMapEvery
// until Close.
func (s *Store) refreshClusterMap(cc *redis.ClusterClient) {
	defer s.wg.Done()
	t := time.NewTicker(clusterMapEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			cc.ReloadState(context.Background())
		}
	}
}

// embeddedClock makes the embedded server's TTLs run on the wall clock
// (miniredis only expires keys when told to), until Close.
func (s *Store) embeddedClock() {
	defer s.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			s.mini.FastForward(now.Sub(last))
			last = now
		}
	}
}

// Close closes the connections and, if embedded, stops the server and drops
// its data. It is safe to call more than once.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		if s.stop != nil {
			close(s.stop)
			s.wg.Wait()
		}
		err = s.rdb.Close()
		if s.mini != nil {
			s.mini.Close()
		}
	})
	if err != nil {
		return fmt.Errorf("close Redis client: %w", err)
	}
	return nil
}

// Embedded reports whether the Store runs on the embedded in-process Redis.
func (s *Store) Embedded() bool { return s.mini != nil }

// Client returns the underlying go-redis client, for health checks and
// instrumentation. Code outside this package must not use it for keys.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// key joins the prefix and parts with colons.
func (s *Store) key(parts ...string) string {
	return s.p + strings.Join(parts, ":")
}

// ms converts a positive duration to whole milliseconds (at least 1).
func ms(d time.Duration) int64 {
	if n := d.Milliseconds(); n > 0 {
		return n
	}
	return 1
}

// needTTL checks that a caller-given TTL or lease is positive.
func needTTL(what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s must be positive, got %v", what, d)
	}
	return nil
}
