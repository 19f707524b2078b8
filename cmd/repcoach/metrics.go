package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/repcoach/repcoach/bot"
)

// metrics are RepCoach's Prometheus metrics, on their own registry (with
// the Go and process collectors). They are filled in by bot.Observer, a
// RoundTripper around the Slack HTTP client, the delivery ledger, a
// go-redis hook and the importer.
type metrics struct {
	reg         *prometheus.Registry
	envelopes   *prometheus.CounterVec
	ack         prometheus.Histogram
	handler     *prometheus.HistogramVec
	replies     *prometheus.CounterVec
	slackCalls  *prometheus.CounterVec
	deliveries  *prometheus.CounterVec
	importTime  prometheus.Histogram
	importRows  *prometheus.CounterVec
	connections *prometheus.CounterVec
	redisErrors prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "repcoach_envelopes_total",
			Help: "Socket Mode envelopes received, by type."}, []string{"type"}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "repcoach_ack_seconds",
			Help: "Time from an envelope's arrival to its ack.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9)}),
		handler: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "repcoach_handler_seconds",
			Help: "Handler run time, by request kind.", Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9)}, []string{"kind"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "repcoach_replies_total",
			Help: "Handler runs by outcome: answered, silent, explained, failed, undelivered."}, []string{"kind", "outcome"}),
		slackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "repcoach_slack_calls_total",
			Help: "Slack Web API calls and response_url posts, by method and outcome (ok, ratelimited for 429s, Slack's error code, or unreachable)."}, []string{"method", "outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "repcoach_deliveries_total",
			Help: "Scheduled-message delivery ledger transitions: claimed, reclaimed, already_sent, held_by_other, delivered."}, []string{"state"}),
		importTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "repcoach_import_seconds",
			Help: "CRM import and recompute time.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 8)}),
		importRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "repcoach_import_rows_total",
			Help: "CRM rows read, by result: imported or rejected."}, []string{"result"}),
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "repcoach_socket_connections_total",
			Help: "Socket Mode connection state changes: connecting, connected (a reconnect after the first), failed."}, []string{"state"}),
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "repcoach_redis_errors_total",
			Help: "Redis commands that failed (a missing key is not a failure)."}),
	}
	m.reg.MustRegister(m.envelopes, m.ack, m.handler, m.replies, m.slackCalls, m.deliveries, m.importTime, m.importRows, m.connections, m.redisErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// The bot's Observer.

func (m *metrics) Envelope(kind string, ack time.Duration) {
	m.envelopes.WithLabelValues(kind).Inc()
	m.ack.Observe(ack.Seconds())
}

func (m *metrics) Handled(kind bot.Kind, took time.Duration, outcome string) {
	m.handler.WithLabelValues(string(kind)).Observe(took.Seconds())
	m.replies.WithLabelValues(string(kind), outcome).Inc()
}

func (m *metrics) Connection(state string) { m.connections.WithLabelValues(state).Inc() }

// slackTransport counts every call to Slack by method and outcome. It reads
// Slack's {"ok":false,"error":"…"} from bodies of at most 64 KiB and hands
// the body on unchanged.
type slackTransport struct {
	next http.RoundTripper
	m    *metrics
}

func (t slackTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := "response_url"
	if i := strings.LastIndex(req.URL.Path, "/api/"); i >= 0 {
		method = req.URL.Path[i+len("/api/"):]
	}
	resp, err := t.next.RoundTrip(req)
	switch {
	case err != nil:
		t.m.slackCalls.WithLabelValues(method, "unreachable").Inc()
		return resp, err
	case resp.StatusCode == http.StatusTooManyRequests:
		t.m.slackCalls.WithLabelValues(method, "ratelimited").Inc()
		return resp, nil
	case resp.StatusCode >= 300:
		t.m.slackCalls.WithLabelValues(method, "http_"+http.StatusText(resp.StatusCode)).Inc()
		return resp, nil
	}
	outcome := "ok"
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && resp.ContentLength >= 0 && resp.ContentLength < 64<<10 {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		var answer struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if rerr == nil && json.Unmarshal(body, &answer) == nil && !answer.OK && answer.Error != "" {
			outcome = answer.Error
		}
	}
	t.m.slackCalls.WithLabelValues(method, outcome).Inc()
	return resp, nil
}

// redisHook counts failed Redis commands.
type redisHook struct{ m *metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			h.m.redisErrors.Inc()
		}
		return c, err
	}
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err != nil && !errors.Is(err, redis.Nil) {
			h.m.redisErrors.Inc()
		}
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err != nil && !errors.Is(err, redis.Nil) {
			h.m.redisErrors.Inc()
		}
		return err
	}
}

// readiness answers /readyz: Redis answers, the socket is connected and
// the bot token is valid (asked of Slack at most once a minute).
type readiness struct {
	ping      func(context.Context) error
	connected func() bool
	authTest  func(context.Context) error

	mu      sync.Mutex
	tokenOK bool
	checked time.Time
}

func (r *readiness) token(ctx context.Context) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) > time.Minute || !r.tokenOK && time.Since(r.checked) > 5*time.Second {
		r.tokenOK = r.authTest(ctx) == nil
		r.checked = time.Now()
	}
	return r.tokenOK
}

func (r *readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
	defer cancel()
	var problems []string
	if err := r.ping(ctx); err != nil {
		problems = append(problems, "redis: "+err.Error())
	}
	if !r.connected() {
		problems = append(problems, "socket: not connected to Slack")
	}
	if !r.token(ctx) {
		problems = append(problems, "slack: the bot token does not work (auth.test failed)")
	}
	if len(problems) > 0 {
		http.Error(w, "not ready\n"+strings.Join(problems, "\n"), http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ready\n")
}

// opsHandler serves /healthz (the process answers), /readyz and /metrics.
func opsHandler(m *metrics, ready http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.Handle("GET /readyz", ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return mux
}

// serveOps runs the HTTP listener on addr until ctx ends.
func serveOps(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkHealth is `repcoach health`: it asks the bot running on this host
// for /healthz at addr (REPCOACH_HTTP_ADDR), for container health checks
// in images without curl.
func checkHealth(ctx context.Context, addr string, out io.Writer) error {
	if addr == "" {
		return errors.New("REPCOACH_HTTP_ADDR is not set, so the bot serves no /healthz")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("REPCOACH_HTTP_ADDR %q: want host:port", addr)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprint(out, string(body))
	return nil
}
