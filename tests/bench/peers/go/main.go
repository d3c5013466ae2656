// client_golang's side of the peer comparison (tests/bench/run_peers.sh):
// the same workloads as tests/bench/bench_promc.c, written against
// client_golang's normal public API, printing one line per figure:
//
//	client_golang A ns_per_op 4.21
//
// Usage: bench_go [--quick] [--ops N] [--renders N] [WORKLOAD]...
//
//	bench_go serve|serve1m PORT [SECONDS]
//
// Workloads, as bench_promc.c's (its comment has the shared data): A, B, Bx
// (goroutines: Go has no thread identity to lose, so Bx has B's shape), C,
// C100, C10k, Dl1, Dl2, Du1, Du2, Dc1, Dc2, XA, XD, S1, S2 (DefMaxAge 10 min,
// DefAgeBuckets 5), L, E10k, E100k, G; serve is F's server (1,000 series),
// serve1m M's (1,000,000). Each ns/op workload checks the value it left.
//
// Built offline from Debian's packages (GO111MODULE=off, GOPATH including
// /usr/share/gocode); see run_peers.sh.
package main

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

const impl = "client_golang"

var (
	quick           bool
	opsOverride     int64 = -1
	rendersOverride       = -1
)

func figure(workload, metric string, value float64) {
	fmt.Printf("%s %s %s %s\n", impl, workload, metric, strconv.FormatFloat(value, 'g', 10, 64))
}

func opsFor(full int64) int64 {
	if opsOverride > 0 {
		return opsOverride
	}
	if quick {
		return full / 10
	}
	return full
}

// xorshift64* with a fixed seed: every peer computes the same sequence.
var rngState uint64 = 0x9e3779b97f4a7c15

func rng() uint64 {
	rngState ^= rngState >> 12
	rngState ^= rngState << 25
	rngState ^= rngState >> 27
	return rngState * 0x2545f4914f6cdd1d
}

const nValues = 65536

var values [nValues]float64

func fillValues() {
	for i := range values {
		u := float64(rng()>>11) * (1.0 / 9007199254740992.0)
		values[i] = 0.001 * math.Exp(u*math.Log(20000.0))
	}
}

var goBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Drawn after the trace ids, in this order, as in bench_promc.c: Du's 65,536
// values, uniform over the 12 buckets (the middle of bucket rng() % 12; the
// +Inf bucket's is 15), then the 65,536 numbers C's child indexes come from
// (child = picks[i] % number of children). Dc observes 0.3.
const (
	nDu    = 65536
	nPicks = 65536
)

var (
	duValues [nDu]float64
	picks    [nPicks]uint64
	dcValue  = []float64{0.3}
)

func fillDuPicks() {
	nb := uint64(len(goBuckets))
	for i := range duValues {
		k := rng() % (nb + 1)
		switch {
		case k == 0:
			duValues[i] = goBuckets[0] / 2
		case k == nb:
			duValues[i] = 15.0
		default:
			duValues[i] = (goBuckets[k-1] + goBuckets[k]) / 2
		}
	}
	for i := range picks {
		picks[i] = rng()
	}
}

// gathered returns the one metric family reg holds named name, or nil.
func gathered(reg *prometheus.Registry, name string) *dto.MetricFamily {
	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return nil
}

func mismatch(workload, what string) {
	fmt.Fprintf(os.Stderr, "bench_go: %s: %s mismatch\n", workload, what)
}

var (
	methods  = []string{"GET", "POST", "PUT", "DELETE"}
	codes    = []string{"200", "404", "500"}
	routes   = []string{"/api/v1/users", "/api/v1/orders", "/api/v1/items", "/api/v1/search", "/api/v1/login", "/api/v1/logout", "/api/v1/cart", "/api/v1/payment", "/static/app.js", "/healthz"}
	statuses = []string{"200", "201", "204", "301", "304", "400", "401", "404", "500", "503"}
)

func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, resident int64
	fmt.Sscan(string(b), &size, &resident)
	return resident * int64(os.Getpagesize())
}

func benchA() {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "bench_a_total", Help: "A."})
	reg.MustRegister(c)
	n := opsFor(100000000)
	for i := int64(0); i < n/20; i++ {
		c.Inc()
	}
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		c.Inc()
	}
	el := time.Since(t0)
	figure("A", "ns_per_op", float64(el.Nanoseconds())/float64(n))
}

