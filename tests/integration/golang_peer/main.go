// golang_peer writes to stdout, in the delimited protobuf format, a
// registry filled exactly as tests/integration/protobuf_peer.c fills
// promc's: client_golang's own bytes, for compare_golang.sh to hold
// promc's against family by family.
package main

import (
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

func main() {
	r := prometheus.NewRegistry()

	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gc_requests_total", Help: "Requests \\ \"served\".\nTwo lines."}, []string{"code", "method"})
	r.MustRegister(c)
	c.WithLabelValues("200", "GET").Add(3)
	c.WithLabelValues("500", "P\"O\\ST\n").Add(1.5)

	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "gc_temperature_celsius", Help: ""})
	r.MustRegister(g)
	g.Set(-12.5)

	u := prometheus.NewUntypedFunc(prometheus.UntypedOpts{Name: "gc_untyped", Help: "Untyped."}, func() float64 { return 7 })
	r.MustRegister(u)

	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gc_latency_seconds", Help: "Latency.", Buckets: []float64{0.1, 0.5, 1}}, []string{"path"})
	r.MustRegister(h)
	for _, v := range []float64{0.05, 0.3, 0.3, 2} {
		h.WithLabelValues("/a").Observe(v)
	}
	h.WithLabelValues("/b")

	s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "gc_rpc_seconds", Help: "RPC.", Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01}})
	r.MustRegister(s)
	for _, v := range []float64{1, 2, 3} {
		s.Observe(v)
	}

	n := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gc_native_seconds", Help: "Native.", NativeHistogramBucketFactor: 1.1})
	r.MustRegister(n)
	for _, v := range []float64{1.5, 3, -0.5, 0} {
		n.Observe(v)
	}

	mfs, err := r.Gather()
	if err != nil {
		panic(err)
	}
	enc := expfmt.NewEncoder(os.Stdout, expfmt.FmtProtoDelim)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			panic(err)
		}
	}
}