// pinTo locks the calling goroutine to its OS thread and pins that thread to
// the k-th CPU the process may use (no privilege needed), as the other
// programs do for B: on a loaded 2-CPU machine the scheduler otherwise often
// runs both threads on one CPU, where they take turns instead of contending.
func pinTo(k int) {
	runtime.LockOSThread()
	var mask [16]uint64
	if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, uintptr(len(mask)*8),
		uintptr(unsafe.Pointer(&mask[0]))); e != 0 {
		return
	}
	var cpus []int
	for i := 0; i < len(mask)*64; i++ {
		if mask[i/64]&(1<<(uint(i)%64)) != 0 {
			cpus = append(cpus, i)
		}
	}
	if len(cpus) < 2 {
		return
	}
	c := cpus[k%len(cpus)]
	var one [16]uint64
	one[c/64] = 1 << (uint(c) % 64)
	syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, uintptr(len(one)*8), uintptr(unsafe.Pointer(&one[0])))
}

// benchB: B; with churn (Bx), after 100 short-lived goroutines, 4 at a
// time, have each incremented the same counter 1,000 times. Go has no thread
// identity for a library to keep state by, so Bx has B's shape here.
func benchB(churn bool) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "bench_b_total", Help: "B."})
	reg.MustRegister(c)
	label, before := "B", 0.0
	if churn {
		label = "Bx"
		for i := 0; i < 100; i += 4 {
			var wg sync.WaitGroup
			for j := 0; j < 4; j++ {
				wg.Add(1)
				go func() {
					for k := 0; k < 1000; k++ {
						c.Inc()
					}
					wg.Done()
				}()
			}
			wg.Wait()
			before += 4000
		}
	}
	n := opsFor(100000000)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for t, share := range []int64{n / 2, n - n/2} {
		ready.Add(1)
		done.Add(1)
		go func(t int, k int64) {
			pinTo(t)
			ready.Done()
			<-start
			for i := int64(0); i < k; i++ {
				c.Inc()
			}
			done.Done()
		}(t, share)
	}
	ready.Wait()
	time.Sleep(20 * time.Millisecond)
	t0 := time.Now()
	close(start)
	done.Wait()
	el := time.Since(t0)
	if v := gathered(reg, "bench_b_total").GetMetric()[0].GetCounter().GetValue(); v != before+float64(n) {
		mismatch(label, "counter value")
	}
	figure(label, "ns_per_op", float64(el.Nanoseconds())/float64(n))
}

// benchCN: child lookup by label values + inc over the children whose
// values are a[j], b[j], in the order of the shared pick sequence (child =
// picks[i] % len(a)); every child created before the warm-up.
func benchCN(label, na, nb string, a, b []string, full int64) {
	reg := prometheus.NewRegistry()
	cv := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bench_c_requests_total", Help: "C."},
		[]string{na, nb})
	reg.MustRegister(cv)
	nc := len(a)
	idx := make([]int, nPicks)
	for i := range idx {
		idx[i] = int(picks[i] % uint64(nc))
	}
	for j := 0; j < nc; j++ {
		cv.WithLabelValues(a[j], b[j]).Inc()
	}
	n := opsFor(full)
	for i := int64(0); i < n/20; i++ {
		j := idx[i&(nPicks-1)]
		cv.WithLabelValues(a[j], b[j]).Inc()
	}
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		j := idx[i&(nPicks-1)]
		cv.WithLabelValues(a[j], b[j]).Inc()
	}
	el := time.Since(t0)
	total := 0.0
	for _, m := range gathered(reg, "bench_c_requests_total").GetMetric() {
		total += m.GetCounter().GetValue()
	}
	if total != float64(int64(nc)+n+n/20) {
		mismatch(label, "counter value")
	}
	figure(label, "ns_per_op", float64(el.Nanoseconds())/float64(n))
}

func benchC(nc int) {
	a, b := make([]string, nc), make([]string, nc)
	switch nc {
	case 12:
		for j := range a {
			a[j], b[j] = methods[j%4], codes[j/4]
		}
		benchCN("C", "method", "code", a, b, 20000000)
	case 100:
		for j := range a {
			a[j], b[j] = routes[j/10], statuses[j%10]
		}
		benchCN("C100", "route", "status", a, b, 10000000)
	default: // route "/r/<i>", status "<j>": strings made once
		for j := range a {
			a[j], b[j] = fmt.Sprintf("/r/%d", j/100), fmt.Sprintf("%d", j%100)
		}
		benchCN("C10k", "route", "status", a, b, 10000000)
	}
}

// benchD: classic histogram observe, the 11 default buckets, from 1 or 2
// goroutines pinned as in B on one series (wall time / total ops), each
// cycling through v; the second from offset len(v)/2.
func benchD(label string, v []float64, threads int) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bench_d_seconds", Help: "D.", Buckets: goBuckets})
	reg.MustRegister(h)
	n := opsFor(20000000)
	per, mask := n/int64(threads), int64(len(v)-1)
	for i := int64(0); i < n/20; i++ {
		h.Observe(v[i&mask])
	}
	el := runPinned(threads, func(t int) {
		off := int64(t) * int64(len(v)/2)
		for i := off; i < per+off; i++ {
			h.Observe(v[i&mask])
		}
	})
	if c := gathered(reg, "bench_d_seconds").GetMetric()[0].GetHistogram().GetSampleCount(); c != uint64(n/20+per*int64(threads)) {
		mismatch(label, "histogram count")
	}
	figure(label, "ns_per_op", float64(el.Nanoseconds())/float64(per*int64(threads)))
}

// runPinned runs body(t) in threads goroutines pinned as in B, started
// together, and returns the wall time until all have finished.
func runPinned(threads int, body func(t int)) time.Duration {
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for t := 0; t < threads; t++ {
		ready.Add(1)
		done.Add(1)
		go func(t int) {
			pinTo(t)
			ready.Done()
			<-start
			body(t)
			done.Done()
		}(t)
	}
	ready.Wait()
	time.Sleep(5 * time.Millisecond)
	t0 := time.Now()
	close(start)
	done.Wait()
	return time.Since(t0)
}

// benchS: summary observe with objectives {0.5: 0.05, 0.9: 0.01, 0.99:
// 0.001} and the default window (DefMaxAge 10 min, DefAgeBuckets 5), 1 or
// 2 goroutines on one series, Dl's values (the second from offset 512).
func benchS(threads int) {
	reg := prometheus.NewRegistry()
	s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "bench_s_seconds", Help: "S.",
		Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001}})
	reg.MustRegister(s)
	n := opsFor(1000000)
	per := n / int64(threads)
	for i := int64(0); i < n/20; i++ {
		s.Observe(values[i&(gValues-1)])
	}
	el := runPinned(threads, func(t int) {
		off := int64(t) * gValues / 2
		for i := off; i < per+off; i++ {
			s.Observe(values[i&(gValues-1)])
		}
	})
	label := fmt.Sprintf("S%d", threads)
	m := gathered(reg, "bench_s_seconds").GetMetric()[0].GetSummary()
	if m.GetSampleCount() != uint64(n/20+per*int64(threads)) {
		mismatch(label, "summary count")
	}
	// the median of 0.001 * 20000^u, u uniform: 0.001 * sqrt(20000) = 0.141
	if q := m.GetQuantile()[0]; q.GetQuantile() != 0.5 || q.GetValue() < 0.1 || q.GetValue() > 0.2 {
		mismatch(label, "median")
	}
	figure(label, "ns_per_op", float64(el.Nanoseconds())/float64(per*int64(threads)))
}

// benchL: label churn, per operation the child for "id-<k>" (k cycling over
// 1,024 strings made beforehand) got or created, incremented and deleted.
func benchL() {
	reg := prometheus.NewRegistry()
	cv := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bench_l_total", Help: "L."}, []string{"id"})
	reg.MustRegister(cv)
	var ids [1024]string
	for k := range ids {
		ids[k] = fmt.Sprintf("id-%d", k)
	}
	n := opsFor(2000000)
	for i := int64(0); i < n/20; i++ {
		s := ids[i&1023]
		cv.WithLabelValues(s).Inc()
		cv.DeleteLabelValues(s)
	}
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		s := ids[i&1023]
		cv.WithLabelValues(s).Inc()
		cv.DeleteLabelValues(s)
	}
	el := time.Since(t0)
	// Every child deleted, and one made again starts from zero.
	cv.WithLabelValues(ids[0]).Inc()
	if ms := gathered(reg, "bench_l_total").GetMetric(); len(ms) != 1 || ms[0].GetCounter().GetValue() != 1 {
		mismatch("L", "counter value")
	}
	figure("L", "ns_per_op", float64(el.Nanoseconds())/float64(n))
}

// traceIDs: 1024 trace ids of 16 hex digits, from the shared sequence (as
// bench_promc.c's, drawn after the observation values).
const nIDs = 1024

var traceIDs [nIDs]string

func fillTraceIDs() {
	for i := range traceIDs {
		traceIDs[i] = fmt.Sprintf("%016x", rng())
	}
}

// benchXA: A with an exemplar {trace_id=<16 hex>}, as a caller writes it.
func benchXA() {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "bench_xa_total", Help: "XA."})
	reg.MustRegister(c)
	ea := c.(prometheus.ExemplarAdder)
	n := opsFor(10000000)
	for i := int64(0); i < n/20; i++ {
		ea.AddWithExemplar(1, prometheus.Labels{"trace_id": traceIDs[i&(nIDs-1)]})
	}
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		ea.AddWithExemplar(1, prometheus.Labels{"trace_id": traceIDs[i&(nIDs-1)]})
	}
	el := time.Since(t0)
	figure("XA", "ns_per_op", float64(el.Nanoseconds())/float64(n))
}

// benchXD: D with an exemplar.
func benchXD() {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bench_xd_seconds", Help: "XD.", Buckets: goBuckets})
	reg.MustRegister(h)
	eo := h.(prometheus.ExemplarObserver)
	n := opsFor(10000000)
	for i := int64(0); i < n/20; i++ {
		eo.ObserveWithExemplar(values[i&(nValues-1)], prometheus.Labels{"trace_id": traceIDs[i&(nIDs-1)]})
	}
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		eo.ObserveWithExemplar(values[i&(nValues-1)], prometheus.Labels{"trace_id": traceIDs[i&(nIDs-1)]})
	}
	el := time.Since(t0)
	figure("XD", "ns_per_op", float64(el.Nanoseconds())/float64(n))
}

// G: native histogram observe into existing buckets, as bench_promc.c's G1
// and G2: NativeHistogramBucketFactor 1.1 (schema 3) and no classic buckets
// (client_golang adds none when a factor is set and Buckets is empty), the
// first gValues observation values observed once beforehand so that every
// bucket the timed loops touch exists; then each of 1 or 2 goroutines, pinned
// as in B, cycles through those values from the first. Wall time / total ops.
const gValues = 1024

func gRun(threads int, n int64) float64 {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bench_g_seconds", Help: "G.",
		NativeHistogramBucketFactor: 1.1})
	for i := 0; i < gValues; i++ {
		h.Observe(values[i])
	}
	per := n / int64(threads)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for t := 0; t < threads; t++ {
		ready.Add(1)
		done.Add(1)
		go func(t int) {
			pinTo(t)
			ready.Done()
			<-start
			for i := int64(0); i < per; i++ {
				h.Observe(values[i&(gValues-1)])
			}
			done.Done()
		}(t)
	}
	ready.Wait()
	time.Sleep(5 * time.Millisecond)
	t0 := time.Now()
	close(start)
	done.Wait()
	el := time.Since(t0)
	return float64(el.Nanoseconds()) / float64(per*int64(threads))
}

func benchG() {
	n := opsFor(50000000)
	figure("G1", "ns_per_op", gRun(1, n))
	figure("G2", "ns_per_op", gRun(2, n))
}

// buildRegistry: nfam counter families x 100 children, plus 10 histograms x
// 10 children when hists. Returns the number of exposed series.
func buildRegistry(reg *prometheus.Registry, nfam int, hists bool) int {
	series := 0
	for f := 0; f < nfam; f++ {
		cv := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: fmt.Sprintf("bench_requests_f%04d_total", f),
			Help: fmt.Sprintf("Requests handled by component %d.", f),
		}, []string{"route", "status"})
		reg.MustRegister(cv)
		for k := 0; k < 100; k++ {
			cv.WithLabelValues(routes[k/10], statuses[k%10]).Add(float64((f*100+k)*7 + 1))
			series++
		}
	}
	if !hists {
		return series
	}
	v := 0
	for f := 0; f < 10; f++ {
		hv := prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    fmt.Sprintf("bench_latency_h%02d_seconds", f),
			Help:    fmt.Sprintf("Latency of stage %d.", f),
			Buckets: goBuckets,
		}, []string{"route"})
		reg.MustRegister(hv)
		for k := 0; k < 10; k++ {
			ch := hv.WithLabelValues(routes[k])
			for i := 0; i < 100; i++ {
				ch.Observe(values[v&(nValues-1)])
				v++
			}
			series += len(goBuckets) + 1 + 2
		}
	}
	return series
}

// render is what promhttp.HandlerFor does for the text format: Gather, then
// encode each family.
func render(reg *prometheus.Registry, buf *bytes.Buffer) {
	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	enc := expfmt.NewEncoder(buf, expfmt.FmtText)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			panic(err)
		}
	}
}

func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}

func benchE(label string, nfam, renders int) {
	if rendersOverride > 0 {
		renders = rendersOverride
	}
	settle()
	before := rssBytes()
	reg := prometheus.NewRegistry()
	series := buildRegistry(reg, nfam, true)
	// Count what stays alive, not the garbage creation left behind.
	settle()
	after := rssBytes()

	var buf bytes.Buffer
	render(reg, &buf)
	t := make([]float64, renders)
	for i := range t {
		buf.Reset()
		t0 := time.Now()
		render(reg, &buf)
		t[i] = float64(time.Since(t0).Nanoseconds())
	}
	sort.Float64s(t)
	med := t[renders/2]
	figure(label, "render_ms", med/1e6)
	figure(label, "ns_per_series", med/float64(series))
	figure(label, "bytes", float64(buf.Len()))
	figure(label, "series", float64(series))
	figure(label, "mem_bytes_per_series", float64(after-before)/float64(series))
	runtime.KeepAlive(reg)
}

// buildM: workload M's registry, 1,000 counter families x 1,000 children
// (label id), 1,000,000 series.
func buildM(reg *prometheus.Registry) {
	for f := 0; f < 1000; f++ {
		cv := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: fmt.Sprintf("bench_m_f%04d_total", f),
			Help: fmt.Sprintf("Requests handled by component %d.", f),
		}, []string{"id"})
		reg.MustRegister(cv)
		for k := 0; k < 1000; k++ {
			cv.WithLabelValues(fmt.Sprintf("id-%d", k)).Add(float64((f*1000+k)*7 + 1))
		}
	}
}

// serve: F's server (1,000 series), or with million M's (1,000,000).
func serve(port int, seconds float64, million bool) {
	reg := prometheus.NewRegistry() // no Go runtime or process collectors
	if million {
		buildM(reg)
	} else {
		buildRegistry(reg, 10, false)
	}
	settle()
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), Handler: mux}
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			fmt.Fprintln(os.Stderr, "bench_go:", err)
			os.Exit(1)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	if seconds > 0 {
		select {
		case <-sig:
		case <-time.After(time.Duration(seconds * float64(time.Second))):
		}
	} else {
		<-sig
	}
	srv.Close()
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: bench_go [--quick] [--ops N] [--renders N] [WORKLOAD]...\n       bench_go serve|serve1m PORT [SECONDS]")
	os.Exit(2)
}

func main() {
	var work []string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--quick":
			quick = true
		case a == "--ops" && i+1 < len(args):
			i++
			opsOverride, _ = strconv.ParseInt(args[i], 10, 64)
		case a == "--renders" && i+1 < len(args):
			i++
			rendersOverride, _ = strconv.Atoi(args[i])
		case a == "serve" && i+1 < len(args):
			port, _ := strconv.Atoi(args[i+1])
			secs := 0.0
			if i+2 < len(args) {
				secs, _ = strconv.ParseFloat(args[i+2], 64)
			}
			serve(port, secs, false)
			return
		case a == "serve1m" && i+1 < len(args):
			port, _ := strconv.Atoi(args[i+1])
			secs := 0.0
			if i+2 < len(args) {
				secs, _ = strconv.ParseFloat(args[i+2], 64)
			}
			serve(port, secs, true)
			return
		case len(a) > 0 && a[0] == '-':
			usage()
		default:
			work = append(work, a)
		}
	}
	if len(work) == 0 {
		work = []string{"A", "B", "Bx", "C", "C100", "C10k", "Dl1", "Dl2", "Du1", "Du2", "Dc1", "Dc2",
			"XA", "XD", "S1", "S2", "L", "E10k", "E100k", "G"}
	}
	fillValues()
	fillTraceIDs()
	fillDuPicks()
	for _, w := range work {
		switch w {
		case "A":
			benchA()
		case "B", "Bx":
			benchB(w == "Bx")
		case "C":
			benchC(12)
		case "C100":
			benchC(100)
		case "C10k":
			benchC(10000)
		case "Dl1", "Dl2":
			benchD(w, values[:gValues], int(w[2]-'0'))
		case "Du1", "Du2":
			benchD(w, duValues[:], int(w[2]-'0'))
		case "Dc1", "Dc2":
			benchD(w, dcValue, int(w[2]-'0'))
		case "S1", "S2":
			benchS(int(w[1] - '0'))
		case "L":
			benchL()
		case "XA":
			benchXA()
		case "XD":
			benchXD()
		case "G":
			benchG()
		case "E10k":
			r := 51
			if quick {
				r = 11
			}
			benchE("E10k", 100, r)
		case "E100k":
			r := 11
			if quick {
				r = 3
			}
			benchE("E100k", 1000, r)
		default:
			usage()
		}
	}
}
